// amct/tensor/range.hpp: observed min/max of a tensor or of each channel, and min/max quantization
// parameters.
#pragma once

#include <cstddef>  // std::size_t
#include <string>   // std::to_string
#include <utility>  // std::pair

#include <amct/base/macros.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/simd/minmax_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief [min, max] over all elements of `e`.
/// @throws value_error if `e` is empty or contains NaN.
template <class E>
inline value_range tensor_range(const xt::xexpression<E>& e)
{
    const detail::contiguous_data<float> in(e.derived_cast());
    if (in.size() == 0)
    {
        detail::throw_error<value_error>("cannot take the range of an empty tensor");
    }
    kernel::minmax_result r;
    kernel::minmax(in.data(), in.size(), r);
    if (r.has_nan)
    {
        detail::throw_error<value_error>("tensor contains NaN");
    }
    return {r.min, r.max};
}

/// Per-channel minima and maxima along `axis`.
struct channel_ranges_result
{
    xt::xtensor<float, 1> min;
    xt::xtensor<float, 1> max;
};

/// @brief [min, max] of each index of `axis` (negative counts from the end).
/// @throws shape_error for a bad axis; value_error if a channel is empty or contains NaN (naming the
/// channel).
template <class E>
inline channel_ranges_result channel_ranges(const xt::xexpression<E>& e, std::ptrdiff_t axis)
{
    const detail::contiguous_data<float> in(e.derived_cast());
    const std::size_t a = detail::normalize_axis(axis, in.shape().size());
    const detail::axis_split s = detail::split_at(in.shape(), a);
    if (s.outer * s.inner == 0)
    {
        detail::throw_error<value_error>(
          "cannot take per-channel ranges of a tensor with no element per channel");
    }
    std::vector<kernel::minmax_result> acc(s.channels);
    for (std::size_t o = 0; o < s.outer; ++o)
    {
        for (std::size_t c = 0; c < s.channels; ++c)
        {
            kernel::minmax(in.data() + (o * s.channels + c) * s.inner, s.inner, acc[c]);
        }
    }
    channel_ranges_result r{xt::xtensor<float, 1>::from_shape({s.channels}),
                            xt::xtensor<float, 1>::from_shape({s.channels})};
    for (std::size_t c = 0; c < s.channels; ++c)
    {
        if (acc[c].has_nan)
        {
            detail::throw_error<value_error>("channel " + std::to_string(c) + " of axis " + std::to_string(a)
                                             + " contains NaN");
        }
        r.min(c) = acc[c].min;
        r.max(c) = acc[c].max;
    }
    return r;
}

/// @brief Min/max parameters of `e` (what AMCT's ARQ does for weights, docs/algorithms.md#arq-algorithm):
/// choose_qparams of its range.
template <class Spec, class E>
inline qparams<Spec, per_tensor> minmax_qparams(const xt::xexpression<E>& e)
{
    static_assert(!Spec::is_per_channel,
                  "amct: minmax_qparams(e) is per_tensor; pass an axis for per_channel");
    return choose_qparams<Spec>(tensor_range(e));
}

/// @brief Per-channel min/max parameters along `axis`.
template <class Spec, class E>
inline qparams<Spec, per_channel> minmax_qparams(const xt::xexpression<E>& e, std::ptrdiff_t axis)
{
    static_assert(Spec::is_per_channel, "amct: minmax_qparams(e, axis) is per_channel");
    const channel_ranges_result r = channel_ranges(e, axis);
    return choose_qparams<Spec>(r.min, r.max, axis);
}
}  // namespace AMCT_ABI
}  // namespace amct
