// amct/config/layer_types.hpp: what AMCT allows per layer type (amct-algorithms.md 7.1 and 9), in the ONNX,
// PyTorch, TF, Keras and Caffe spellings. Quantizable types and their channel rules are find_arq_rule's.
#pragma once

#include <string>       // std::string
#include <string_view>  // std::string_view

#include <amct/algo/arq.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// A layer of the model, as the runtime reports it.
struct layer_info
{
    std::string name;
    std::string type;  ///< e.g. "Conv", "Conv2d", "Conv2D", "Gemm", "MatMul", "AveragePool"
};

/// Activations quantized symmetrically only (SYMMETRIC_LIMIT_TYPES: Conv3d).
inline bool symmetric_only_type(std::string_view type)
{
    return detail::type_in(type, {"Conv3d", "Conv3D"});
}

/// Quantizable types that take INT16 activations: all but Conv3d and the pooling layers (section 9).
inline bool int16_activation_type(std::string_view type)
{
    const auto rule = find_arq_rule(type);
    return rule && rule->has_weight && !symmetric_only_type(type);
}

/// Types whose weights may be INT6 or INT7 (ARQuantize.quant_bits): Conv2d only.
inline bool narrow_weight_type(std::string_view type)
{
    return detail::type_in(type, {"Conv", "Conv2d", "Conv2D", "Convolution"});
}

/// Types a following BatchNorm folds into: the convolutions, i.e. the weighted types with output channels
/// (FUSE_TYPES Conv1d/2d/3d, depthwise, and ConvTranspose as in amct-algorithms.md 10).
inline bool fusable_type(std::string_view type)
{
    const auto rule = find_arq_rule(type);
    return rule && rule->channel_wise_allowed;
}

/// Layer name -> layer type.
inline std::map<std::string, std::string> types_by_name(const std::vector<layer_info>& layers)
{
    std::map<std::string, std::string> type_of;
    for (const auto& l : layers)
    {
        type_of.emplace(l.name, l.type);
    }
    return type_of;
}

/// Why `name` cannot be an entry of skip_fusion_layers (amct-algorithms.md 7.1: names must exist and be of a
/// fused type), or nothing when it can.
inline std::optional<std::string> skip_fusion_problem(const std::string& name,
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
