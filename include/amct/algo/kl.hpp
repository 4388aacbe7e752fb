// amct/algo/kl.hpp: the KL (entropy) method, as TensorRT's reference describes it (Migacz, "8-bit Inference
// with TensorRT", GTC 2017; the IInt8EntropyCalibrator family):
// clang-format off
//   |x| histogram of num_of_bins (2048) bins over [0, max|x|] (here resampled from the exactly mergeable
//   grid); for every threshold bin i in [num_quantized_bins, num_of_bins]:
//     P = bins [0, i) with the outliers (bins >= i) added to bin i - 1;
//     Q = bins [0, i) merged into num_quantized_bins (128) groups of floor(i / 128) bins (the last group
//         takes the remainder), each group's mass spread evenly over its non-empty bins (empty bins stay
//         empty);
//     P and Q normalized to sum 1, then smoothed: every zero entry gets eps = 1e-4 and the non-zero entries
//         give it up in equal parts (eps is halved until no entry would drop to or below zero);
//     KL(P || Q) = sum P log(P / Q);
//   the first i with the least KL gives the threshold t = (i + 0.5) * bin width; the range is [-t, t]
//   (symmetric).
// clang-format on
#pragma once

#include <cmath>   // std::log
#include <vector>  // std::vector

#include <amct/algo/histogram_observer.hpp>
#include <amct/base/macros.hpp>

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
AMCT_DECL bool normalize_and_smooth(std::vector<double>& p) noexcept;

/// The threshold bin of TensorRT's entropy calibration on `hist` (|x| counts from 0).
AMCT_DECL std::size_t kl_threshold_bin(const std::vector<double>& hist, std::size_t levels);
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

    AMCT_DECL std::pair<float, float> clip(const grid_histogram& h) const;
};
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/kl.ipp>
#endif
