// amct/analysis/impl/precision.ipp: the definitions of <amct/analysis/precision.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/analysis/precision.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL std::string_view qtype_name(qtype q) noexcept
{
    constexpr std::array<std::string_view, 4> names = {"int8", "int16", "float16", "float32"};
    return names[static_cast<std::size_t>(q)];
}
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL std::optional<qtype> find_qtype(std::string_view name) noexcept
{
    for (qtype q : all_qtypes)
    {
        if (name == qtype_name(q))
        {
            return q;
        }
    }
    return name == "float" ? std::optional<qtype>(qtype::float32) : std::nullopt;
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL qtype parse_qtype(std::string_view name)
{
    if (const auto q = detail::find_qtype(name))
    {
        return *q;
    }
    detail::throw_error<value_error>("unknown qtype \"" + std::string(name)
                                     + "\"; known: int8, int16, float16, float32 (or float)");
}

AMCT_DECL int activation_bits(qtype q) noexcept
{
    constexpr std::array<int, 4> bits = {8, 16, 16, 32};
    return bits[static_cast<std::size_t>(q)];
}
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL std::uint32_t float_bits(float f) noexcept
{
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

AMCT_DECL float bits_float(std::uint32_t u) noexcept
{
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL std::uint16_t float16_bits(float x) noexcept
{
    const std::uint32_t u = detail::float_bits(x);
    const auto sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
    const std::uint32_t a = u & 0x7fffffffu;
    if (a > detail::f32_inf)  // NaN
    {
        const auto payload = static_cast<std::uint16_t>((a & 0x007fffffu) >> 13);
        return static_cast<std::uint16_t>(sign | 0x7c00u | (payload ? payload : 1u));
    }
    if (a >= detail::f16_overflow)
    {
        return static_cast<std::uint16_t>(sign | 0x7c00u);
    }
    if (a >= detail::f16_min_normal)
    {
        // rebias the exponent (127 -> 15), then round the 13 dropped mantissa bits half to even; a carry
        // into the exponent is the correct result
        const std::uint32_t rounded = a + 0x0fffu + ((a >> 13) & 1u);
        return static_cast<std::uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
    }
    if (a <= detail::f16_half_min_sub)
    {
        return sign;  // below half the smallest subnormal (2^-24), or exactly half of it (ties to even 0)
    }
    // subnormal: mantissa m = |x| 2^24 rounded half to even, with the implicit bit of a
    const int exponent = static_cast<int>(a >> 23);           // 102 .. 112
    const std::uint32_t m = (a & 0x007fffffu) | 0x00800000u;  // |x| = m 2^(exponent - 150)
    const int shift = 126 - exponent;                         // |x| 2^24 = m 2^-(shift)
    const std::uint32_t half = 1u << (shift - 1);
    std::uint32_t q = m >> shift;
    const std::uint32_t rest = m & ((1u << shift) - 1u);
    q += rest > half || (rest == half && (q & 1u)) ? 1u : 0u;
    return static_cast<std::uint16_t>(sign | q);
}

AMCT_DECL float float16_value(std::uint16_t h) noexcept
{
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0x1f)
    {
        return detail::bits_float(sign | detail::f32_inf | (m << 13));
    }
    if (e == 0)
    {
        const float v = static_cast<float>(m) * 5.9604644775390625e-08f;  // m 2^-24, exact
        return detail::bits_float(sign | detail::float_bits(v));
    }
    return detail::bits_float(sign | ((e + 112u) << 23) | (m << 13));
}

AMCT_DECL void round_to_float16(const float* in, float* out, std::size_t n) noexcept
{
    for (std::size_t i = 0; i < n; ++i)
    {
        const std::uint32_t u = detail::float_bits(in[i]);
        const std::uint32_t sign = u & 0x80000000u, a = u & 0x7fffffffu;
        const std::uint32_t normal = (a + 0x0fffu + ((a >> 13) & 1u)) & 0xffffe000u;
        const std::uint32_t sub = detail::float_bits((detail::bits_float(a) + 0.5f) - 0.5f);
        const std::uint32_t payload = a & 0x007fe000u;
        const std::uint32_t nan = detail::f32_inf | (payload ? payload : 0x00002000u);
        std::uint32_t r = a < detail::f16_min_normal ? sub : normal;
        r = a >= detail::f16_overflow ? detail::f32_inf : r;
        r = a > detail::f32_inf ? nan : r;
        out[i] = detail::bits_float(sign | r);
    }
}
}  // namespace AMCT_ABI
}  // namespace amct
