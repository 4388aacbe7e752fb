// amct/algo/kl.hpp: the KL (entropy) method, as TensorRT's reference describes it (Migacz, "8-bit Inference
// with TensorRT", GTC 2017; the IInt8EntropyCalibrator family):
//   |x| histogram of num_of_bins (2048) bins over [0, max|x|] (here resampled from the exactly mergeable
//   grid); for every threshold bin i in [num_quantized_bins, num_of_bins]:
//     P = bins [0, i) with the outliers (bins >= i) added to bin i - 1;
//     Q = bins [0, i) merged into num_quantized_bins (128) groups of floor(i / 128) bins (the last group
//     takes the
//         remainder), each group's mass spread evenly over its non-empty bins (empty bins stay empty);
//     P and Q normalized to sum 1, then smoothed: every zero entry gets eps = 1e-4 and the non-zero entries
//     give it up in equal parts (eps is halved until no entry would drop to or below zero); KL(P || Q) = sum
//     P log(P / Q);
//   the first i with the least KL gives the threshold t = (i + 0.5) * bin width; the range is [-t, t]
//   (symmetric).
#pragma once

#include <cmath>   // std::log
#include <vector>  // std::vector

#include <amct/algo/histogram_observer.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
class kl_observer;

struct kl_params
{
    int num_of_bins = 2048;
    int num_quantized_bins = 128;
    bool asymmetric = false;  ///< kl is symmetric: false only
    int num_bits = 8;
    channel_options channels;

    static constexpr std::string_view name = "kl";
    static constexpr std::string_view cfg_message = {};
    static constexpr std::string_view cfg_type = {};
    static constexpr bool extension = true;
    using observer = kl_observer;

    static constexpr auto fields()
    {
        using namespace param;
        using P = kl_params;
        return std::make_tuple(
          make("num_of_bins", &P::num_of_bins, histogram_bins_rule),
          make("num_quantized_bins", &P::num_quantized_bins),
          make(
            "asymmetric", &P::asymmetric, only<bool>{false, "false (kl is symmetric only)"}, no_cfg, unsaved),
          make("num_bits", &P::num_bits, int_range{2, 16}),
          make("channels", &P::channels, any{}, no_cfg, api_only));
    }

    /// num_quantized_bins in [2, num_of_bins].
    template <class R>
    static void check(const kl_params& p, R& report)
    {
        if (p.num_quantized_bins < 2 || p.num_quantized_bins > p.num_of_bins)
        {
            report("num_quantized_bins",
                   std::to_string(p.num_quantized_bins),
                   "in [2, " + std::to_string(p.num_of_bins) + "]");
        }
    }
};

namespace detail
{
/// Normalizes `p` to sum 1 and smooths it (see the file comment). Returns false if p is all zero.
inline bool normalize_and_smooth(std::vector<double>& p) noexcept
{
    double sum = 0.0;
    std::size_t zeros = 0;
    for (double v : p)
    {
        sum += v;
        zeros += v == 0.0 ? std::size_t{1} : std::size_t{0};
    }
    if (!(sum > 0.0))
    {
        return false;
    }
    double smallest = 1.0;
    for (double& v : p)
    {
        v /= sum;
        smallest = v > 0.0 && v < smallest ? v : smallest;
    }
    if (zeros == 0)
    {
        return true;
    }
    const double nonzeros = static_cast<double>(p.size() - zeros);
    double eps = 1e-4;
    while (eps * static_cast<double>(zeros) / nonzeros >= smallest)
    {
        eps /= 2.0;
    }
    const double give = eps * static_cast<double>(zeros) / nonzeros;
    for (double& v : p)
    {
        v = v == 0.0 ? eps : v - give;
    }
    return true;
}

/// The threshold bin of TensorRT's entropy calibration on `hist` (|x| counts from 0).
inline std::size_t kl_threshold_bin(const std::vector<double>& hist, std::size_t levels)
{
    const std::size_t bins = hist.size();
    std::vector<double> outliers(bins + 1, 0.0);  // outliers[i] = sum of hist[i..]
    for (std::size_t k = bins; k-- > 0;)
    {
        outliers[k] = outliers[k + 1] + hist[k];
    }
    std::size_t best = bins;
    double best_kl = -1.0;
    std::vector<double> p, q;
    for (std::size_t i = levels; i < bins; ++i)
    {
        p.assign(hist.begin(), hist.begin() + static_cast<std::ptrdiff_t>(i));
        p[i - 1] += outliers[i];
        const std::size_t merged = i / levels;
        q.assign(i, 0.0);
        for (std::size_t j = 0; j < levels; ++j)
        {
            const std::size_t start = j * merged;
            const std::size_t stop = j + 1 == levels ? i : start + merged;
            double mass = 0.0;
            std::size_t nonzero = 0;
            for (std::size_t k = start; k < stop; ++k)
            {
                mass += hist[k];
                nonzero += hist[k] != 0.0 ? std::size_t{1} : std::size_t{0};
            }
            for (std::size_t k = start; k < stop && nonzero > 0; ++k)
            {
                q[k] = hist[k] != 0.0 ? mass / static_cast<double>(nonzero) : 0.0;
            }
        }
        if (!normalize_and_smooth(p) || !normalize_and_smooth(q))
        {
            continue;
        }
        double kl = 0.0;
        for (std::size_t k = 0; k < i; ++k)
        {
            kl += p[k] * std::log(p[k] / q[k]);
        }
        if (best_kl < 0.0 || kl < best_kl)
        {
            best = i;
            best_kl = kl;
        }
    }
    return best;
}
}  // namespace detail

class kl_observer : public histogram_observer<kl_observer, kl_params>
{
public:
    static constexpr const char* algorithm = "kl";
    static constexpr std::uint32_t state_version = 1;

    /// @throws value_error naming the layer for num_quantized_bins outside [2, num_of_bins].
    explicit kl_observer(const kl_params& params = {}, std::string layer = {})
      : histogram_observer(params, std::move(layer))
    {
    }

    bool symmetric() const noexcept
    {
        return true;
    }

    std::pair<float, float> clip(const grid_histogram& h) const
    {
        const double amax = extent(h).second;
        const auto bins = static_cast<std::size_t>(m_params.num_of_bins);
        const std::vector<double> hist = h.resample(0.0, amax, bins);
        const std::size_t i =
          detail::kl_threshold_bin(hist, static_cast<std::size_t>(m_params.num_quantized_bins));
        const auto t = static_cast<float>((static_cast<double>(i) + 0.5) * amax / static_cast<double>(bins));
        return {-t, t};
    }
};
}  // namespace AMCT_ABI
}  // namespace amct
