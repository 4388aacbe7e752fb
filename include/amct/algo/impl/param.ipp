// amct/algo/impl/param.ipp: the definitions of <amct/algo/param.hpp> (header-only: included by it; separate
// compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/param.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace param
{
AMCT_DECL std::string interval::text() const
{
    if (std::isinf(hi))
    {
        return std::string(lo_open ? "greater than " : "at least ") + detail::number_to_string(lo);
    }
    return std::string("in ") + (lo_open ? "(" : "[") + detail::number_to_string(lo) + ", "
           + detail::number_to_string(hi) + (hi_open ? ")" : "]");
}
}  // namespace param
}  // namespace AMCT_ABI
}  // namespace amct
