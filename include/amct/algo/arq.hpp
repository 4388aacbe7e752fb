// amct/algo/arq.hpp: ARQ, AMCT's weight calibration (amct-algorithms.md 5): symmetric min/max per output
// channel (or per tensor), no search. The weight is first viewed as [C_out, rest] by the layout rules of 5.2;
// scale and offset follow choose_qparams (127, or 128 when |max| < |min|; scale 1 for an all-zero channel).
#pragma once

#include <array>             // std::array
#include <cstddef>           // std::size_t
#include <initializer_list>  // std::initializer_list
#include <limits>            // std::numeric_limits
#include <optional>          // std::optional
#include <string>            // std::string
#include <string_view>       // std::string_view
#include <type_traits>       // std::is_same_v
#include <vector>            // std::vector

#include <amct/algo/observer.hpp>
#include <amct/algo/params.hpp>
#include <amct/algo/result.hpp>
#include <amct/config.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/core/descriptor.hpp>
#include <amct/core/quantize.hpp>
#include <amct/core/range.hpp>
#include <amct/detail/contiguous.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// How a weight tensor stores its output channels.
enum class weight_layout
{
    out_in,  ///< [C_out, C_in/g, k...]: Conv1d/2d/3d (depthwise, grouped), Linear, Gemm with transB = 1
    in_out_grouped,  ///< [C_in, C_out/g, k...]: ConvTranspose; viewed as [g, C_in/g, C_out/g, k] -> [C_out,
                     ///< ...]
    in_out,          ///< [K, N]: MatMul with a constant B, Gemm with transB = 0, Keras Dense (channels last)
    hwio,            ///< [kh, kw(, kd), C_in, C_out]: TF Conv2D / Conv3D (channels last)
    hw_depthwise,    ///< [kh, kw, C_in, M]: TF DepthwiseConv2dNative; channels are C_in * M
    hw_out_in        ///< [kh, kw, C_out, C_in]: TF Conv2DBackpropInput (channels on axis rank - 2)
};

/// AMCT's rule for a layer type: its weight layout and whether it quantizes weights per channel.
struct weight_rule
{
    bool has_weight = true;  ///< false for AvgPool: the record gets scale_w [1], offset_w [0]
    weight_layout layout = weight_layout::out_in;
    bool channel_wise_default = true;  ///< CHANNEL_WISE_TYPES
    bool channel_wise_allowed =
      true;  ///< AMCT rejects channel_wise = true for Linear / MatMul / Gemm / AvgPool
};

namespace detail
{
/// True when `type` is one of `names`.
inline bool type_in(std::string_view type, std::initializer_list<std::string_view> names)
{
    for (const auto n : names)
    {
        if (type == n)
        {
            return true;
        }
    }
    return false;
}
}  // namespace detail

/// The rule for a layer type in its ONNX, PyTorch, TF, Keras or Caffe spelling (amct-algorithms.md 5.2 and
/// 9), or nothing for a type ARQ does not quantize. `trans_b` is ONNX Gemm's attribute.
inline std::optional<weight_rule> find_arq_rule(std::string_view type, bool trans_b = false)
{
    auto is = [&](std::initializer_list<std::string_view> names)
    {
        return detail::type_in(type, names);
    };
    if (is({"Conv", "Conv1d", "Conv2d", "Conv3d", "Convolution"}))
    {
        return weight_rule{true, weight_layout::out_in, true, true};
    }
    if (is({"ConvTranspose", "ConvTranspose1d", "ConvTranspose2d", "Deconvolution"}))
    {
        return weight_rule{true, weight_layout::in_out_grouped, true, true};
    }
    if (is({"Conv2D", "Conv3D"}))
    {
        return weight_rule{true, weight_layout::hwio, true, true};
    }
    if (is({"DepthwiseConv2dNative", "DepthwiseConv2D"}))
    {
        return weight_rule{true, weight_layout::hw_depthwise, true, true};
    }
    if (is({"Conv2DBackpropInput", "Conv2DTranspose"}))
    {
        return weight_rule{true, weight_layout::hw_out_in, true, true};
    }
    if (is({"Linear", "InnerProduct"}))
    {
        return weight_rule{true, weight_layout::out_in, false, false};
    }
    if (is({"Gemm"}))
    {
        return weight_rule{true, trans_b ? weight_layout::out_in : weight_layout::in_out, false, false};
    }
    if (is({"MatMul", "BatchMatMul", "BatchMatMulV2", "Dense"}))
    {
        return weight_rule{true, weight_layout::in_out, false, false};
    }
    if (is({"AvgPool2d", "AveragePool", "AvgPool", "AveragePooling2D", "Pooling"}))
    {
        return weight_rule{false, weight_layout::out_in, false, false};
    }
    return std::nullopt;
}

