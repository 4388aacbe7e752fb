// amct/analysis/precision.hpp: the computation precision of a layer (HMCT's qtype: int8, int16, float16,
// float32; docs/analysis.md#precision-qtype-float16-and-int16, docs/analysis.md#hmcts-quant_config) and the
// float16 simulation: float32 values rounded to IEEE 754 binary16 and back, round-to-nearest-even, overflow
// to +-inf, subnormals kept, as numpy's float16 and the F16C instruction VCVTPS2PH do. (int16 is simulated
// by the integer quantizers with num_bits = 16: see precision_config.hpp.)
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
AMCT_DECL std::string_view qtype_name(qtype q) noexcept;

namespace detail
{
/// The qtype called `name` (qtype_name's spellings; HMCT's "float" is float32), or nothing.
AMCT_DECL std::optional<qtype> find_qtype(std::string_view name) noexcept;
}  // namespace detail

/// @brief The qtype called `name` (qtype_name's spellings; HMCT's "float" is float32).
/// @throws value_error naming `name` and listing the known names.
AMCT_DECL qtype parse_qtype(std::string_view name);

/// @brief True for int8 and int16: the layer is quantized (its quant_enable in config.json).
inline bool quantized(qtype q) noexcept
{
    return q == qtype::int8 || q == qtype::int16;
}

/// @brief The bit width of a layer's activations at precision `q`: 8, 16, 16 (binary16), 32.
AMCT_DECL int activation_bits(qtype q) noexcept;

namespace detail
{
AMCT_DECL std::uint32_t float_bits(float f) noexcept;

AMCT_DECL float bits_float(std::uint32_t u) noexcept;

// float32 bit patterns of |x| (sign cleared)
inline constexpr std::uint32_t f32_inf = 0x7f800000u;
inline constexpr std::uint32_t f16_min_normal = 0x38800000u;    // 2^-14
inline constexpr std::uint32_t f16_overflow = 0x477ff000u;      // 65520: ties to 65536, i.e. inf
inline constexpr std::uint32_t f16_half_min_sub = 0x33000000u;  // 2^-25: ties to 0
}  // namespace detail

/// @brief The binary16 bit pattern nearest to `x` (round-to-nearest-even; |x| >= 65520 gives inf; a NaN
/// keeps its sign and the top 10 bits of its payload, made non-zero: numpy's npy_floatbits_to_halfbits).
AMCT_DECL std::uint16_t float16_bits(float x) noexcept;

/// @brief The float32 value of binary16 bits `h` (exact).
AMCT_DECL float float16_value(std::uint16_t h) noexcept;

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
AMCT_DECL void round_to_float16(const float* in, float* out, std::size_t n) noexcept;

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

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/precision.ipp>
#endif
