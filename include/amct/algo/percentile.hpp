// amct/algo/percentile.hpp: the percentile method (ONNX Runtime Percentile, PPQ percentile,
// pytorch-quantization percentile): clip at quantiles of the data, read from an exactly mergeable histogram
// with linear interpolation inside the bin that holds the quantile. Symmetric: [-t, t] with t the
// max_percentile quantile of |x|; asymmetric: [quantile(1 - min_percentile), quantile(max_percentile)] of x.
#pragma once

#include <amct/algo/histogram_observer.hpp>
#include <amct/algo/params.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
class percentile_observer : public histogram_observer<percentile_observer, percentile_params>
{
public:
    static constexpr const char* algorithm = "percentile";
    static constexpr std::uint32_t state_version = 1;

    /// @throws value_error naming the layer for percentiles outside (0.5, 1].
    explicit percentile_observer(const percentile_params& params = {}, std::string layer = {})
      : histogram_observer(params, std::move(layer))
    {
        detail::require(params.max_percentile > 0.5 && params.max_percentile <= 1.0,
                        where(),
                        "max_percentile",
                        params.max_percentile,
                        "in (0.5, 1]");
        detail::require(params.min_percentile > 0.5 && params.min_percentile <= 1.0,
                        where(),
                        "min_percentile",
                        params.min_percentile,
                        "in (0.5, 1]");
    }

    bool symmetric() const noexcept
    {
        return !m_params.asymmetric;
    }

    /// The q-quantile (q in [0, 1]) of a histogram: the value below which a fraction q of the data lies.
    static double quantile(const grid_histogram& h, double q) noexcept
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

    std::pair<float, float> clip(const grid_histogram& h) const noexcept
    {
        if (symmetric())
        {
            const auto t = static_cast<float>(quantile(h, m_params.max_percentile));
            return {-t, t};
        }
        return {static_cast<float>(quantile(h, 1.0 - m_params.min_percentile)),
                static_cast<float>(quantile(h, m_params.max_percentile))};
    }

    static void write(state_writer& w, const percentile_params& p)
    {
        w.f64(p.max_percentile);
        w.f64(p.min_percentile);
        w.u32(static_cast<std::uint32_t>(p.num_of_bins));
        w.boolean(p.asymmetric);
        w.u32(static_cast<std::uint32_t>(p.num_bits));
        w.boolean(p.channels.channel_wise);
        w.i64(p.channels.axis);
    }

    static percentile_params read(state_reader& r)
    {
        percentile_params p;
        p.max_percentile = r.f64();
        p.min_percentile = r.f64();
        p.num_of_bins = static_cast<int>(r.u32());
        p.asymmetric = r.boolean();
        p.num_bits = static_cast<int>(r.u32());
        p.channels.channel_wise = r.boolean();
        p.channels.axis = static_cast<std::ptrdiff_t>(r.i64());
        return p;
    }

    static bool same(const percentile_params& a, const percentile_params& b) noexcept
    {
        return a.max_percentile == b.max_percentile && a.min_percentile == b.min_percentile
               && a.num_of_bins == b.num_of_bins && a.asymmetric == b.asymmetric && a.num_bits == b.num_bits
               && a.channels.channel_wise == b.channels.channel_wise && a.channels.axis == b.channels.axis;
    }
};
}  // namespace AMCT_ABI
}  // namespace amct
