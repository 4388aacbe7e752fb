// amct/analysis/precision.hpp: the computation precision of a layer (HMCT's qtype: int8, int16, float16,
// float32; seed 004, peers.md 2.1) and the float16 simulation: float32 values rounded to IEEE 754 binary16
// and back, round-to-nearest-even, overflow to +-inf, subnormals kept, as numpy's float16 and the F16C
// instruction VCVTPS2PH do. (int16 is simulated by the integer quantizers with num_bits = 16: see
// precision_config.hpp.)
#pragma once

#include <array>        // std::array
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint16_t, std::uint32_t
#include <cstring>      // std::memcpy
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/xtensor.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
// GCC's -Wshadow counts the scoped enumerators int8 and int16 as shadowing the precision policies amct::int8
// and amct::int16 (core/policies.hpp); they cannot be confused (qtype::int8 is always qualified).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
/// @brief The precision a layer computes in, by HMCT's quant_config `qtype` (the name `precision` is taken by
/// the integer precision policies of core/policies.hpp).
enum class qtype
{
    int8,     ///< activations and weights quantized to 8 bits (amct's default)
    int16,    ///< activations quantized to 16 bits, weights to 8 (as AMCT's INT16 and HMCT's int16 nodes)
    float16,  ///< not quantized; activations and weights rounded to IEEE binary16
    float32   ///< not quantized
};
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// Every qtype, from the cheapest to the most precise.
inline constexpr std::array<qtype, 4> all_qtypes = {qtype::int8,
                                                    qtype::int16,
                                                    qtype::float16,
                                                    qtype::float32};

/// @brief HMCT's name of `q`: "int8", "int16", "float16", "float32".
inline std::string_view qtype_name(qtype q) noexcept
{
    constexpr std::array<std::string_view, 4> names = {"int8", "int16", "float16", "float32"};
    return names[static_cast<std::size_t>(q)];
}

namespace detail
{
/// The qtype called `name` (qtype_name's spellings; HMCT's "float" is float32), or nothing.
inline std::optional<qtype> find_qtype(std::string_view name) noexcept
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

/// @brief The qtype called `name` (qtype_name's spellings; HMCT's "float" is float32).
/// @throws value_error naming `name` and listing the known names.
inline qtype parse_qtype(std::string_view name)
{
    if (const auto q = detail::find_qtype(name))
    {
        return *q;
    }
    detail::throw_error<value_error>("unknown qtype \"" + std::string(name)
                                     + "\"; known: int8, int16, float16, float32 (or float)");
}

/// @brief True for int8 and int16: the layer is quantized (its quant_enable in config.json).
inline bool quantized(qtype q) noexcept
{
    return q == qtype::int8 || q == qtype::int16;
}

/// @brief The bit width of a layer's activations at precision `q`: 8, 16, 16 (binary16), 32.
inline int activation_bits(qtype q) noexcept
{
    constexpr std::array<int, 4> bits = {8, 16, 16, 32};
    return bits[static_cast<std::size_t>(q)];
}

namespace detail
{
inline std::uint32_t float_bits(float f) noexcept
{
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

inline float bits_float(std::uint32_t u) noexcept
{
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

// float32 bit patterns of |x| (sign cleared)
inline constexpr std::uint32_t f32_inf = 0x7f800000u;
inline constexpr std::uint32_t f16_min_normal = 0x38800000u;    // 2^-14
inline constexpr std::uint32_t f16_overflow = 0x477ff000u;      // 65520: ties to 65536, i.e. inf
inline constexpr std::uint32_t f16_half_min_sub = 0x33000000u;  // 2^-25: ties to 0
}  // namespace detail

/// @brief The binary16 bit pattern nearest to `x` (round-to-nearest-even; |x| >= 65520 gives inf; a NaN
/// keeps its sign and the top 10 bits of its payload, made non-zero: numpy's npy_floatbits_to_halfbits).
inline std::uint16_t float16_bits(float x) noexcept
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

/// @brief The float32 value of binary16 bits `h` (exact).
inline float float16_value(std::uint16_t h) noexcept
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

/// @brief The reference: x rounded to the nearest binary16 value, as a float32 (float16_value of
/// float16_bits).
inline float round_to_float16(float x) noexcept
{
    return float16_value(float16_bits(x));
}

/// @brief The float16 simulation kernel: out[i] = round_to_float16(in[i]) for i < n, branch-free (`out` may
/// be `in`). Normal range: a float32 rounding of the 13 low mantissa bits half to even; subnormal range:
/// (|x| + 0.5f) - 0.5f, which rounds to the binary16 subnormal step 2^-24 in the current (nearest-even)
/// rounding mode.
inline void round_to_float16(const float* in, float* out, std::size_t n) noexcept
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

/// @brief `x` rounded to binary16 elementwise, as a float32 container of the shape of `x`.
template <class E>
inline auto round_to_float16(const xt::xexpression<E>& x)
{
    const detail::contiguous_data<float> in(x.derived_cast());
    auto out = detail::make_result<E, float>(in.shape());
    round_to_float16(in.data(), out.data(), in.size());
    return out;
}
}  // namespace AMCT_ABI
}  // namespace amct
