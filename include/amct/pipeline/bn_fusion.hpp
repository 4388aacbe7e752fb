// amct/pipeline/bn_fusion.hpp: folding BatchNorm into the convolution that produces its input
// (amct-algorithms.md 10). Per output channel c, in float32 as torch's fuse_conv_bn_eval:
//   inv_c = 1 / sqrt(var_c + eps),   W'[c] = W[c] * (gamma_c * inv_c),   b'_c = (b_c - mean_c) * inv_c *
//   gamma_c + beta_c
// with b = 0 for a convolution without bias. "Output channel" follows the weight layout (ConvTranspose: dim 1
// of [C_in, C_out/g, k...] per group), so Conv (depthwise, grouped), ConvTranspose and the TF layouts fold
// alike. Conditions (conv_bn_fusion_pass.py): do_fusion; the producer is a convolution not listed in
// skip_fusion_layers; its output has exactly one reader, the BatchNorm, and is not a graph output; the
// BatchNorm has all four parameters. A fold giving a non-finite value is skipped with a warning.
#pragma once

#include <cmath>          // std::sqrt, std::isfinite
#include <map>            // std::map
#include <set>            // std::set
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::pair
#include <vector>         // std::vector

#include <amct/algo/arq.hpp>
#include <amct/config.hpp>
#include <amct/config/layer_types.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/error.hpp>
#include <amct/pipeline/adapter.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// What fuse_batch_norm did.
struct fusion_report
{
    std::vector<std::pair<std::string, std::string>> fused;  ///< (convolution, BatchNorm) pairs folded
    std::vector<std::string> warnings;  ///< folds skipped, each naming the layers and why
};

namespace detail
{
/// Readers of each tensor, by tensor name.
inline std::unordered_map<std::string, std::vector<const graph_node*>> readers_of(
  const std::vector<graph_node>& nodes)
{
    std::unordered_map<std::string, std::vector<const graph_node*>> readers;
    for (const auto& n : nodes)
    {
        for (const auto& t : n.inputs)
        {
            readers[t].push_back(&n);
        }
    }
    return readers;
}

/// The folded weight and bias, or a reason the fold is skipped.
struct folded_params
{
    xt::xarray<float> weight;
    xt::xarray<float> bias;
    std::string problem;  ///< empty when the fold is good
};

inline folded_params fold_batch_norm(const graph_node& conv,
                                     const tensor_ref& w,
                                     const tensor_ref& b,
                                     const graph_node& bn,
                                     const tensor_ref (&bn_params)[4])
{
    const tensor_ref& gamma = bn_params[0];
    const tensor_ref& beta = bn_params[1];
    const tensor_ref& mean = bn_params[2];
    const tensor_ref& var = bn_params[3];
    const std::string who = "\"" + conv.name + "\" + BatchNorm \"" + bn.name + "\"";
    const std::vector<std::size_t> shape = w.shape;
    const auto view = make_layout_view(shape, layout_of(conv), conv.groups);
    xt::xtensor<float, 2> cm = to_channel_major(w.copy(), view);
    const std::size_t channels = cm.shape()[0], row = cm.shape()[1];
    for (const tensor_ref* p : {&gamma, &beta, &mean, &var})
    {
        if (p->size() != channels)
        {
            throw_error<shape_error>(who + ": the BatchNorm has " + std::to_string(p->size())
                                     + " channels, the convolution " + std::to_string(channels));
        }
    }
    if (!b.empty() && b.size() != channels)
    {
        throw_error<shape_error>("\"" + conv.name + "\": bias of " + std::to_string(b.size())
                                 + " elements for " + std::to_string(channels) + " output channels");
    }
    folded_params out;
    out.bias = xt::xarray<float>::from_shape({channels});
    const float eps = static_cast<float>(bn.epsilon);
    for (std::size_t c = 0; c < channels; ++c)
    {
        const float inv = 1.0f / std::sqrt(var.data[c] + eps);
        const float a = gamma.data[c] * inv;
        float* r = &cm(c, 0);
        bool finite = true;
        for (std::size_t i = 0; i < row; ++i)
        {
            r[i] *= a;
            finite = finite && std::isfinite(r[i]);
        }
        const float bc = b.empty() ? 0.0f : b.data[c];
        out.bias(c) = (bc - mean.data[c]) * inv * gamma.data[c] + beta.data[c];
        if (out.problem.empty() && (!finite || !std::isfinite(out.bias(c))))
        {
            out.problem = who + " not fused: the fold gives non-finite values in output channel "
                          + std::to_string(c) + " (variance " + number_to_string(var.data[c]) + ", epsilon "
                          + number_to_string(bn.epsilon) + ")";
        }
    }
    out.weight = from_channel_major(cm, view, shape);
    return out;
}
}  // namespace detail

/// @brief Folds every BatchNorm that follows a convolution into it, through the runtime's adapter.
/// @throws shape_error when a BatchNorm's channel count differs from its convolution's.
inline fusion_report fuse_batch_norm(model_adapter& model, const quant_config& cfg)
{
    fusion_report report;
    if (!cfg.do_fusion)
    {
        return report;
    }
    const std::vector<graph_node> nodes = model.nodes();
    const auto readers = detail::readers_of(nodes);
    const std::vector<std::string> outs = model.graph_outputs();
    const std::set<std::string> graph_outputs(outs.begin(), outs.end());
    const std::set<std::string> skip(cfg.skip_fusion_layers.begin(), cfg.skip_fusion_layers.end());
    for (const auto& conv : nodes)
    {
        if (!fusable_type(conv.type) || conv.outputs.size() != 1 || skip.count(conv.name))
        {
            continue;
        }
        const auto it = readers.find(conv.outputs[0]);
        if (it == readers.end() || it->second.size() != 1 || !is_batch_norm(it->second[0]->type)
            || graph_outputs.count(conv.outputs[0]))
        {
            continue;
        }
        const graph_node& bn = *it->second[0];
        if (bn.inputs.empty() || bn.inputs[0] != conv.outputs[0])
        {
            continue;
        }
        const tensor_ref w = model.param(conv.name, param_kind::weight);
        if (w.empty())
        {
            continue;
        }
        const tensor_ref bn_params[4] = {model.param(bn.name, param_kind::weight),
                                         model.param(bn.name, param_kind::bias),
                                         model.param(bn.name, param_kind::mean),
                                         model.param(bn.name, param_kind::variance)};
        bool complete = true;
        for (const auto& p : bn_params)
        {
            complete = complete && !p.empty();
        }
        if (!complete)
        {
            report.warnings.push_back("\"" + conv.name + "\" + BatchNorm \"" + bn.name
                                      + "\" not fused: the BatchNorm lacks gamma, beta, mean or variance");
            continue;
        }
        detail::folded_params f =
          detail::fold_batch_norm(conv, w, model.param(conv.name, param_kind::bias), bn, bn_params);
        if (!f.problem.empty())
        {
            report.warnings.push_back(std::move(f.problem));
            continue;
        }
        model.set_param(conv.name, param_kind::weight, f.weight);
        model.set_param(conv.name, param_kind::bias, f.bias);
        model.remove_node(bn.name);
        report.fused.emplace_back(conv.name, bn.name);
    }
    return report;
}
}  // namespace AMCT_ABI
}  // namespace amct
