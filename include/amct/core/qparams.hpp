// amct/core/qparams.hpp: quantization parameters (scale, offset) of a quant_spec, and their validation.
#pragma once

#include <cmath>        // std::isfinite
#include <cstddef>      // std::size_t, std::ptrdiff_t
#include <cstdint>      // std::int32_t
#include <string>       // std::string, std::to_string
#include <type_traits>  // std::is_same_v
#include <vector>       // std::vector

#include <amct/base/error.hpp>
#include <amct/core/policies.hpp>
#include <amct/core/reference.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/format.hpp>
#include <amct/detail/xtensor.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief Quantization parameters: x ~= scale * (q - offset) (AMCT's "offset" is ONNX's zero_point).
/// Primary template: per_tensor.
template <class Spec, class Granularity = typename Spec::granularity_type>
struct qparams
{
    static_assert(is_quant_spec_v<Spec>, "amct: qparams<Spec>: Spec must be an amct::quant_spec");

    float scale = 1.0f;
    std::int32_t offset = 0;
};

/// Per-channel parameters: scale[c] and offset[c] apply to index c of `axis` (negative counts from the end).
template <class Spec>
struct qparams<Spec, per_channel>
{
    xt::xtensor<float, 1> scale;
    xt::xtensor<std::int32_t, 1> offset;
    std::ptrdiff_t axis = 0;
};

namespace detail
{
/// Checks one (scale, offset) pair of Spec; `channel` names the channel of per-channel parameters (-1: none).
template <class Spec>
inline void validate_pair(float scale, std::int32_t offset, std::ptrdiff_t channel)
{
    const auto where = [channel]  // built only for a message
    {
        return channel < 0 ? std::string() : "[" + std::to_string(channel) + "]";
    };
    if (!(scale > 0.0f) || !std::isfinite(scale))
    {
        throw_error<value_error>("scale" + where() + " = " + number_to_string(scale)
                                 + " must be finite and greater than 0");
    }
    if constexpr (std::is_same_v<typename Spec::scaling_type, multiply_by_reciprocal>)
    {
        if (!std::isfinite(1.0f / scale))
        {
            throw_error<value_error>(
              "scale" + where() + " = " + number_to_string(scale)
              + " has no finite float32 reciprocal (multiply_by_reciprocal needs one)");
        }
    }
    if (offset < Spec::qmin || offset > Spec::qmax)
    {
        throw_error<value_error>("offset" + where() + " = " + std::to_string(offset) + " must be in ["
                                 + std::to_string(Spec::qmin) + ", " + std::to_string(Spec::qmax) + "]");
    }
    if (Spec::is_symmetric && offset != 0)
    {
        throw_error<value_error>("offset" + where() + " = " + std::to_string(offset)
                                 + " must be 0 for a symmetric quantizer");
    }
}
}  // namespace detail

/// @brief Throws value_error if the scale is not finite and positive or the offset is outside [qmin, qmax]
/// (or non-zero for a symmetric spec).
template <class Spec>
inline void validate(const qparams<Spec, per_tensor>& qp)
{
    detail::validate_pair<Spec>(qp.scale, qp.offset, -1);
}

/// @brief Per-channel validation against a tensor shape: axis in range, one scale and offset per channel,
/// each valid.
/// @throws shape_error, value_error
template <class Spec, class Shape>
inline std::size_t validate(const qparams<Spec, per_channel>& qp, const Shape& shape)
{
    const std::size_t axis = detail::normalize_axis(qp.axis, shape.size());
    const std::size_t channels = static_cast<std::size_t>(shape[axis]);
    if (qp.scale.size() != channels || qp.offset.size() != channels)
    {
        detail::throw_error<shape_error>("per_channel parameters have " + std::to_string(qp.scale.size())
                                         + " scales and " + std::to_string(qp.offset.size())
                                         + " offsets, but axis " + std::to_string(axis) + " has "
                                         + std::to_string(channels) + " channels");
    }
    for (std::size_t c = 0; c < channels; ++c)
    {
        detail::validate_pair<Spec>(qp.scale(c), qp.offset(c), static_cast<std::ptrdiff_t>(c));
    }
    return axis;
}
}  // namespace AMCT_ABI
}  // namespace amct
