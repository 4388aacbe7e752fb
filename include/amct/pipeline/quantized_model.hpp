// amct/pipeline/quantized_model.hpp: what calibration decided for each layer (the session's result), and
// how a layer's deployable tensors follow from its activation result
// (docs/quantization.md#how-the-factors-are-used-downstream, docs/model.md#deployable-outputs): the int32
// bias round(b / (scale_d * scale_w)), deq_scale = scale_d * scale_w, weight scales raised where a bias would
// overflow int32, the int8 weight and its fake-quantized float copy.
#pragma once

#include <cstdint>   // std::int32_t, std::int8_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <utility>   // std::move
#include <vector>    // std::vector

#include <amct/algo/result.hpp>
#include <amct/algo/weight_quantize.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/layer_params.hpp>
#include <amct/detail/xtensor.hpp>
#include <amct/model/layer_types.hpp>
#include <amct/model/record.hpp>
#include <amct/pipeline/deploy.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Everything calibration decided for one layer, ready to deploy or simulate.
struct quantized_layer
{
    std::string name;
    std::string type;
    calibration_result activation;       ///< scale_d / offset_d (one entry) and the clip range
    calibration_result weights;          ///< ARQ's scale_w per channel after any int32-bias raise; empty for
                                         ///< layers without weight (AvgPool)
    xt::xarray<std::int8_t> weight_int;  ///< in the weight's own layout; empty for 16-bit weights
    xt::xarray<float> weight_fake;       ///< (weight_int - 0) * scale_w: what simulation runs with
    std::vector<std::int32_t> bias_int;  ///< per output channel; empty without bias
    std::vector<float> deq_scale;        ///< scale_d * scale_w[c] per output channel

    // What the deployable tensors are computed from (set_activation), kept for simulation and tuning.
    std::optional<calibration_result> arq;        ///< ARQ's result before any raise; nullopt: no weight
    xt::xarray<float> weight_float;               ///< the float weight after BN fusion
    std::optional<xt::xarray<float>> bias_float;  ///< the float bias after BN fusion, if any
    std::vector<float> bias_correction;           ///< added to the bias before quantization; empty: none
    weight_layout layout = weight_layout::out_in;
    std::size_t groups = 1;
    std::size_t channels = 0;  ///< output channels

    /// The int32 bias as the device applies it, in float: bias_int[c] * scale_d * scale_w[c] (computed in
    /// double, then rounded once). Empty when the layer has no bias.
    AMCT_DECL xt::xarray<float> dequantized_bias() const;

    /// Whether set_activation raised a weight scale for the int32 bias.
    bool weight_scale_raised() const
    {
        return arq && arq->scale != weights.scale;
    }
};

/// The outcome of calibration.
struct quantized_model
{
    quant_record record;                  ///< AMCT's record.txt content, layers in graph order
    std::vector<quantized_layer> layers;  ///< same order
    std::vector<std::string> notes;       ///< weight scales raised for the int32 bias, BN folds skipped

    /// The layer called `name`, or nullptr.
    AMCT_DECL const quantized_layer* find(const std::string& name) const;
};

/// A layer with only what set_activation computes from (name, type, arq, weight_float, bias_float,
/// bias_correction, layout, groups, channels): a copy of `l` to calibrate again without copying its
/// deployable tensors.
AMCT_DECL quantized_layer calibration_inputs(const quantized_layer& l);

/// @brief Sets a layer's activation result and recomputes what depends on it: weights (ARQ's scales, raised
/// where the int32 bias would overflow, with a note), bias_int, deq_scale, weight_int and weight_fake.
/// The bias quantized is bias_float + bias_correction (either may be absent). `q` must hold arq,
/// weight_float, bias_float, layout, groups and channels (a layer without weight: arq nullopt, only the
/// activation is set).
AMCT_DECL void set_activation(quantized_layer& q,
                              calibration_result activation,
                              std::vector<std::string>& notes);

/// The record.txt entry of a layer (docs/model.md#the-record-file): scale_d, offset_d, scale_w, offset_w and
/// the int types; a layer without weight (AvgPool) records scale_w 1 and offset_w 0.
AMCT_DECL layer_record record_of(const quantized_layer& q);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/pipeline/impl/quantized_model.ipp>
#endif
