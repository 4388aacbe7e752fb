// amct/algo/impl/mse.ipp: the definitions of <amct/algo/mse.hpp> (header-only: included by it; separate
// compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/mse.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL std::pair<float, float> mse_observer::clip(const grid_histogram& h) const
{
    const auto [lo, hi] = extent(h);
    const auto bins = static_cast<std::size_t>(m_params.num_of_bins);
    const std::vector<double> hist = h.resample(lo, hi, bins);
    const double width = (hi - lo) / static_cast<double>(bins);
    const int bits = m_params.num_bits;
    std::pair<float, float> best{static_cast<float>(symmetric() ? -hi : lo), static_cast<float>(hi)};
    double best_err = -1.0;
    for (int j = 1; j <= m_params.num_candidates; ++j)
    {
        const double f = static_cast<double>(j) / m_params.num_candidates;
        const auto cand_hi = static_cast<float>(hi * f);
        const auto cand_lo = static_cast<float>(symmetric() ? -hi * f : lo * f);
        const auto [s, o] = choose_scale_offset(
          cand_lo, cand_hi, detail::signed_qmin(bits), detail::signed_qmax(bits), symmetric());
        double err = 0.0;
        for (std::size_t k = 0; k < bins; ++k)
        {
            if (hist[k] == 0.0)
            {
                continue;
            }
            const double centre = lo + (static_cast<double>(k) + 0.5) * width;
            const double e = fake(centre, s, o, bits) - centre;
            err += hist[k] * e * e;
        }
        if (best_err < 0.0 || err < best_err)
        {
            best_err = err;
            best = {cand_lo, cand_hi};
        }
    }
    return best;
}
}  // namespace AMCT_ABI
}  // namespace amct
