// amct/tensor/quantize.hpp: quantize, dequantize and fake_quantize over any xtensor expression.
// Inputs of any rank and layout are accepted; strided views are evaluated once into contiguous storage, and
// the contiguous loops run the SIMD kernels of amct/simd/quantize_kernel.hpp.
#pragma once

#include <algorithm>  // std::equal
#include <cmath>      // std::floor
#include <cstddef>    // std::size_t
#include <vector>     // std::vector

#include <amct/base/macros.hpp>
#include <amct/core/qparams.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/format.hpp>
#include <amct/simd/quantize_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
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
    const std::size_t n = detail::element_count(shape);
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

/// The three elementwise operations: input and output element types, and the kernel that maps one onto the
/// other.
template <class Spec>
struct quantize_op
{
    using input_type = float;
    using output_type = typename Spec::storage_type;

    template <class Params>
    static void run(const input_type* in, output_type* out, std::size_t n, const Params& p) noexcept
    {
        kernel::quantize<Spec>(in, out, n, p);
    }
};

template <class Spec>
struct dequantize_op
{
    using input_type = typename Spec::storage_type;
    using output_type = float;

    template <class Params>
    static void run(const input_type* in, output_type* out, std::size_t n, const Params& p) noexcept
    {
        kernel::dequantize<Spec>(in, out, n, p);
    }
};

template <class Spec>
struct fake_quantize_op
{
    using input_type = float;
    using output_type = float;

    template <class Params>
    static void run(const input_type* in, output_type* out, std::size_t n, const Params& p) noexcept
    {
        kernel::fake_quantize<Spec>(in, out, n, p);
    }
};

/// Validates, then runs Op over the element_count(shape) row-major elements of `in` into `out`.
template <class Op, class Spec>
inline void apply(const typename Op::input_type* in,
                  const std::vector<std::size_t>& shape,
                  const qparams<Spec>& qp,
                  typename Op::output_type* out)
{
    for_each_run(qp,
                 shape,
                 [&](std::size_t first, std::size_t count, const auto& params)
                 {
                     Op::run(in + first, out + first, count, params);
                 });
}

/// `out` must be a row-major contiguous container of Op::output_type with the shape of `in`.
template <class Op, class Spec, class O>
inline void apply_into(const contiguous_data<typename Op::input_type>& in, const qparams<Spec>& qp, O& out)
{
    static_assert(std::is_same_v<typename O::value_type, typename Op::output_type>,
                  "amct: the output container's value_type must be the operation's output type");
    const auto& shape = out.shape();
    if (!std::equal(shape.begin(), shape.end(), in.shape().begin(), in.shape().end())
        || !is_row_major_contiguous(out))
    {
        throw_error<shape_error>("the output must be a row-major contiguous tensor with the input's shape");
    }
    apply<Op>(in.data(), in.shape(), qp, out.data() + out.data_offset());
}

/// dequantize's input, when it is not already of the storage type, must hold integers in [qmin, qmax]: a
/// value that the storage type cannot represent is an error, not a silent wrap-around.
template <class Spec, class E>
inline void check_quantized_input(const E& e)
{
    if constexpr (!std::is_same_v<typename E::value_type, typename Spec::storage_type>)
    {
        std::size_t i = 0;
        for (auto it = e.begin(); it != e.end(); ++it, ++i)
        {
            const auto v = static_cast<double>(*it);
            if (!(v >= Spec::qmin && v <= Spec::qmax) || v != std::floor(v))
            {
                throw_error<value_error>("dequantize: element " + std::to_string(i) + " = "
                                         + number_to_string(v) + " is not an integer in ["
                                         + std::to_string(Spec::qmin) + ", " + std::to_string(Spec::qmax)
                                         + "]");
            }
        }
    }
}

template <class Op, class Spec, class E>
inline auto apply_new(const E& e, const qparams<Spec>& qp)
{
    const contiguous_data<typename Op::input_type> in(e);
    auto out = make_result<E, typename Op::output_type>(in.shape());
    apply<Op>(in.data(), in.shape(), qp, out.data());
    return out;
}
}  // namespace detail

