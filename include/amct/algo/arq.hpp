// amct/algo/arq.hpp: ARQ, AMCT's weight calibration (docs/algorithms.md#arq): symmetric min/max per output
// channel (or per tensor), no search; asymmetric with with_offset. The weight is first viewed as
// [C_out, rest] by the layout rules of docs/algorithms.md#arq-channel-axis; scale and offset follow
// choose_scale_offset (127, or 128 when |max| < |min|; scale 1 for an all-zero channel; with_offset: AMCT's
// asymmetric rule, docs/quantization.md#asymmetric).
#pragma once

#include <cstddef>      // std::size_t
#include <cstdint>      // std::int32_t
#include <limits>       // std::numeric_limits
#include <string>       // std::string, std::to_string
#include <string_view>  // std::string_view
#include <tuple>        // std::make_tuple
#include <vector>       // std::vector

#include <amct/algo/observer.hpp>
#include <amct/algo/param.hpp>
#include <amct/algo/result.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/xtensor.hpp>
#include <amct/model/layer_types.hpp>
#include <amct/model/weight_layout.hpp>
#include <amct/simd/finite_kernel.hpp>
#include <amct/simd/minmax_kernel.hpp>
#include <amct/tensor/range.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// ARQ's parameters: AMCT's ARQuantize (docs/algorithms.md, "ARQ"). num_bits 16 is an extension for the
/// int16 simulation of the tuners; config files take AMCT's 4, 6, 7 and 8. with_offset is
/// arq_cali_pytorch's argument (OSS-PY arq_impl.py): AMCT's config.json and quant.cfg have no key for it
/// (the capacity setting WEIGHT_OFFSET is False), so it is set through the API only.
struct arq_params
{
    bool channel_wise = true;  ///< unset in a file: the layer type's default (Conv true, Linear/MatMul false)
    int num_bits = 8;
    bool with_offset = false;  ///< asymmetric weights (docs/algorithms.md#arq-algorithm, step 3)

    static constexpr std::string_view name = "arq_quantize";
    static constexpr std::string_view cfg_message = "arq_quantize";
    static constexpr std::string_view cfg_type = "ARQuantize";
    static constexpr bool extension = false;

    static constexpr auto fields()
    {
        using namespace param;
        using P = arq_params;
        return std::make_tuple(
          make("channel_wise", &P::channel_wise, any{}, cfg("channel_wise"), inherit),
          make("num_bits", &P::num_bits, values(4, 6, 7, 8, 16), cfg_bits("quant_bits", 8, 6, 7, 4)),
          make("with_offset", &P::with_offset, any{}, no_cfg, api_only));
    }

    template <class R>
    static void check(const arq_params&, R&)
    {
    }
};

/// @brief ARQ on one weight: per-channel (rows of the [C_out, rest] view) or per-tensor min/max, symmetric
/// or (with_offset) asymmetric, as AMCT's arq_cali_pytorch.
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
    require_valid(p, where, "weight ");
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
    const auto view = make_layout_view(shape, layout, groups, where);  // validates the shape

    calibration_result r;
    r.num_bits = p.num_bits;
    r.asymmetric = p.with_offset;
    r.channel_wise = p.channel_wise;
    r.axis = 0;
    const std::int32_t qmin = detail::signed_qmin(p.num_bits), qmax = detail::signed_qmax(p.num_bits);
    // AMCT replaces a scale below FLT_EPS by 1 (all-zero rows); at 16 bits (the extension) a real weight
    // range of under 32767 * FLT_EPS = 3.9e-3 would be zeroed by that rule, so only zero rows get 1 there.
    // (The asymmetric rule always uses FLT_EPS.)
    const float min_scale = p.num_bits == 16 ? std::numeric_limits<float>::min() : flt_eps;
    if (p.channel_wise)
    {
        const channel_major_matrix cm(w, view);
        for (std::size_t c = 0; c < cm.rows; ++c)
        {
            kernel::minmax_result range;
            kernel::minmax(cm.data + c * cm.cols, cm.cols, range);  // cols >= 1: the weight is not empty
            const auto [s, o] =
              choose_scale_offset(range.min, range.max, qmin, qmax, !p.with_offset, min_scale);
            push_channel(r, s, o);
        }
    }
    else
    {
        const value_range range = tensor_range(w);  // min and max do not depend on the channel order
        const auto [s, o] = choose_scale_offset(range.min, range.max, qmin, qmax, !p.with_offset, min_scale);
        push_channel(r, s, o);
    }
    return r;
}
}  // namespace AMCT_ABI
}  // namespace amct