/// @brief find_arq_rule, or @throws unsupported_error for a type ARQ does not quantize.
inline weight_rule arq_rule(std::string_view type, bool trans_b = false)
{
    if (const auto rule = find_arq_rule(type, trans_b))
    {
        return *rule;
    }
    detail::throw_error<unsupported_error>("ARQ has no weight rule for layer type \"" + std::string(type)
                                           + "\"");
}

namespace detail
{
/// The reshape and permutation that view a weight of `layout` as [C_out, rest]: view `w` as `dims`, transpose
/// it by `perm`, then the first `channel_dims` axes form C_out.
struct layout_view
{
    std::vector<std::size_t> dims;
    std::vector<std::size_t> perm;
    std::size_t channel_dims = 1;

    /// C_out: the product of the first channel_dims axes after the transpose.
    std::size_t channels() const noexcept
    {
        std::size_t c = 1;
        for (std::size_t d = 0; d < channel_dims; ++d)
        {
            c *= dims[perm[d]];
        }
        return c;
    }

    /// Whether the weight already is [C_out, rest] row-major (out_in: Conv, Linear, Gemm with transB).
    bool identity() const noexcept
    {
        for (std::size_t d = 0; d < perm.size(); ++d)
        {
            if (perm[d] != d)
            {
                return false;
            }
        }
        return true;
    }

