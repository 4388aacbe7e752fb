// amct/config/create_quant_config.hpp: the config.json AMCT's create_quant_config writes for a model's layers
// (amct-algorithms.md 1 and 7.1): every quantizable layer (section 9, in its ONNX, PyTorch, TF, Keras or
// Caffe spelling) with AMCT's defaults; layers in skip_layers get quant_enable false; other layers are left
// out.
#pragma once

#include <set>     // std::set
#include <string>  // std::string
#include <vector>  // std::vector

#include <amct/algo/arq.hpp>
#include <amct/config/diagnostic.hpp>
#include <amct/config/quant_config.hpp>

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

/// The keyword arguments of AMCT's create_quant_config.
struct create_quant_config_options
{
    std::vector<std::string> skip_layers;
    int batch_num = 1;
    bool activation_offset = true;
};

/// True for types whose activations AMCT quantizes symmetrically only (SYMMETRIC_LIMIT_TYPES: Conv3d).
inline bool symmetric_only_type(const std::string& type)
{
    return type == "Conv3d" || type == "Conv3D";
}

/// @brief AMCT's config.json for `layers`.
/// @throws config_error naming every skip_layers entry that is not a layer of the model, and a non-positive
/// batch_num.
inline quant_config create_quant_config(const std::vector<layer_info>& layers,
                                        const create_quant_config_options& o = {})
{
    std::vector<diagnostic> problems;
    std::set<std::string> names;
    for (const auto& l : layers)
    {
        names.insert(l.name);
    }
    for (const auto& s : o.skip_layers)
    {
        if (names.count(s) == 0)
        {
            problems.push_back(
              {{"create_quant_config", 0, 0}, "skip_layers: \"" + s + "\" is not a layer of the model"});
        }
    }
    if (o.batch_num <= 0)
    {
        problems.push_back({{"create_quant_config", 0, 0},
                            "batch_num = " + std::to_string(o.batch_num) + " must be greater than 0"});
    }
    if (!problems.empty())
    {
        throw config_error(std::move(problems));
    }
    const std::set<std::string> skip(o.skip_layers.begin(), o.skip_layers.end());
    quant_config cfg;
    cfg.batch_num = o.batch_num;
    cfg.activation_offset = o.activation_offset;
    for (const auto& l : layers)
    {
        const auto rule = find_arq_rule(l.type);
        if (!rule)
        {
            continue;  // not quantizable
        }
        layer_quant_config c;
        c.quant_enable = skip.count(l.name) == 0;
        auto& a = c.activation_quant_params;
        a.num_bits = 8;
        a.max_percentile = 0.999999;
        a.min_percentile = 0.999999;
        a.search_range = {0.7, 1.3};
        a.search_step = 0.01;
        a.act_algo = "ifmr";
        a.asymmetric = symmetric_only_type(l.type) ? false : o.activation_offset;
        auto& w = c.weight_quant_params;
        w.num_bits = 8;
        w.wts_algo = "arq_quantize";
        w.channel_wise = rule->channel_wise_default;
        cfg.layers.emplace_back(l.name, c);
    }
    return cfg;
}
}  // namespace AMCT_ABI
}  // namespace amct
