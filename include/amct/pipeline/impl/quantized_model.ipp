// amct/pipeline/impl/quantized_model.ipp: the definitions of <amct/pipeline/quantized_model.hpp>
// (header-only: included by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/pipeline/quantized_model.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL xt::xarray<float> quantized_layer::dequantized_bias() const
{
    xt::xarray<float> out = xt::xarray<float>::from_shape({bias_int.size()});
    for (std::size_t c = 0; c < bias_int.size(); ++c)
    {
        out(c) = static_cast<float>(static_cast<double>(bias_int[c]) * activation.scale.at(0)
                                    * weights.scale.at(weights.scale.size() == 1 ? 0 : c));
    }
    return out;
}

AMCT_DECL const quantized_layer* quantized_model::find(const std::string& name) const
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

AMCT_DECL quantized_layer calibration_inputs(const quantized_layer& l)
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

AMCT_DECL void set_activation(quantized_layer& q,
                              calibration_result activation,
                              std::vector<std::string>& notes)
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

AMCT_DECL layer_record record_of(const quantized_layer& q)
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