    /// Whether the view is the transpose of a matrix (in_out, hwio, hw_depthwise).
    bool transpose_2d() const noexcept
    {
        return perm.size() == 2 && perm[0] == 1;
    }
};

/// dst[j][i] = src[i][j] for a row-major rows x cols src, in tiles that stay in cache.
template <class T>
inline void transpose(const T* src, std::size_t rows, std::size_t cols, T* dst) noexcept
{
    constexpr std::size_t tile = 32;
    for (std::size_t i0 = 0; i0 < rows; i0 += tile)
    {
        for (std::size_t j0 = 0; j0 < cols; j0 += tile)
        {
            const std::size_t i1 = i0 + tile < rows ? i0 + tile : rows,
                              j1 = j0 + tile < cols ? j0 + tile : cols;
            for (std::size_t i = i0; i < i1; ++i)
            {
                for (std::size_t j = j0; j < j1; ++j)
                {
                    dst[j * rows + i] = src[i * cols + j];
                }
            }
        }
    }
}

inline layout_view make_layout_view(const std::vector<std::size_t>& shape,
                                    weight_layout layout,
                                    std::size_t groups,
                                    const std::string& where = {})
{
    const std::string prefix = where.empty() ? std::string() : where + ": ";
    const std::size_t r = shape.size();
    auto prod = [&](std::size_t from, std::size_t to)
    {
        std::size_t p = 1;
        for (std::size_t d = from; d < to; ++d)
        {
            p *= shape[d];
        }
        return p;
    };
    auto need_rank = [&](std::size_t lo)
    {
        if (r < lo)
        {
            throw_error<shape_error>(prefix + "a weight of this layout needs rank >= " + std::to_string(lo)
                                     + ", got rank " + std::to_string(r));
        }
    };
    switch (layout)
    {
        case weight_layout::out_in:
            need_rank(1);
            return {{shape[0], prod(1, r)}, {0, 1}, 1};
        case weight_layout::in_out_grouped:
        {
            need_rank(2);
            if (groups == 0 || shape[0] % groups != 0)
            {
                throw_error<shape_error>(prefix + "ConvTranspose weight with " + std::to_string(shape[0])
                                         + " input channels cannot have " + std::to_string(groups)
                                         + " groups");
            }
            // [g, C_in/g, C_out/g, k] -> [g, C_out/g, C_in/g, k]; channel c = g_index * C_out/g + j
            return {{groups, shape[0] / groups, shape[1], prod(2, r)}, {0, 2, 1, 3}, 2};
        }
        case weight_layout::in_out:
            need_rank(2);
            return {{prod(0, r - 1), shape[r - 1]}, {1, 0}, 1};
        case weight_layout::hwio:
            need_rank(2);
            return {{prod(0, r - 1), shape[r - 1]}, {1, 0}, 1};
        case weight_layout::hw_depthwise:
            need_rank(3);
            return {{prod(0, r - 2), shape[r - 2] * shape[r - 1]}, {1, 0}, 1};
        case weight_layout::hw_out_in:
            need_rank(3);
            return {{prod(0, r - 2), shape[r - 2], shape[r - 1]}, {1, 0, 2}, 1};
    }
    return {};
}

/// `w` (row-major, `shape`) as a row-major [C_out, rest] matrix (callers use w itself for an identity view).
template <class T>
inline xt::xtensor<T, 2> to_channel_major(const xt::xarray<T>& w, const layout_view& v)
{
    const std::size_t channels = v.channels();
    if (v.transpose_2d())
    {
        xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({channels, channels ? w.size() / channels : 0});
        transpose(w.data(), v.dims[0], v.dims[1], out.data());
        return out;
    }
    xt::xarray<T> shaped = w;
    shaped.reshape(v.dims);
    xt::xarray<T> t = xt::transpose(shaped, v.perm);
    xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({channels, channels ? t.size() / channels : 0});
    std::copy(t.begin(), t.end(), out.begin());
    return out;
}

/// The inverse of to_channel_major: back to the weight's own `shape`.
template <class T>
inline xt::xarray<T> from_channel_major(const xt::xtensor<T, 2>& cm,
                                        const layout_view& v,
                                        const std::vector<std::size_t>& shape)
{
    if (v.transpose_2d())
    {
        xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
        transpose(cm.data(), v.dims[1], v.dims[0], out.data());
        return out;
    }
    std::vector<std::size_t> permuted(v.perm.size());
    for (std::size_t d = 0; d < v.perm.size(); ++d)
    {
        permuted[d] = v.dims[v.perm[d]];
    }
    xt::xarray<T> t = xt::xarray<T>::from_shape(permuted);
    std::copy(cm.begin(), cm.end(), t.begin());
    std::vector<std::size_t> inverse(v.perm.size());
    for (std::size_t d = 0; d < v.perm.size(); ++d)
    {
        inverse[v.perm[d]] = d;
    }
    xt::xarray<T> back = xt::transpose(t, inverse);
    back.reshape(shape);
    return back;
}

/// A weight as a row-major [C_out, rest] matrix: the weight's own data when its layout already is that,
/// else a copy in that order.
struct channel_major_matrix
{
    xt::xtensor<float, 2> owned;
    const float* data = nullptr;
    std::size_t rows = 0, cols = 0;

    channel_major_matrix(const xt::xarray<float>& w, const layout_view& v)
    {
        if (v.identity())
        {
            data = w.data();
            rows = v.channels();
            cols = rows ? w.size() / rows : 0;
            return;
        }
        owned = to_channel_major(w, v);
        data = owned.data();
        rows = owned.shape()[0];
        cols = owned.shape()[1];
    }

    /// The matrix as an xtensor expression (no copy).
    auto expression() const
    {
        return xt::adapt(data, rows * cols, xt::no_ownership(), std::array<std::size_t, 2>{rows, cols});
    }
};

/// `w` itself when it is an xt::xarray<float>, else its evaluation.
template <class E>
inline decltype(auto) float_array(const xt::xexpression<E>& w)
{
    if constexpr (std::is_same_v<E, xt::xarray<float>>)
    {
        return w.derived_cast();
    }
    else
    {
        return xt::xarray<float>(w.derived_cast());
    }
}
}  // namespace detail

