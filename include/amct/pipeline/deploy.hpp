// amct/pipeline/deploy.hpp: the deployable factors of a quantized layer
// (docs/quantization.md#how-the-factors-are-used-downstream):
// clang-format off
//   deq_scale[c] = scale_d * scale_w[c]                      (float32 product, AscendDequant's factor)
//   bias_int[c]  = round(b[c] / deq_scale[c])                (double division, ties to even)
//   packed[c]    = (uint8(offset_w[c]) << 32) | bits(deq_scale[c])   (AscendDequant's uint64 parameter)
// clang-format on
// AMCT stops with an error when bias_int leaves int32; amct instead raises that channel's weight scale to the
// smallest float32 for which the bias fits (docs/model.md#deployable-outputs: MobileNetV2's block_11_expand),
// re-quantizes the channel's weights with it, and reports it.
#pragma once

#include <array>    // std::array
#include <cmath>    // std::nearbyint, std::fabs, std::nextafter
#include <cstddef>  // std::size_t
#include <cstdint>  // std::int32_t, std::uint64_t
#include <cstring>  // std::memcpy
#include <limits>   // std::numeric_limits
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/algo/result.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/core/descriptor.hpp>
#include <amct/core/policies.hpp>
#include <amct/detail/format.hpp>
#include <amct/detail/xtensor.hpp>
#include <amct/model/record.hpp>
#include <amct/tensor/quantize.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// A layer's int32 bias and dequantization factors.
struct bias_quantization
{
    std::vector<std::int32_t> bias;  ///< per output channel; empty when the layer has no bias
    std::vector<float> deq_scale;    ///< per output channel
    std::vector<std::string> notes;  ///< one per weight scale raised so that the bias fits int32
};

namespace detail
{
/// Whether a rounded quotient is an int32.
inline bool fits_int32(double q) noexcept
{
    return q >= -2147483648.0 && q <= 2147483647.0;
}

/// round(b / deq) in double; |result| may exceed int32 (the caller checks).
inline double bias_quotient(float b, float deq) noexcept
{
    return std::nearbyint(static_cast<double>(b) / static_cast<double>(deq));
}

/// The smallest float32 weight scale s >= max(`current`, float(|b| / (scale_d * INT32_MAX))) with
/// |round(b / (scale_d * s))| <= INT32_MAX, found in at most 32 bisection steps; +infinity when no finite s
/// fits or b, scale_d are not finite (scale_d > 0).
AMCT_DECL float bias_floor_scale(float b, float scale_d, float current) noexcept;
}  // namespace detail

/// @brief deq_scale and int32 bias for `channels` output channels; `scale_w` (one entry: per tensor, else one
/// per channel) is raised where a bias would overflow int32. `bias` may be null (no bias). `layer` names the
/// layer in the notes. @throws value_error naming the layer and channel for a non-finite bias or a bias
/// that no finite weight scale fits into int32; `scale_w` is then unchanged.
AMCT_DECL bias_quantization quantize_bias(const float* bias,
                                          std::size_t channels,
                                          float scale_d,
                                          std::vector<float>& scale_w,
                                          const std::string& layer);

/// AscendDequant's uint64 parameter: (uint8(offset_w) << 32) | float32 bits of deq_scale
/// (docs/quantization.md#ascenddequant; the code's shift is 32, whatever its comment says).
AMCT_DECL std::uint64_t pack_deq_scale(float deq_scale, std::int32_t offset_w) noexcept;

namespace detail
{
/// Calls f(qp) with the validated per-tensor qparams of an activation: num_bits, round half to even,
/// multiplied by the float32 reciprocal of scale_d.
template <class F>
inline void with_activation_qparams(float scale_d, std::int32_t offset_d, int num_bits, F&& f)
{
    dispatch<round_half_to_even, multiply_by_reciprocal>(quant_descriptor{num_bits, true, false},
                                                         [&](auto spec)
                                                         {
                                                             using S = decltype(spec);
                                                             if constexpr (!S::is_per_channel)
                                                             {
                                                                 const qparams<S> qp{scale_d, offset_d};
                                                                 validate(qp);
                                                                 f(qp);
                                                             }
                                                         });
}
}  // namespace detail

/// @brief The fake-quantized activation AMCT's simulation model feeds a layer
/// (docs/quantization.md#the-fake-quant-model):
/// (clamp(round(x * (1 / scale_d)) + offset_d, qmin, qmax) - offset_d) * scale_d, with the float32
/// reciprocal as AscendQuant multiplies by it.
/// @throws value_error for an invalid scale_d or an offset_d outside the bit width's range.
template <class E>
inline xt::xarray<float> fake_quantize_activation(const xt::xexpression<E>& x,
                                                  float scale_d,
                                                  std::int32_t offset_d,
                                                  int num_bits = 8)
{
    xt::xarray<float> out;
    detail::with_activation_qparams(scale_d,
                                    offset_d,
                                    num_bits,
                                    [&](const auto& qp)
                                    {
                                        out = fake_quantize(x.derived_cast(), qp);
                                    });
    return out;
}

/// @brief fake_quantize_activation in place on `n` contiguous values.
AMCT_DECL void fake_quantize_activation(float* data,
                                        std::size_t n,
                                        float scale_d,
                                        std::int32_t offset_d,
                                        int num_bits = 8);

/// @brief fake_quantize_activation with a layer's record: scale_d, offset_d and the bit width of act_type
/// (INT8 or INT16). @throws value_error naming `layer` when the record has no scale_d or offset_d.
template <class E>
inline xt::xarray<float> fake_quantize_activation(const xt::xexpression<E>& x,
                                                  const layer_record& r,
                                                  const std::string& layer = {})
{
    if (!r.scale_d || !r.offset_d)
    {
        detail::throw_error<value_error>("record \"" + layer + "\" has no scale_d and offset_d");
    }
    return fake_quantize_activation(x, *r.scale_d, *r.offset_d, r.activation_type() == "INT16" ? 16 : 8);
}
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/pipeline/impl/deploy.ipp>
#endif
