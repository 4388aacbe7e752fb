// amct/pipeline/deploy.hpp: the deployable factors of a quantized layer (amct-algorithms.md 2.5):
//   deq_scale[c] = scale_d * scale_w[c]                      (float32 product, AscendDequant's factor)
//   bias_int[c]  = round(b[c] / deq_scale[c])                (double division, ties to even)
//   packed[c]    = (uint8(offset_w[c]) << 32) | bits(deq_scale[c])   (AscendDequant's uint64 parameter)
// AMCT stops with an error when bias_int leaves int32; amct instead raises that channel's weight scale to
// the smallest float32 for which the bias fits (workloads.md D: MobileNetV2's block_11_expand), re-quantizes
// the channel's weights with it, and reports it.
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

/// The smallest float32 weight scale s >= `current` with |round(b / (scale_d * s))| <= INT32_MAX.
inline float bias_floor_scale(float b, float scale_d, float current) noexcept
{
    const double need = std::fabs(static_cast<double>(b)) / (static_cast<double>(scale_d) * 2147483647.0);
    float s = static_cast<float>(need);
    s = s < current ? current : s;
    while (!fits_int32(bias_quotient(b, scale_d * s)))
    {
        s = std::nextafter(s, std::numeric_limits<float>::infinity());
    }
    return s;
}
}  // namespace detail

/// @brief deq_scale and int32 bias for `channels` output channels; `scale_w` (one entry: per tensor, else one
/// per channel) is raised where a bias would overflow int32. `bias` may be null (no bias). `layer` names the
/// layer in the notes.
inline bias_quantization quantize_bias(const float* bias,
                                       std::size_t channels,
                                       float scale_d,
                                       std::vector<float>& scale_w,
                                       const std::string& layer)
{
    bias_quantization out;
    const bool per_tensor = scale_w.size() == 1;
    if (!per_tensor && scale_w.size() != channels)
    {
        detail::throw_error<shape_error>("layer \"" + layer + "\": " + std::to_string(scale_w.size())
                                         + " weight scales for " + std::to_string(channels) + " channels");
    }
    auto sw = [&](std::size_t c) -> float&
    {
        return scale_w[per_tensor ? 0 : c];
    };
    if (bias)
    {
        for (std::size_t c = 0; c < channels; ++c)
        {
            if (!detail::fits_int32(detail::bias_quotient(bias[c], scale_d * sw(c))))
            {
                const float before = sw(c);
                sw(c) = detail::bias_floor_scale(bias[c], scale_d, before);
                out.notes.push_back(
                  "layer \"" + layer + "\": the int32 bias of output channel " + std::to_string(c) + " (bias "
                  + detail::number_to_string(bias[c]) + ", scale_d " + detail::number_to_string(scale_d)
                  + ") overflows with weight scale " + detail::number_to_string(before) + "; weight scale "
                  + (per_tensor ? "" : "of that channel ") + "raised to " + detail::number_to_string(sw(c)));
            }
        }
    }
    out.deq_scale.resize(channels);
    for (std::size_t c = 0; c < channels; ++c)
    {
        out.deq_scale[c] = scale_d * sw(c);
    }
    if (bias)
    {
        out.bias.resize(channels);
        for (std::size_t c = 0; c < channels; ++c)
        {
            out.bias[c] = static_cast<std::int32_t>(detail::bias_quotient(bias[c], out.deq_scale[c]));
        }
    }
    return out;
}

/// AscendDequant's uint64 parameter: (uint8(offset_w) << 32) | float32 bits of deq_scale
/// (amct-algorithms.md 2.5; the code's shift is 32, whatever its comment says).
inline std::uint64_t pack_deq_scale(float deq_scale, std::int32_t offset_w) noexcept
{
    std::uint32_t bits;
    std::memcpy(&bits, &deq_scale, sizeof bits);
    return (static_cast<std::uint64_t>(static_cast<std::uint8_t>(offset_w)) << 32) | bits;
}

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

/// @brief The fake-quantized activation AMCT's simulation model feeds a layer (amct-algorithms.md 2.5):
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
inline void fake_quantize_activation(float* data,
                                     std::size_t n,
                                     float scale_d,
                                     std::int32_t offset_d,
                                     int num_bits = 8)
{
    auto x = xt::adapt(data, n, xt::no_ownership(), std::array<std::size_t, 1>{n});
    detail::with_activation_qparams(scale_d,
                                    offset_d,
                                    num_bits,
                                    [&](const auto& qp)
                                    {
                                        fake_quantize(x, qp, x);
                                    });
}

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