/// @brief q = clamp(round(x / scale) + offset, qmin, qmax) elementwise (docs/quantization.md#the-mapping),
/// with the rounding and scaling policies of Spec. NaN gives q = offset; +-Inf saturate to qmax / qmin.
/// Inputs of other value types are converted to float32 first.
/// @return a row-major container of Spec::storage_type with the shape of `e` (xt::xtensor when the rank is
/// static, else xt::xarray).
/// @throws value_error for invalid parameters, shape_error for a per-channel mismatch.
template <class Spec, class E>
inline auto quantize(const xt::xexpression<E>& e, const qparams<Spec>& qp)
{
    return detail::apply_new<detail::quantize_op<Spec>>(e.derived_cast(), qp);
}

/// @brief quantize into a preallocated row-major container of Spec::storage_type with the shape of `e`.
template <class Spec, class E, class O>
inline void quantize(const xt::xexpression<E>& e, const qparams<Spec>& qp, O& out)
{
    detail::apply_into<detail::quantize_op<Spec>>(detail::contiguous_data<float>(e.derived_cast()), qp, out);
}

/// @brief x = (q - offset) * scale elementwise. Inputs of another type must hold integers in [qmin, qmax].
/// @return a row-major float container with the shape of `e`.
template <class Spec, class E>
inline auto dequantize(const xt::xexpression<E>& e, const qparams<Spec>& qp)
{
    detail::check_quantized_input<Spec>(e.derived_cast());
    return detail::apply_new<detail::dequantize_op<Spec>>(e.derived_cast(), qp);
}

/// @brief dequantize into a preallocated row-major float container with the shape of `e`.
template <class Spec, class E, class O>
inline void dequantize(const xt::xexpression<E>& e, const qparams<Spec>& qp, O& out)
{
    using storage = typename Spec::storage_type;
    detail::check_quantized_input<Spec>(e.derived_cast());
    detail::apply_into<detail::dequantize_op<Spec>>(
      detail::contiguous_data<storage>(e.derived_cast()), qp, out);
}

/// @brief dequantize(quantize(x)) elementwise, without the integer intermediate (simulated quantization).
/// NaN gives 0.0f. The result is never -0.0f.
template <class Spec, class E>
inline auto fake_quantize(const xt::xexpression<E>& e, const qparams<Spec>& qp)
{
    return detail::apply_new<detail::fake_quantize_op<Spec>>(e.derived_cast(), qp);
}

/// @brief fake_quantize into a preallocated row-major float container with the shape of `e` (may be `e`
/// itself).
template <class Spec, class E, class O>
inline void fake_quantize(const xt::xexpression<E>& e, const qparams<Spec>& qp, O& out)
{
    detail::apply_into<detail::fake_quantize_op<Spec>>(
      detail::contiguous_data<float>(e.derived_cast()), qp, out);
}

/// @brief The pointer forms, for code that holds row-major buffers already: quantize_n, dequantize_n and
/// fake_quantize_n read the element_count(shape) elements at `in` and write as many at `out`.
/// @throws value_error for invalid parameters, shape_error for a per-channel mismatch with `shape`.
template <class Spec>
inline void quantize_n(const float* in,
                       const std::vector<std::size_t>& shape,
                       const qparams<Spec>& qp,
                       typename Spec::storage_type* out)
{
    detail::apply<detail::quantize_op<Spec>>(in, shape, qp, out);
}

template <class Spec>
inline void dequantize_n(const typename Spec::storage_type* in,
                         const std::vector<std::size_t>& shape,
                         const qparams<Spec>& qp,
                         float* out)
{
    detail::apply<detail::dequantize_op<Spec>>(in, shape, qp, out);
}

template <class Spec>
inline void fake_quantize_n(const float* in,
                            const std::vector<std::size_t>& shape,
                            const qparams<Spec>& qp,
                            float* out)
{
    detail::apply<detail::fake_quantize_op<Spec>>(in, shape, qp, out);
}
}  // namespace AMCT_ABI
}  // namespace amct
