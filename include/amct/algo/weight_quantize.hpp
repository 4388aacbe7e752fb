// amct/algo/weight_quantize.hpp: an ARQ result applied to its weight: the int8 weight and the fake-quantized
// float weight, in the weight's own layout (docs/algorithms.md#arq).
#pragma once

#include <cstddef>      // std::size_t
#include <cstdint>      // std::int8_t
#include <optional>     // std::optional
#include <type_traits>  // std::is_same_v
#include <vector>       // std::vector

#include <amct/algo/result.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/core/descriptor.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/xtensor.hpp>
#include <amct/model/layer_types.hpp>
#include <amct/model/weight_layout.hpp>
#include <amct/tensor/quantize.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Quantized and fake-quantized forms of a weight, in the weight's own layout.
struct quantized_weight
{
    xt::xarray<std::int8_t> q;  ///< int8 storage (int4/6/7 values stay within their narrower range); empty
                                ///< for 16 bits
    xt::xarray<float> fake;     ///< (q - offset) * scale, what calibration and simulation run with
};

namespace detail
{
/// quantize_weight's work; `out.q` only when `with_q` (else the fake weight in one pass, without int8).
template <class E>
inline quantized_weight quantize_weight(const xt::xexpression<E>& weight,
                                        const calibration_result& r,
                                        weight_layout layout,
                                        std::size_t groups,
                                        bool with_q)
{
    const auto& w = float_array(weight);
    const std::vector<std::size_t> shape(w.shape().begin(), w.shape().end());
    const auto view = make_layout_view(shape, layout, groups);
    // [C_out, rest] or [rest, C_out] (transpose_2d): quantized in place, channel axis 0 or 1; else through a
    // channel-major copy
    const bool direct = view.identity() || view.transpose_2d();
    std::optional<channel_major_matrix> cm;
    if (!direct)
    {
        cm.emplace(w, view);
    }
    quantized_weight out;
    dispatch(r.descriptor(),
             [&](auto spec)
             {
                 using S = decltype(spec);
                 if constexpr (!S::is_symmetric)
                 {
                     throw_error<unsupported_error>("ARQ weights are symmetric");
                 }
                 else
                 {
                     auto qp = to_qparams<S>(r);
                     if constexpr (S::is_per_channel)
                     {
                         qp.axis = view.transpose_2d() ? 1 : 0;
                     }
                     using storage = typename S::storage_type;
                     constexpr bool int8 = std::is_same_v<storage, std::int8_t>;  // else int16
                     const auto run = [&](const contiguous_data<float>& in)
                     {
                         xt::xtensor<float, 2> fake_cm;
                         float* fake = nullptr;
                         if (direct)
                         {
                             out.fake = xt::xarray<float>::from_shape(shape);
                             fake = out.fake.data();
                         }
                         else
                         {
                             fake_cm = xt::xtensor<float, 2>::from_shape({cm->rows, cm->cols});
                             fake = fake_cm.data();
                         }
                         if (with_q)
                         {
                             xt::xtensor<storage, 2> q_cm;
                             storage* q = nullptr;
                             if constexpr (int8)
                             {
                                 if (direct)
                                 {
                                     out.q = xt::xarray<std::int8_t>::from_shape(shape);
                                     q = out.q.data();
                                 }
                             }
                             if (!q)
                             {
                                 q_cm = xt::xtensor<storage, 2>::from_shape(
                                   {direct ? w.size() : cm->rows, direct ? std::size_t{1} : cm->cols});
                                 q = q_cm.data();
                             }
                             quantize_n(in.data(), in.shape(), qp, q);
                             dequantize_n(q, in.shape(), qp, fake);
                             if constexpr (!int8)
                             {
                                 out.q =
                                   xt::xarray<std::int8_t>::from_shape({0});  // int16: only the fake weight
                             }
                             else if (!direct)
                             {
                                 out.q = from_channel_major<std::int8_t>(q_cm, view, shape);
                             }
                         }
                         else
                         {
                             fake_quantize_n(in.data(), in.shape(), qp, fake);
                         }
                         if (!direct)
                         {
                             out.fake = from_channel_major<float>(fake_cm, view, shape);
                         }
                     };
                     if (direct)
                     {
                         run(contiguous_data<float>(w));
                     }
                     else
                     {
                         run(contiguous_data<float>(cm->expression()));
                     }
                 }
             });
    return out;
}
}  // namespace detail

/// @brief Applies an ARQ result to its weight: w_int = clamp(round(w / scale_w[c])) per output channel.
template <class E>
inline quantized_weight quantize_weight(const xt::xexpression<E>& weight,
                                        const calibration_result& r,
                                        weight_layout layout = weight_layout::out_in,
                                        std::size_t groups = 1)
{
    return detail::quantize_weight(weight, r, layout, groups, true);
}

/// @brief quantize_weight(...).fake alone, in one pass: the weight calibration runs with.
template <class E>
inline xt::xarray<float> fake_quantize_weight(const xt::xexpression<E>& weight,
                                              const calibration_result& r,
                                              weight_layout layout = weight_layout::out_in,
                                              std::size_t groups = 1)
{
    return detail::quantize_weight(weight, r, layout, groups, false).fake;
}
}  // namespace AMCT_ABI
}  // namespace amct
