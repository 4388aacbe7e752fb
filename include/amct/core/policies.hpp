// amct/core/policies.hpp: the compile-time policies of a quantizer (tag types) and quant_spec, which bundles
// them.
#pragma once

#include <cstdint>      // std::int8_t, std::int16_t, std::int32_t, std::uint8_t
#include <limits>       // std::numeric_limits
#include <type_traits>  // std::is_integral_v, std::is_same_v

#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
// ---- precision: storage type and representable range [qmin, qmax] (gemmlowp's OperandRange idea) ----

/// @brief An integer precision: values are stored as `Storage` and lie in [QMin, QMax].
/// Narrow ranges (AMCT's INT6/INT7 weights) are their own precision, stored in a wider type.
template <class Storage, std::int32_t QMin, std::int32_t QMax>
struct precision
{
    static_assert(std::is_integral_v<Storage> && !std::is_same_v<Storage, bool>,
                  "amct: precision<Storage, QMin, QMax>: Storage must be an integer type");
    static_assert(QMin < QMax, "amct: precision<Storage, QMin, QMax>: QMin must be less than QMax");
    static_assert(QMin >= std::numeric_limits<Storage>::min() && QMax <= std::numeric_limits<Storage>::max(),
                  "amct: precision<Storage, QMin, QMax>: the range must fit the storage type");
    static_assert(
      std::int64_t{QMax} - QMin < (std::int64_t{1} << 24),
      "amct: precision<Storage, QMin, QMax>: at most 2^24 levels (the kernels clamp exactly in float32)");

    using storage_type = Storage;
    static constexpr std::int32_t qmin = QMin;
    static constexpr std::int32_t qmax = QMax;
    static constexpr bool is_signed = QMin < 0;

    /// Number of bits b with 2^b = qmax - qmin + 1.
    static constexpr int bits = []
    {
        int b = 0;
        for (std::int64_t levels = std::int64_t{QMax} - QMin + 1; levels > 1; levels >>= 1)
        {
            ++b;
        }
        return b;
    }();
};

using int4 = precision<std::int8_t, -8, 7>;
using int6 = precision<std::int8_t, -32, 31>;
using int7 = precision<std::int8_t, -64, 63>;
using int8 = precision<std::int8_t, -128, 127>;
using int16 = precision<std::int16_t, -32768, 32767>;
using uint8 = precision<std::uint8_t, 0, 255>;

// ---- scheme ----

/// offset = 0, scale = max(|min|, |max|) / L (AMCT symmetric rule, docs/quantization.md#symmetric).
struct symmetric
{
};

/// The range is widened to contain 0 and mapped onto [qmin, qmax] with an integer offset
/// (docs/quantization.md#asymmetric).
struct asymmetric
{
};

// ---- granularity ----

/// One scale and offset for the whole tensor.
struct per_tensor
{
};

/// One scale and offset per index of a runtime axis (qparams::axis).
struct per_channel
{
};

// ---- rounding ----

/// Ties to even (torch.round, ONNX QuantizeLinear, std::nearbyint under FE_TONEAREST). amct's default.
struct round_half_to_even
{
};

/// Ties away from zero (std::round; AMCT's C++ core).
struct round_half_away_from_zero
{
};

// ---- scaling: how x is brought to the integer grid ----

/// v = x / scale (AMCT's quantize formula, docs/quantization.md#the-mapping; IFMR, ONNX QuantizeLinear).
/// amct's default.
struct divide_by_scale
{
};

/// v = x * (1.0f / scale) with the float32 reciprocal (PyTorch fake_quantize_*, AscendQuant, FBGEMM).
struct multiply_by_reciprocal
{
};

// ---- traits ----

template <class T>
struct is_precision : std::false_type
{
};

template <class S, std::int32_t L, std::int32_t H>
struct is_precision<precision<S, L, H>> : std::true_type
{
};

template <class T>
inline constexpr bool is_precision_v = is_precision<T>::value;

template <class T>
inline constexpr bool is_scheme_v = std::is_same_v<T, symmetric> || std::is_same_v<T, asymmetric>;

template <class T>
inline constexpr bool is_granularity_v = std::is_same_v<T, per_tensor> || std::is_same_v<T, per_channel>;

template <class T>
inline constexpr bool is_rounding_v =
  std::is_same_v<T, round_half_to_even> || std::is_same_v<T, round_half_away_from_zero>;

template <class T>
inline constexpr bool is_scaling_v =
  std::is_same_v<T, divide_by_scale> || std::is_same_v<T, multiply_by_reciprocal>;

// ---- quant_spec ----

/// @brief The full compile-time description of a quantizer, in a fixed order:
/// what is stored, how it is mapped, how finely, how it is rounded, how x is scaled.
/// @code
/// using weight_spec = amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>;
/// @endcode
template <class Precision,
          class Scheme,
          class Granularity,
          class Rounding = round_half_to_even,
          class Scaling = divide_by_scale>
struct quant_spec
{
    static_assert(
      is_precision_v<Precision>,
      "amct: quant_spec<Precision, Scheme, Granularity[, Rounding, Scaling]>: 1st argument must be an "
      "amct::precision (amct::int8, amct::uint8, ...)");
    static_assert(
      is_scheme_v<Scheme>,
      "amct: quant_spec<Precision, Scheme, Granularity[, Rounding, Scaling]>: 2nd argument must be "
      "amct::symmetric or amct::asymmetric");
    static_assert(
      is_granularity_v<Granularity>,
      "amct: quant_spec<Precision, Scheme, Granularity[, Rounding, Scaling]>: 3rd argument must be "
      "amct::per_tensor or amct::per_channel");
    static_assert(
      is_rounding_v<Rounding>,
      "amct: quant_spec<Precision, Scheme, Granularity[, Rounding, Scaling]>: 4th argument must be "
      "amct::round_half_to_even or amct::round_half_away_from_zero");
    static_assert(
      is_scaling_v<Scaling>,
      "amct: quant_spec<Precision, Scheme, Granularity[, Rounding, Scaling]>: 5th argument must be "
      "amct::divide_by_scale or amct::multiply_by_reciprocal");
    static_assert(!std::is_same_v<Scheme, symmetric> || Precision::is_signed,
                  "amct: quant_spec: the symmetric scheme needs a signed precision");

    using precision_type = Precision;
    using scheme_type = Scheme;
    using granularity_type = Granularity;
    using rounding_type = Rounding;
    using scaling_type = Scaling;
    using storage_type = typename Precision::storage_type;

    static constexpr std::int32_t qmin = Precision::qmin;
    static constexpr std::int32_t qmax = Precision::qmax;
    static constexpr int bits = Precision::bits;
    static constexpr bool is_symmetric = std::is_same_v<Scheme, symmetric>;
    static constexpr bool is_per_channel = std::is_same_v<Granularity, per_channel>;
};

template <class T>
struct is_quant_spec : std::false_type
{
};

template <class P, class S, class G, class R, class C>
struct is_quant_spec<quant_spec<P, S, G, R, C>> : std::true_type
{
};

template <class T>
inline constexpr bool is_quant_spec_v = is_quant_spec<T>::value;

/// The same spec with another granularity (per-channel parameters reuse the per-tensor scalar code).
template <class Spec, class Granularity>
using with_granularity_t = quant_spec<typename Spec::precision_type,
                                      typename Spec::scheme_type,
                                      Granularity,
                                      typename Spec::rounding_type,
                                      typename Spec::scaling_type>;
}  // namespace AMCT_ABI
}  // namespace amct
