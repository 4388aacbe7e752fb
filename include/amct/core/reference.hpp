// amct/core/reference.hpp: the scalar definition of quantize, dequantize and fake_quantize for one element.
// The SIMD kernels (amct/simd/quantize_kernel.hpp) must equal these bit for bit.
#pragma once

#include <cmath>    // std::nearbyint, std::round, std::isnan
#include <cstdint>  // std::int32_t

#include <amct/base/macros.hpp>
#include <amct/core/policies.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// round(v): ties to even. Assumes the default floating-point environment (FE_TONEAREST), as PyTorch and
/// FBGEMM do.
inline float round_value(float v, round_half_to_even) noexcept
{
    return std::nearbyint(v);
}

/// round(v): ties away from zero (C round()).
inline float round_value(float v, round_half_away_from_zero) noexcept
{
    return std::round(v);
}

/// The kernel-ready form of one (scale, offset) pair; see make_element_params.
struct element_params
{
    float factor = 1.0f;  ///< scale (divide_by_scale) or 1.0f / scale (multiply_by_reciprocal)
    float scale = 1.0f;   ///< used by dequantize: x = (q - offset) * scale
    float lo = 0.0f;      ///< qmin - offset, as a float (exact: |value| < 2^24)
    float hi = 0.0f;      ///< qmax - offset
    std::int32_t offset = 0;
};

/// Precomputes the per-element constants of Spec for (scale, offset). The caller has validated both.
template <class Spec>
inline element_params make_element_params(float scale, std::int32_t offset) noexcept
{
    element_params p;
    p.factor = std::is_same_v<typename Spec::scaling_type, multiply_by_reciprocal> ? 1.0f / scale : scale;
    p.scale = scale;
    p.lo = static_cast<float>(Spec::qmin - offset);
    p.hi = static_cast<float>(Spec::qmax - offset);
    p.offset = offset;
    return p;
}

namespace reference
{
/// v = x / scale or x * (1 / scale), per the Spec's scaling policy.
template <class Spec>
inline float scale_value(float x, float factor) noexcept
{
    if constexpr (std::is_same_v<typename Spec::scaling_type, multiply_by_reciprocal>)
    {
        return x * factor;
    }
    else
    {
        return x / factor;
    }
}

/// @brief q - offset as an integer-valued float: clamp(round(v), qmin - offset, qmax - offset) with v from
/// scale_value. Saturation is exact because every bound is an integer below 2^24 in magnitude.
/// NaN maps to 0, i.e. q = offset, which dequantizes to 0.0f; +-Inf saturate to qmax / qmin.
/// The result is never -0.0f.
template <class Spec>
inline float quantize_shifted(float x, const element_params& p) noexcept
{
    const float v = scale_value<Spec>(x, p.factor);
    if (std::isnan(v))
    {
        return 0.0f;
    }
    float r = round_value(v, typename Spec::rounding_type{});
    r = r < p.lo ? p.lo : r;
    r = r > p.hi ? p.hi : r;
    return r + 0.0f;  // -0.0f + 0.0f == +0.0f
}

/// q = clamp(round(v) + offset, qmin, qmax) (docs/quantization.md#the-mapping).
template <class Spec>
inline typename Spec::storage_type quantize(float x, const element_params& p) noexcept
{
    return static_cast<typename Spec::storage_type>(static_cast<std::int32_t>(quantize_shifted<Spec>(x, p))
                                                    + p.offset);
}

/// x = (q - offset) * scale.
template <class Spec>
inline float dequantize(typename Spec::storage_type q, const element_params& p) noexcept
{
    return static_cast<float>(static_cast<std::int32_t>(q) - p.offset) * p.scale;
}

/// dequantize(quantize(x)), computed without the integer round trip.
template <class Spec>
inline float fake_quantize(float x, const element_params& p) noexcept
{
    return quantize_shifted<Spec>(x, p) * p.scale;
}
}  // namespace reference
}  // namespace AMCT_ABI
}  // namespace amct
