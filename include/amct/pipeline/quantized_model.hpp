// amct/pipeline/quantized_model.hpp: what calibration decided for each layer (the session's result), and
// how a layer's deployable tensors follow from its activation result (amct-algorithms.md 2.5 and 8): the
// int32 bias round(b / (scale_d * scale_w)), deq_scale = scale_d * scale_w, weight scales raised where a bias
// would overflow int32, the int8 weight and its fake-quantized float copy.
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
    xt::xarray<float> dequantized_bias() const
    {
        xt::xarray<float> out = xt::xarray<float>::from_shape({bias_int.size()});
        for (std::size_t c = 0; c < bias_int.size(); ++c)
        {
            out(c) = static_cast<float>(static_cast<double>(bias_int[c]) * activation.scale.at(0)
                                        * weights.scale.at(weights.scale.size() == 1 ? 0 : c));
        }
        return out;
    }

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
    const quantized_layer* find(const std::string& name) const
    {
        for (const auto& l : layers)
        {
            if (l.name == name)
            {
                return &l;
            }
        }
        return nullptr;
    }
};

/// A layer with only what set_activation computes from (name, type, arq, weight_float, bias_float,
/// bias_correction, layout, groups, channels): a copy of `l` to calibrate again without copying its
/// deployable tensors.
inline quantized_layer calibration_inputs(const quantized_layer& l)
{
    quantized_layer q;
    q.name = l.name;
    q.type = l.type;
    q.arq = l.arq;
    q.weight_float = l.weight_float;
    q.bias_float = l.bias_float;
    q.bias_correction = l.bias_correction;
    q.layout = l.layout;
    q.groups = l.groups;
    q.channels = l.channels;
    return q;
}

/// @brief Sets a layer's activation result and recomputes what depends on it: weights (ARQ's scales, raised
/// where the int32 bias would overflow, with a note), bias_int, deq_scale, weight_int and weight_fake.
/// The bias quantized is bias_float + bias_correction (either may be absent). `q` must hold arq,
/// weight_float, bias_float, layout, groups and channels (a layer without weight: arq nullopt, only the
/// activation is set).
inline void set_activation(quantized_layer& q, calibration_result activation, std::vector<std::string>& notes)
{
    q.activation = std::move(activation);
    if (!q.arq)
    {
        return;
    }
    std::vector<float> scale_w = q.arq->scale;
    std::vector<float> bias = q.bias_correction;
    if (q.bias_float)
    {
        bias.resize(q.channels, 0.0f);
        for (std::size_t c = 0; c < q.channels; ++c)
        {
            bias[c] += (*q.bias_float)(c);
        }
    }
    bias_quantization bq = quantize_bias(
      bias.empty() ? nullptr : bias.data(), q.channels, q.activation.scale.at(0), scale_w, q.name);
    q.weights = *q.arq;
    if (!bq.notes.empty())
    {
        q.weights = calibration_result{q.arq->num_bits, false, q.arq->channel_wise, 0, {}, {}, {}, {}};
        for (float sw : scale_w)
        {
            push_channel(q.weights, sw, 0);
        }
        notes.insert(notes.end(), bq.notes.begin(), bq.notes.end());
    }
    quantized_weight qw = quantize_weight(q.weight_float, q.weights, q.layout, q.groups);
    q.weight_int = std::move(qw.q);
    q.weight_fake = std::move(qw.fake);
    q.bias_int = std::move(bq.bias);
    q.deq_scale = std::move(bq.deq_scale);
}

/// The record.txt entry of a layer (amct-algorithms.md 8): scale_d, offset_d, scale_w, offset_w and the
/// int types; a layer without weight (AvgPool) records scale_w 1 and offset_w 0.
inline layer_record record_of(const quantized_layer& q)
{
    layer_record r;
    r.scale_d = q.activation.scale.at(0);
    r.offset_d = q.activation.offset.at(0);
    r.act_type = int_type_name(q.activation.num_bits);
    if (q.arq)
    {
        r.scale_w = q.weights.scale;
        r.offset_w.assign(q.weights.offset.begin(), q.weights.offset.end());
        r.wts_type = int_type_name(q.weights.num_bits);
    }
    else
    {
        r.scale_w = {1.0f};
        r.offset_w = {0};
    }
    return r;
}
}  // namespace AMCT_ABI
}  // namespace amct