/// @brief ARQ on one weight: per-channel (rows of the [C_out, rest] view) or per-tensor symmetric min/max.
/// The result's axis is 0 of that view, i.e. the output channel.
/// num_bits 16 is an extension for int16 simulation (analysis/tuning.hpp); AMCT's config.json allows 4 to 8.
/// @throws value_error naming the layer for NaN/Inf, an empty weight or num_bits outside {4, 6, 7, 8, 16};
/// shape_error for a layout the shape cannot have.
template <class E>
inline calibration_result arq(const xt::xexpression<E>& weight,
                              const arq_params& p,
                              weight_layout layout = weight_layout::out_in,
                              std::size_t groups = 1,
                              const std::string& layer = {})
{
    const std::string where = layer.empty() ? std::string("unnamed layer") : "layer \"" + layer + "\"";
    detail::require(p.num_bits == 4 || p.num_bits == 6 || p.num_bits == 7 || p.num_bits == 8
                      || p.num_bits == 16,
                    where,
                    "weight num_bits",
                    p.num_bits,
                    "4, 6, 7, 8 or 16");
    const auto& w = detail::float_array(weight);
    if (w.size() == 0)
    {
        detail::throw_error<value_error>(where + ": the weight is empty");
    }
    const std::size_t bad = kernel::first_nonfinite(w.data(), w.size());
    if (bad != w.size())
    {
        detail::throw_error<value_error>(where + ": weight element " + std::to_string(bad)
                                         + " is not finite");
    }
    const std::vector<std::size_t> shape(w.shape().begin(), w.shape().end());
    const auto view = detail::make_layout_view(shape, layout, groups, where);  // validates the shape

    calibration_result r;
    r.num_bits = p.num_bits;
    r.asymmetric = false;
    r.channel_wise = p.channel_wise;
    r.axis = 0;
    const std::int32_t qmin = detail::signed_qmin(p.num_bits), qmax = detail::signed_qmax(p.num_bits);
    // AMCT replaces a scale below FLT_EPS by 1 (all-zero rows); at 16 bits (the extension) a real weight
    // range of under 32767 * FLT_EPS = 3.9e-3 would be zeroed by that rule, so only zero rows get 1 there.
    const float min_scale = p.num_bits == 16 ? std::numeric_limits<float>::min() : flt_eps;
    if (p.channel_wise)
    {
        const detail::channel_major_matrix cm(w, view);
        for (std::size_t c = 0; c < cm.rows; ++c)
        {
            kernel::minmax_result range;
            kernel::minmax(cm.data + c * cm.cols, cm.cols, range);  // cols >= 1: the weight is not empty
            const auto [s, o] =
              detail::choose_scale_offset(range.min, range.max, qmin, qmax, true, min_scale);
            detail::push_channel(r, s, o);
        }
    }
    else
    {
        const value_range range = tensor_range(w);  // min and max do not depend on the channel order
        const auto [s, o] = detail::choose_scale_offset(range.min, range.max, qmin, qmax, true, min_scale);
        detail::push_channel(r, s, o);
    }
    return r;
}

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
    dispatch(
      r.descriptor(),
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
                      apply<quantize_op<S>>(in, qp, q);
                      apply<dequantize_op<S>>(
                        contiguous_data<storage>(xt::adapt(q, w.size(), xt::no_ownership(), in.shape())),
                        qp,
                        fake);
                      if constexpr (!int8)
                      {
                          out.q = xt::xarray<std::int8_t>::from_shape({0});  // int16: only the fake weight
                      }
                      else if (!direct)
                      {
                          out.q = from_channel_major<std::int8_t>(q_cm, view, shape);
                      }
                  }
                  else
                  {
                      apply<fake_quantize_op<S>>(in, qp, fake);
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
