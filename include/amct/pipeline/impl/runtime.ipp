// amct/pipeline/impl/runtime.ipp: the definitions of <amct/pipeline/runtime.hpp> (header-only: included by
// it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/pipeline/runtime.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL std::vector<layer_info> quantizable_layers(const model_adapter& model)
{
    std::vector<layer_info> layers;
    for (const auto& n : model.nodes())
    {
        const auto rule = find_arq_rule(n.type, n.trans_b);
        if (rule && (!rule->has_weight || !model.param(n.name, param_kind::weight).empty()))
        {
            layers.push_back({n.name, n.type});
        }
    }
    return layers;
}
}  // namespace AMCT_ABI
}  // namespace amct
