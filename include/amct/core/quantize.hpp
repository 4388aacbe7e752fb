// amct/core/quantize.hpp: quantize, dequantize and fake_quantize over any xtensor expression.
// Inputs of any rank and layout are accepted; strided views are evaluated once into contiguous storage, and
// the contiguous loops run the SIMD kernels of amct/simd/quantize_kernel.hpp.
#pragma once

#include <cstddef>  // std::size_t
#include <vector>   // std::vector

#include <amct/core/qparams.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/simd/quantize_kernel.hpp>

namespace amct
{
namespace detail
{
/// Shortest run of one channel that goes through the broadcast-parameter kernel; shorter inner extents use
/// per-element parameter arrays (channels-last layouts) so that the vector body still applies.
inline constexpr std::size_t min_uniform_run = 16;

/// Validates qp against `shape`, then calls f(first, count, params) over runs that cover every element once.
template <class Spec, class F>
inline void for_each_run(const qparams<Spec, per_tensor>& qp, const std::vector<std::size_t>& shape, F&& f)
{
    validate(qp);
    std::size_t n = 1;
    for (std::size_t d : shape)
    {
        n *= d;
    }
    f(std::size_t{0}, n, kernel::uniform_params{make_element_params<Spec>(qp.scale, qp.offset)});
}

template <class Spec, class F>
inline void for_each_run(const qparams<Spec, per_channel>& qp, const std::vector<std::size_t>& shape, F&& f)
{
    const std::size_t axis = validate(qp, shape);
    const axis_split s = split_at(shape, axis);
    std::vector<element_params> channel(s.channels);
    for (std::size_t c = 0; c < s.channels; ++c)
    {
        channel[c] = make_element_params<Spec>(qp.scale(c), qp.offset(c));
    }
    if (s.inner >= min_uniform_run)
    {
        for (std::size_t o = 0; o < s.outer; ++o)
        {
            for (std::size_t c = 0; c < s.channels; ++c)
            {
                f((o * s.channels + c) * s.inner, s.inner, kernel::uniform_params{channel[c]});
            }
        }
        return;
    }
    const std::size_t row = s.channels * s.inner;
    std::vector<element_params> expanded(row);
    for (std::size_t j = 0; j < row; ++j)
    {
        expanded[j] = channel[j / s.inner];
    }
    for (std::size_t o = 0; o < s.outer; ++o)
    {
        f(o * row, row, kernel::array_params{expanded.data()});
    }
}
}  // namespace detail

/// @brief q = clamp(round(x / scale) + offset, qmin, qmax) elementwise (amct-algorithms.md 2.1), with the
/// rounding and scaling policies of Spec. NaN gives q = offset; +-Inf saturate to qmax / qmin.
/// @return a row-major container of Spec::storage_type with the shape of `e` (xt::xtensor when the rank is
/// static).
/// @throws value_error for invalid parameters, shape_error for a per-channel mismatch.
template <class Spec, class E>
inline auto quantize(const xt::xexpression<E>& e, const qparams<Spec>& qp)
{
    using storage = typename Spec::storage_type;
    const detail::contiguous_data<float> in(e.derived_cast());
    auto out = detail::make_result<E, storage>(in.shape());
    detail::for_each_run(qp,
                         in.shape(),
                         [&](std::size_t first, std::size_t count, const auto& params)
                         {
                             kernel::quantize<Spec>(in.data() + first, out.data() + first, count, params);
                         });
    return out;
}

/// @brief x = (q - offset) * scale elementwise.
/// @return a row-major float container with the shape of `e`.
template <class Spec, class E>
inline auto dequantize(const xt::xexpression<E>& e, const qparams<Spec>& qp)
{
    using storage = typename Spec::storage_type;
    const detail::contiguous_data<storage> in(e.derived_cast());
    auto out = detail::make_result<E, float>(in.shape());
    detail::for_each_run(qp,
                         in.shape(),
                         [&](std::size_t first, std::size_t count, const auto& params)
                         {
                             kernel::dequantize<Spec>(in.data() + first, out.data() + first, count, params);
                         });
    return out;
}

/// @brief dequantize(quantize(x)) elementwise, without the integer intermediate (simulated quantization).
/// NaN gives 0.0f. The result is never -0.0f.
template <class Spec, class E>
inline auto fake_quantize(const xt::xexpression<E>& e, const qparams<Spec>& qp)
{
    const detail::contiguous_data<float> in(e.derived_cast());
    auto out = detail::make_result<E, float>(in.shape());
    detail::for_each_run(qp,
                         in.shape(),
                         [&](std::size_t first, std::size_t count, const auto& params)
                         {
                             kernel::fake_quantize<Spec>(
                               in.data() + first, out.data() + first, count, params);
                         });
    return out;
}
}  // namespace amct
