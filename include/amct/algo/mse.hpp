// amct/algo/mse.hpp: the MSE method (pytorch-quantization's "mse" calibrator, PPQ's mse observer): among
// num_candidates clip ranges, the one whose quantize-dequantize error over the data's histogram is least
// (each bin represented by its centre). Symmetric: [-t, t] with t = max|x| * j / N; asymmetric: [lo f, hi f]
// with f = j / N over the data's [lo, hi]; j = 1 .. N; the first minimum wins.
#pragma once

#include <amct/algo/histogram_observer.hpp>
#include <amct/algo/params.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
class mse_observer : public histogram_observer<mse_observer, mse_params>
{
public:
    static constexpr const char* algorithm = "mse";
    static constexpr std::uint32_t state_version = 1;

    /// @throws value_error naming the layer for num_candidates outside [1, 100000].
    explicit mse_observer(const mse_params& params = {}, std::string layer = {})
      : histogram_observer(params, std::move(layer))
    {
        detail::require(params.num_candidates >= 1 && params.num_candidates <= 100000,
                        where(),
                        "num_candidates",
                        params.num_candidates,
                        "in [1, 100000]");
    }

    bool symmetric() const noexcept
    {
        return !m_params.asymmetric;
    }

    std::pair<float, float> clip(const grid_histogram& h) const
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

    static void write(state_writer& w, const mse_params& p)
    {
        w.u32(static_cast<std::uint32_t>(p.num_of_bins));
        w.u32(static_cast<std::uint32_t>(p.num_candidates));
        w.boolean(p.asymmetric);
        w.u32(static_cast<std::uint32_t>(p.num_bits));
        w.boolean(p.channels.channel_wise);
        w.i64(p.channels.axis);
    }

    static mse_params read(state_reader& r)
    {
        mse_params p;
        p.num_of_bins = static_cast<int>(r.u32());
        p.num_candidates = static_cast<int>(r.u32());
        p.asymmetric = r.boolean();
        p.num_bits = static_cast<int>(r.u32());
        p.channels.channel_wise = r.boolean();
        p.channels.axis = static_cast<std::ptrdiff_t>(r.i64());
        return p;
    }

    static bool same(const mse_params& a, const mse_params& b) noexcept
    {
        return a.num_of_bins == b.num_of_bins && a.num_candidates == b.num_candidates
               && a.asymmetric == b.asymmetric && a.num_bits == b.num_bits
               && a.channels.channel_wise == b.channels.channel_wise && a.channels.axis == b.channels.axis;
    }
};
}  // namespace AMCT_ABI
}  // namespace amct
