// amct/algo/percentile.hpp: the percentile method (ONNX Runtime Percentile, PPQ percentile,
// pytorch-quantization percentile): clip at quantiles of the data, read from an exactly mergeable histogram
// with linear interpolation inside the bin that holds the quantile. Symmetric: [-t, t] with t the
// max_percentile quantile of |x|; asymmetric: [quantile(1 - min_percentile), quantile(max_percentile)] of x.
#pragma once

#include <amct/algo/histogram_observer.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
class percentile_observer;

struct percentile_params
{
    double max_percentile = 0.9999;  ///< upper clip: this quantile of the data (PPQ's default 0.9999)
    double min_percentile = 0.9999;  ///< lower clip: the (1 - min_percentile) quantile (asymmetric only)
    int num_of_bins = 2048;          ///< histogram resolution per merge of batches
    bool asymmetric = true;
    int num_bits = 8;
    channel_options channels;

    static constexpr std::string_view name = "percentile";
    static constexpr std::string_view cfg_message = {};
    static constexpr std::string_view cfg_type = {};
    static constexpr bool extension = true;
    using observer = percentile_observer;

    static constexpr auto fields()
    {
        using namespace param;
        using P = percentile_params;
        return std::make_tuple(make("max_percentile", &P::max_percentile, open_closed(0.5, 1.0)),
                               make("min_percentile", &P::min_percentile, open_closed(0.5, 1.0)),
                               make("num_of_bins", &P::num_of_bins, histogram_bins_rule),
                               make("asymmetric", &P::asymmetric, any{}, no_cfg, inherit),
                               make("num_bits", &P::num_bits, int_range{2, 16}),
                               make("channels", &P::channels, any{}, no_cfg, api_only));
    }

    template <class R>
    static void check(const percentile_params&, R&)
    {
    }
};

class percentile_observer : public histogram_observer<percentile_observer, percentile_params>
{
public:
    static constexpr const char* algorithm = "percentile";
    static constexpr std::uint32_t state_version = 1;

    /// @throws value_error naming the layer for percentiles outside (0.5, 1].
    explicit percentile_observer(const percentile_params& params = {}, std::string layer = {})
      : histogram_observer(params, std::move(layer))
    {
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
};
}  // namespace AMCT_ABI
}  // namespace amct
