// TEMPORARY stand-in (replaced by the i7-metrics branch's precision.hpp at merge).
#pragma once
#include <cstring>
#include <string>

#include <amct/config.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
enum class qtype
{
    i8,   ///< "int8"
    i16,  ///< "int16"
    f16,  ///< "float16"
    f32   ///< "float32"
};

inline const char* qtype_name(qtype p) noexcept
{
    switch (p)
    {
        case qtype::i8:
            return "int8";
        case qtype::i16:
            return "int16";
        case qtype::f16:
            return "float16";
        case qtype::f32:
            return "float32";
    }
    return "?";
}

namespace kernel
{
inline void round_to_float16(float* x, std::size_t n) noexcept
{
    for (std::size_t i = 0; i < n; ++i)
    {
        _Float16 h = static_cast<_Float16>(x[i]);
        x[i] = static_cast<float>(h);
    }
}
}  // namespace kernel
}  // namespace AMCT_ABI
}  // namespace amct
