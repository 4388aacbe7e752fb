// amct/algo/impl/percentile.ipp: the definitions of <amct/algo/percentile.hpp> (header-only: included by it;
// separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/percentile.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL double percentile_observer::quantile(const grid_histogram& h, double q) noexcept
{
    const auto& c = h.counts();
    const double target = q * static_cast<double>(h.total());
    double seen = 0.0;
    for (std::size_t k = 0; k < c.size(); ++k)
    {
        const double n = static_cast<double>(c[k]);
        if (n > 0.0 && seen + n >= target)
        {
            const double t = (target - seen) / n;
            return h.lower() + (static_cast<double>(k) + t) * h.bin_width();
        }
        seen += n;
    }
    return extent(h).second;
}

AMCT_DECL std::pair<float, float> percentile_observer::clip(const grid_histogram& h) const noexcept
{
    if (symmetric())
    {
        const auto t = static_cast<float>(quantile(h, m_params.max_percentile));
        return {-t, t};
    }
    return {static_cast<float>(quantile(h, 1.0 - m_params.min_percentile)),
            static_cast<float>(quantile(h, m_params.max_percentile))};
}
}  // namespace AMCT_ABI
}  // namespace amct
