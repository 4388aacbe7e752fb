// amct/detail/format.hpp: numbers and shapes as amct's messages show them.
#pragma once

#include <cstddef>  // std::size_t
#include <cstdio>   // std::snprintf
#include <string>   // std::string, std::to_string
#include <vector>   // std::vector

#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// A number as error messages show it: %.9g, enough to tell float32 values apart.
inline std::string number_to_string(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

/// A shape as error messages show it: "[1, 3, 224, 224]".
inline std::string shape_string(const std::vector<std::size_t>& shape)
{
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
    {
        out += (i ? ", " : "") + std::to_string(shape[i]);
    }
    return out + "]";
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
