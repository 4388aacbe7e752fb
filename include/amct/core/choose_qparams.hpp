// amct/core/choose_qparams.hpp: scale and offset from a [min, max] range, exactly as AMCT computes them
// (docs/quantization.md#symmetric, docs/quantization.md#asymmetric; decisions 3 and 5 of
// docs/sources.md#decisions). All arithmetic is float32, like AMCT's torch code.
#pragma once

#include <cmath>    // std::fabs, std::isfinite, std::nearbyint
#include <cstddef>  // std::size_t
#include <cstdint>  // std::int32_t
#include <string>   // std::string
#include <utility>  // std::pair

#include <amct/base/macros.hpp>
#include <amct/core/qparams.hpp>
#include <amct/detail/format.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// FLT_EPS (docs/quantization.md#the-flt_eps-rule): a computed scale below it becomes 1.
inline constexpr float flt_eps = 1.192092896e-7f;

/// A closed range of observed values.
struct value_range
{
    float min = 0.0f;
    float max = 0.0f;
};

/// @throws value_error "range<where> ..." if min or max is not finite or min > max.
inline void validate_range(float min, float max, const std::string& where)
{
    if (!std::isfinite(min) || !std::isfinite(max))
    {
        detail::throw_error<value_error>("range" + where + " [" + detail::number_to_string(min) + ", "
                                         + detail::number_to_string(max) + "] is not finite");
    }
    if (min > max)
    {
        detail::throw_error<value_error>("range" + where + " has min " + detail::number_to_string(min)
                                         + " greater than max " + detail::number_to_string(max));
    }
}

/// (scale, offset) for one validated range and a signed or unsigned integer range [qmin, qmax], as AMCT's
/// calculate_scale_offset and process_scale compute them. A symmetric scale below `min_scale` (AMCT:
/// FLT_EPS) becomes 1.
inline std::pair<float, std::int32_t> choose_scale_offset(float min,
                                                          float max,
                                                          std::int32_t qmin,
                                                          std::int32_t qmax,
                                                          bool symmetric,
                                                          float min_scale = flt_eps) noexcept
{
    if (symmetric)
    {
        // B = max(|max|, |min|); L = qmax, or -qmin (128 for int8) when |max| < |min| strictly. The raw range
        // is used (no widening), so a constant negative row [-1, -1] is a tie and gets L = 127 like AMCT.
        const float amax = std::fabs(max);
        const float amin = std::fabs(min);
        const float bound = amax > amin ? amax : amin;
        const float levels = static_cast<float>(amax < amin ? -qmin : qmax);
        float scale = bound / levels;
        if (scale < min_scale)
        {
            scale = 1.0f;
        }
        return {scale, 0};
    }
    // The range is widened to contain 0; scale = (max' - min') / (qmax - qmin);
    // offset = round(qmin - min' / scale) in float32 (AMCT: -ceil((2^b - 1) / 2) - min'/scale for int8).
    // A scale below FLT_EPS (all-zero data) becomes 1 with offset qmin.
    const float mx = max > 0.0f ? max : 0.0f;
    const float mn = min < 0.0f ? min : 0.0f;
    // float32 as in AMCT; the difference goes through double only when it would overflow float
    // (|range| > FLT_MAX)
    const float diff = mx - mn;
    const float levels = static_cast<float>(qmax - qmin);
    const float scale =
      std::isfinite(diff) ? diff / levels : static_cast<float>((static_cast<double>(mx) - mn) / levels);
    if (scale < flt_eps)
    {
        return {1.0f, qmin};
    }
    const float offset = std::nearbyint(static_cast<float>(qmin) - mn / scale);
    const float lo = static_cast<float>(qmin);
    const float hi = static_cast<float>(qmax);
    return {scale, static_cast<std::int32_t>(offset < lo ? lo : (offset > hi ? hi : offset))};
}

namespace detail
{
template <class Spec>
inline std::pair<float, std::int32_t> choose_pair(float min, float max) noexcept
{
    return choose_scale_offset(min, max, Spec::qmin, Spec::qmax, Spec::is_symmetric);
}
}  // namespace detail

/// @brief Per-tensor parameters from a range: AMCT's symmetric 127/128 rule, or the asymmetric offset with
/// the range widened to contain 0; a scale below FLT_EPS is replaced by 1.
/// @throws value_error if min or max is not finite or min > max.
template <class Spec>
inline qparams<Spec, per_tensor> choose_qparams(value_range range)
{
    static_assert(!Spec::is_per_channel,
                  "amct: choose_qparams(value_range) makes per_tensor parameters; "
                  "per_channel specs take one range per channel");
    validate_range(range.min, range.max, "");
    const auto [scale, offset] = detail::choose_pair<Spec>(range.min, range.max);
    return {scale, offset};
}

/// @brief Per-channel parameters: channel c gets choose_qparams of [mins(c), maxs(c)].
/// @throws shape_error if mins and maxs differ in length; value_error naming the channel of a bad range.
template <class Spec>
inline qparams<Spec, per_channel> choose_qparams(const xt::xtensor<float, 1>& mins,
                                                 const xt::xtensor<float, 1>& maxs,
                                                 std::ptrdiff_t axis)
{
    static_assert(Spec::is_per_channel,
                  "amct: choose_qparams(mins, maxs, axis) makes per_channel parameters");
    if (mins.size() != maxs.size())
    {
        detail::throw_error<shape_error>("choose_qparams: " + std::to_string(mins.size()) + " minima but "
                                         + std::to_string(maxs.size()) + " maxima");
    }
    qparams<Spec, per_channel> qp;
    qp.axis = axis;
    qp.scale = xt::xtensor<float, 1>::from_shape({mins.size()});
    qp.offset = xt::xtensor<std::int32_t, 1>::from_shape({mins.size()});
    for (std::size_t c = 0; c < mins.size(); ++c)
    {
        validate_range(mins(c), maxs(c), "[" + std::to_string(c) + "]");
        const auto [scale, offset] = detail::choose_pair<Spec>(mins(c), maxs(c));
        qp.scale(c) = scale;
        qp.offset(c) = offset;
    }
    return qp;
}
}  // namespace AMCT_ABI
}  // namespace amct
