// amct/pipeline/impl/bn_fusion.ipp: the definitions of <amct/pipeline/bn_fusion.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/pipeline/bn_fusion.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL std::unordered_map<std::string, std::vector<const graph_node*>> readers_of(
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

AMCT_DECL std::optional<xt::xarray<float>> param_copy(const model_adapter& model,
                                                      const std::string& node,
                                                      param_kind kind,
                                                      const char* name)
{
    const tensor_ref r = model.param(node, kind);
    if (r.empty())
    {
        return std::nullopt;
    }
    xt::xarray<float> copy = r.copy();
    const std::size_t bad = kernel::first_nonfinite(copy.data(), copy.size());
    if (bad != copy.size())
    {
        throw_error<value_error>("layer \"" + node + "\": " + (name ? name : to_string(kind)) + " element "
                                 + std::to_string(bad) + " is " + number_to_string(copy.flat(bad))
                                 + " (parameters from the runtime must be finite)");
    }
    return copy;
}

AMCT_DECL std::string fold_batch_norm(const graph_node& conv,
                                      const graph_node& bn,
                                      const xt::xarray<float> (&bn_params)[4],
                                      xt::xarray<float>& weight,
                                      std::optional<xt::xarray<float>>& bias)
{
    const auto& [gamma, beta, mean, var] = bn_params;
    const std::string who = "\"" + conv.name + "\" + BatchNorm \"" + bn.name + "\"";
    const std::vector<std::size_t> shape(weight.shape().begin(), weight.shape().end());
    const auto view = make_layout_view(shape, layout_of(conv), conv.groups, "layer \"" + conv.name + "\"");
    xt::xtensor<float, 2> cm;  // a copy unless the weight is [C_out, rest] already: then in place
    if (!view.identity())
    {
        cm = to_channel_major(weight, view);
    }
    const std::size_t channels = view.channels(), row = channels ? weight.size() / channels : 0;
    float* const rows = view.identity() ? weight.data() : cm.data();
    for (const auto* p : {&gamma, &beta, &mean, &var})
    {
        if (p->size() != channels)
        {
            throw_error<shape_error>(who + ": the BatchNorm has " + std::to_string(p->size())
                                     + " channels, the convolution " + std::to_string(channels));
        }
    }
    if (bias && bias->size() != channels)
    {
        throw_error<shape_error>("layer \"" + conv.name + "\": bias of " + std::to_string(bias->size())
                                 + " elements for " + std::to_string(channels) + " output channels");
    }
    xt::xarray<float> folded = xt::xarray<float>::from_shape({channels});
    const float eps = static_cast<float>(bn.epsilon);
    for (std::size_t c = 0; c < channels; ++c)
    {
        const float inv = 1.0f / std::sqrt(var.flat(c) + eps);
        const float a = gamma.flat(c) * inv;
        float* r = rows + c * row;
        for (std::size_t i = 0; i < row; ++i)
        {
            r[i] *= a;
        }
        const float bc = bias ? bias->flat(c) : 0.0f;
        folded(c) = (bc - mean.flat(c)) * inv * gamma.flat(c) + beta.flat(c);
        if (kernel::first_nonfinite(r, row) != row || !std::isfinite(folded(c)))
        {
            return who + " not fused: the fold gives non-finite values in output channel " + std::to_string(c)
                   + " (variance " + number_to_string(var.flat(c)) + ", epsilon "
                   + number_to_string(bn.epsilon) + ")";
        }
    }
    if (!view.identity())
    {
        weight = from_channel_major(cm, view, shape);
    }
    bias = std::move(folded);  // a convolution without bias gets one
    return {};
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL fusion_plan plan_batch_norm_fusion(const model_adapter& model, const quant_config& cfg)
{
    fusion_plan plan;
    if (!cfg.do_fusion)
    {
        return plan;
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
        auto weight = detail::param_copy(model, conv.name, param_kind::weight);
        if (bn.inputs.empty() || bn.inputs[0] != conv.outputs[0] || !weight)
        {
            continue;
        }
        std::optional<xt::xarray<float>> p[4];
        const param_kind kinds[4] = {
          param_kind::weight, param_kind::bias, param_kind::mean, param_kind::variance};
        const char* const names[4] = {"gamma", "beta", "mean", "variance"};
        bool complete = true;
        for (int k = 0; k < 4; ++k)
        {
            p[k] = detail::param_copy(model, bn.name, kinds[k], names[k]);
            complete = complete && p[k];
        }
        if (!complete)
        {
            plan.warnings.push_back("\"" + conv.name + "\" + BatchNorm \"" + bn.name
                                    + "\" not fused: the BatchNorm lacks gamma, beta, mean or variance");
            continue;
        }
        const xt::xarray<float> bn_params[4] = {*p[0], *p[1], *p[2], *p[3]};
        auto bias = detail::param_copy(model, conv.name, param_kind::bias);
        std::string problem = detail::fold_batch_norm(conv, bn, bn_params, *weight, bias);
        if (!problem.empty())
        {
            plan.warnings.push_back(std::move(problem));
            continue;
        }
        plan.folds.push_back({conv.name, bn.name, std::move(*weight), std::move(*bias)});
    }
    return plan;
}

AMCT_DECL fusion_report apply_fusion(model_adapter& model, const fusion_plan& plan)
{
    fusion_report report;
    report.warnings = plan.warnings;
    for (const auto& f : plan.folds)
    {
        model.set_param(f.conv, param_kind::weight, f.weight);
        model.set_param(f.conv, param_kind::bias, f.bias);
        model.remove_node(f.batch_norm);
        report.fused.emplace_back(f.conv, f.batch_norm);
    }
    return report;
}
}  // namespace AMCT_ABI
}  // namespace amct
