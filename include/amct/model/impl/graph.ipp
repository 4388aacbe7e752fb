// amct/model/impl/graph.ipp: the definitions of <amct/model/graph.hpp> (header-only: included by it; separate
// compilation: by <amct/src.hpp>).
#pragma once

#include <amct/model/graph.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL xt::xarray<float> tensor_ref::copy() const
{
    xt::xarray<float> a = xt::xarray<float>::from_shape(shape);
    std::copy(data, data + size(), a.begin());
    return a;
}

AMCT_DECL const char* to_string(param_kind k) noexcept
{
    switch (k)
    {
        case param_kind::weight:
            return "weight";
        case param_kind::bias:
            return "bias";
        case param_kind::mean:
            return "mean";
        case param_kind::variance:
            return "variance";
    }
    return "?";
}

AMCT_DECL weight_layout layout_of(const graph_node& n)
{
    if (n.layout)
    {
        return *n.layout;
    }
    const auto rule = find_arq_rule(n.type, n.trans_b);
    return rule ? rule->layout : weight_layout::out_in;
}
}  // namespace AMCT_ABI
}  // namespace amct
