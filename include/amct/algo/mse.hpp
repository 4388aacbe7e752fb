// amct/algo/mse.hpp: the MSE method (pytorch-quantization's "mse" calibrator, PPQ's mse observer): among
// num_candidates clip ranges, the one whose quantize-dequantize error over the data's histogram is least
// (each bin represented by its centre). Symmetric: [-t, t] with t = max|x| * j / N; asymmetric: [lo f, hi f]
// with f = j / N over the data's [lo, hi]; j = 1 .. N; the first minimum wins.
#pragma once

#include <amct/algo/histogram_observer.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
class mse_observer;

struct mse_params
{
    int num_of_bins = 2048;
    int num_candidates = 200;  ///< clip candidates, evenly spaced over the observed range
    bool asymmetric = true;
    int num_bits = 8;
    channel_options channels;

    static constexpr std::string_view name = "mse";
    static constexpr std::string_view cfg_message = {};
    static constexpr std::string_view cfg_type = {};
    static constexpr bool extension = true;
    using observer = mse_observer;

    static constexpr auto fields()
    {
        using namespace param;
        using P = mse_params;
        return std::make_tuple(make("num_of_bins", &P::num_of_bins, histogram_bins_rule),
                               make("num_candidates", &P::num_candidates, int_range{1, 100000}),
                               make("asymmetric", &P::asymmetric, any{}, no_cfg, inherit),
                               make("num_bits", &P::num_bits, int_range{2, 16}),
                               make("channels", &P::channels, any{}, no_cfg, api_only));
    }

    template <class R>
    static void check(const mse_params&, R&)
    {
    }
};

class mse_observer : public histogram_observer<mse_observer, mse_params>
{
public:
    static constexpr const char* algorithm = "mse";
    static constexpr std::uint32_t state_version = 1;

    /// @throws value_error naming the layer for num_candidates outside [1, 100000].
    explicit mse_observer(const mse_params& params = {}, std::string layer = {})
      : histogram_observer(params, std::move(layer))
    {
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
};
}  // namespace AMCT_ABI
}  // namespace amct
