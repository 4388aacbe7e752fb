// amct/algo/weight_quantize.hpp: an ARQ result applied to its weight: the int8 weight and the fake-quantized
// float weight, in the weight's own layout (docs/algorithms.md#arq).
#pragma once

#include <array>        // std::array
#include <cmath>        // std::nearbyint
#include <cstddef>      // std::size_t
#include <cstdint>      // std::int8_t
#include <string>       // std::to_string
#include <type_traits>  // std::is_same_v
#include <vector>       // std::vector

#include <amct/algo/result.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/core/descriptor.hpp>
#include <amct/core/qparams.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/xtensor.hpp>
#include <amct/model/layer_types.hpp>
#include <amct/model/weight_layout.hpp>
#include <amct/simd/finite_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Quantized and fake-quantized forms of a weight, in the weight's own layout.
struct quantized_weight
{
    xt::xarray<std::int8_t> q;  ///< int8 storage (int4/6/7 values stay within their narrower range); empty
                                ///< for 16 bits
    xt::xarray<float> fake;     ///< (q - offset) * scale, what calibration and simulation run with (AMCT's
                                ///< arithmetic, signed zeros included)
};

namespace detail
{
// clang-format off
/// @brief AMCT's quantization of one weight element (OSS-PY custom_op/utils.py apply_fake_quantize,
/// apply_fake_quantize_and_anti_quantize; utils/data_utils.py convert_precision), float32 throughout:
///
///   v = x / s + o             (o converted to float)
///   q = clamp(round_half_even(v), qmin, qmax)
///   w' = (q - o) * s          (the fake-quantized weight)
///
/// Unlike reference::fake_quantize (PyTorch's fake_quantize_per_*_affine, never -0.0), w' keeps the sign
/// of zero AMCT's arithmetic gives: -0.0 when o = 0 and x / s rounds to -0.0 (x / s in [-0.5, 0)); +0.0
/// for x = -0.0 (-0.0 + 0 = +0.0). With an offset, round(x / s + o) may differ from round(x / s) + o
/// where the float sum rounds (docs/quantization.md#signed-zeros).
// clang-format on
inline float amct_quantized_value(float x, float scale, float offset, float qmin, float qmax) noexcept
{
    float q = std::nearbyint(x / scale + offset);
    q = q < qmin ? qmin : q;  // torch.clamp keeps -0.0
    return q > qmax ? qmax : q;
}

/// quantize_weight's work; `out.q` only when `with_q` and 4 to 8 bits (else the fake weight alone).
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
    // AMCT's check_quant_data refuses NaN and Inf weights (and a NaN has no int8 value)
    const std::size_t bad = kernel::first_nonfinite(w.data(), w.size());
    if (bad != w.size())
    {
        throw_error<value_error>("quantize_weight: weight element " + std::to_string(bad) + " is not finite");
    }
    const channel_major_matrix cm(w, view);  // w's own data for an identity view, else a copy
    float qmin = 0.0f, qmax = 0.0f;
    bool int8 = false;
    dispatch(r.descriptor(),
             [&](auto spec)
             {
                 using S = decltype(spec);
                 auto qp = to_qparams<S>(r);  // per_tensor: validated here
                 if constexpr (S::is_per_channel)
                 {
                     qp.axis = 0;
                     validate(qp, std::array<std::size_t, 2>{cm.rows, cm.cols});
                 }
                 int8 = std::is_same_v<typename S::storage_type, std::int8_t>;
                 qmin = static_cast<float>(S::qmin);
                 qmax = static_cast<float>(S::qmax);
             });
    const bool store_q = with_q && int8;
    // An identity view is row-major [C, rest] already: the results are written in place; other layouts go
    // through channel-major buffers and are permuted back once.
    const bool direct = view.identity();
    quantized_weight result;
    xt::xtensor<float, 2> fake_cm;
    xt::xtensor<std::int8_t, 2> q_cm;
    float* fake = nullptr;
    std::int8_t* q = nullptr;
    if (direct)
    {
        result.fake = xt::xarray<float>::from_shape(shape);
        fake = result.fake.data();
        result.q = xt::xarray<std::int8_t>::from_shape(store_q ? shape : std::vector<std::size_t>{0});
        q = result.q.data();
    }
    else
    {
        fake_cm = xt::xtensor<float, 2>::from_shape({cm.rows, cm.cols});
        fake = fake_cm.data();
        q_cm = xt::xtensor<std::int8_t, 2>::from_shape({store_q ? cm.rows : 0, store_q ? cm.cols : 0});
        q = q_cm.data();
    }
    for (std::size_t c = 0; c < cm.rows; ++c)
    {
        const std::size_t k = r.channel_wise ? c : 0;
        const float s = r.scale[k], o = static_cast<float>(r.offset[k]);
        const float* in = cm.data + c * cm.cols;
        float* out = fake + c * cm.cols;
        for (std::size_t j = 0; j < cm.cols; ++j)
        {
            const float v = amct_quantized_value(in[j], s, o, qmin, qmax);
            out[j] = (v - o) * s;
            if (store_q)
            {
                q[c * cm.cols + j] = static_cast<std::int8_t>(v);
            }
        }
    }
    if (!direct)
    {
        result.fake = from_channel_major<float>(fake_cm, view, shape);
        result.q = store_q ? from_channel_major<std::int8_t>(q_cm, view, shape)
                           : xt::xarray<std::int8_t>::from_shape({0});
    }
    return result;
}
}  // namespace detail

/// @brief Applies an ARQ result (symmetric or with_offset) to its weight as AMCT does, per output channel c:
/// w_int = clamp(round(w / scale_w[c] + offset_w[c])), fake = (w_int - offset_w[c]) * scale_w[c]
/// (detail::amct_quantized_value; AMCT's signed zeros, docs/quantization.md#signed-zeros).
/// `q` is empty for 16 bits.
/// @throws value_error for a NaN or Inf weight or invalid parameters; shape_error for a channel count that
/// differs from the weight's.
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
