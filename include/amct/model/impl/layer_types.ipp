// amct/model/impl/layer_types.ipp: the definitions of <amct/model/layer_types.hpp> (header-only: included by
// it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL bool type_in(std::string_view type, std::initializer_list<std::string_view> names)
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
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL std::optional<weight_rule> find_arq_rule(std::string_view type, bool trans_b)
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

AMCT_DECL weight_rule arq_rule(std::string_view type, bool trans_b)
{
    if (const auto rule = find_arq_rule(type, trans_b))
    {
        return *rule;
    }
    detail::throw_error<unsupported_error>("ARQ has no weight rule for layer type \"" + std::string(type)
                                           + "\"");
}

AMCT_DECL bool int16_activation_type(std::string_view type)
{
    const auto rule = find_arq_rule(type);
    return rule && rule->has_weight && !symmetric_only_type(type);
}

AMCT_DECL bool fusable_type(std::string_view type)
{
    const auto rule = find_arq_rule(type);
    return rule && rule->channel_wise_allowed;
}

AMCT_DECL bool is_batch_norm(std::string_view type)
{
    return detail::type_in(type,
                           {"BatchNormalization",
                            "BatchNorm",
                            "BatchNorm1d",
                            "BatchNorm2d",
                            "BatchNorm3d",
                            "FusedBatchNorm",
                            "FusedBatchNormV2",
                            "FusedBatchNormV3"});
}

AMCT_DECL std::map<std::string, std::string> types_by_name(const std::vector<layer_info>& layers)
{
    std::map<std::string, std::string> type_of;
    for (const auto& l : layers)
    {
        type_of.emplace(l.name, l.type);
    }
    return type_of;
}

AMCT_DECL std::optional<std::string> skip_fusion_problem(const std::string& name,
                                                         const std::map<std::string, std::string>& type_of)
{
    const auto it = type_of.find(name);
    if (it == type_of.end())
    {
        return "skip_fusion_layers: \"" + name + "\" is not a layer of the model";
    }
    if (!fusable_type(it->second))
    {
        return "skip_fusion_layers: \"" + name + "\" is of type " + it->second
               + "; only convolutions are fused with BatchNorm";
    }
    return std::nullopt;
}
}  // namespace AMCT_ABI
}  // namespace amct
