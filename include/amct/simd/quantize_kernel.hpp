// amct/simd/quantize_kernel.hpp: contiguous quantize / dequantize / fake_quantize loops.
// Each equals the scalar reference of amct/core/reference.hpp bit for bit
// (tests/simd/test_quantize_kernel.cpp): the vector body uses the same IEEE operations (divide or multiply,
// round, min, max) lane by lane, and the tail calls the reference itself. No validation happens here; the
// public functions validate once.
#pragma once

#include <cstddef>      // std::size_t
#include <cstdint>      // std::int32_t
#include <cstring>      // std::memcpy
#include <type_traits>  // std::is_base_of_v, std::is_same_v

#include <amct/core/reference.hpp>
#include <amct/simd/arch.hpp>

// GCC 12 reports -Wmaybe-uninitialized inside its own avx512fintrin.h once the intrinsics are inlined here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace amct
{
inline namespace AMCT_ABI
{
namespace kernel
{
/// Parameters shared by every element (per tensor, or one channel's run of elements).
struct uniform_params
{
    element_params p;

    const element_params& at(std::size_t) const noexcept
    {
        return p;
    }
};

/// Parameters given per element through arrays (a channels-last row: element i uses index i).
struct array_params
{
    const element_params* p;

    const element_params& at(std::size_t i) const noexcept
    {
        return p[i];
    }
};

#if AMCT_USE_XSIMD
namespace detail
{
template <class Arch>
using fbatch = xsimd::batch<float, Arch>;
template <class Arch>
using ibatch = xsimd::batch<std::int32_t, Arch>;

/// Lane-wise constants, broadcast from uniform_params or gathered from array_params.
template <class Arch>
struct batch_params
{
    fbatch<Arch> factor, scale, lo, hi;
    ibatch<Arch> offset;
};

template <class Arch>
inline batch_params<Arch> load_params(const uniform_params& u, std::size_t) noexcept
{
    return {fbatch<Arch>(u.p.factor),
            fbatch<Arch>(u.p.scale),
            fbatch<Arch>(u.p.lo),
            fbatch<Arch>(u.p.hi),
            ibatch<Arch>(u.p.offset)};
}

template <class Arch>
inline batch_params<Arch> load_params(const array_params& a, std::size_t i) noexcept
{
    constexpr std::size_t w = fbatch<Arch>::size;
    alignas(64) float factor[w], scale[w], lo[w], hi[w];
    alignas(64) std::int32_t offset[w];
    for (std::size_t j = 0; j < w; ++j)
    {
        const element_params& p = a.p[i + j];
        factor[j] = p.factor;
        scale[j] = p.scale;
        lo[j] = p.lo;
        hi[j] = p.hi;
        offset[j] = p.offset;
    }
    return {fbatch<Arch>::load_aligned(factor),
            fbatch<Arch>::load_aligned(scale),
            fbatch<Arch>::load_aligned(lo),
            fbatch<Arch>::load_aligned(hi),
            ibatch<Arch>::load_aligned(offset)};
}

template <class Arch>
inline fbatch<Arch> round_batch(const fbatch<Arch>& v, round_half_to_even) noexcept
{
    return xsimd::nearbyint(v);
}

template <class Arch>
inline fbatch<Arch> round_batch(const fbatch<Arch>& v, round_half_away_from_zero) noexcept
{
    return xsimd::round(v);
}

/// v = x / scale or x * (1 / scale), clamped to [qmin - offset, qmax - offset], NaN replaced by 0. Clamping
/// before rounding equals clamping after it because both bounds are integers.
template <class Spec, class Arch>
inline fbatch<Arch> scaled_clamped(const fbatch<Arch>& x, const batch_params<Arch>& bp) noexcept
{
    fbatch<Arch> v;
    if constexpr (std::is_same_v<typename Spec::scaling_type, multiply_by_reciprocal>)
    {
        v = x * bp.factor;
    }
    else
    {
        v = x / bp.factor;
    }
    const fbatch<Arch> c = xsimd::min(xsimd::max(v, bp.lo), bp.hi);
    return xsimd::select(xsimd::isnan(v), fbatch<Arch>(0.0f), c);
}

/// Vector form of reference::quantize_shifted (q - offset as a float, never -0.0f).
template <class Spec, class Arch>
inline fbatch<Arch> quantize_shifted(const fbatch<Arch>& x, const batch_params<Arch>& bp) noexcept
{
    return round_batch(scaled_clamped<Spec>(x, bp), typename Spec::rounding_type{}) + fbatch<Arch>(0.0f);
}

/// Vector form of reference::quantize, as int32 lanes.
template <class Spec, class Arch>
inline ibatch<Arch> quantize_int(const fbatch<Arch>& x, const batch_params<Arch>& bp) noexcept
{
    const fbatch<Arch> c = scaled_clamped<Spec>(x, bp);
    if constexpr (std::is_same_v<typename Spec::rounding_type, round_half_to_even>)
    {
        return xsimd::nearbyint_as_int(c) + bp.offset;  // |c| < 2^16: the conversion is exact
    }
    else
    {
        return xsimd::batch_cast<std::int32_t>(xsimd::round(c)) + bp.offset;
    }
}

/// Stores 4 batches of int32 lanes (all within the storage type's range) as 4 * size narrow integers.
template <class Storage, class Arch>
inline void store_narrow(const ibatch<Arch> (&b)[4], Storage* out) noexcept
{
    constexpr bool packable =
      std::is_same_v<
        Storage,
        std::int8_t> || std::is_same_v<Storage, std::uint8_t> || std::is_same_v<Storage, std::int16_t>;
#if defined(__AVX512BW__)
    if constexpr (packable && std::is_base_of_v<xsimd::avx512f, Arch>)
    {
        for (int k = 0; k < 4; ++k)
        {
            const __m512i v = b[k];
            if constexpr (std::is_same_v<Storage, std::int8_t>)
            {
                _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * k), _mm512_cvtsepi32_epi8(v));
            }
            else if constexpr (std::is_same_v<Storage, std::uint8_t>)
            {
                _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * k), _mm512_cvtusepi32_epi8(v));
            }
            else
            {
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16 * k), _mm512_cvtsepi32_epi16(v));
            }
        }
        return;
    }
#endif
#if defined(__AVX2__)
    if constexpr (packable && std::is_base_of_v<xsimd::avx2, Arch>)
    {
        // packs work per 128-bit lane; the permutation restores element order.
        const __m256i ab = _mm256_packs_epi32(b[0], b[1]);
        const __m256i cd = _mm256_packs_epi32(b[2], b[3]);
        if constexpr (std::is_same_v<Storage, std::int16_t>)
        {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permute4x64_epi64(ab, 0xD8));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16), _mm256_permute4x64_epi64(cd, 0xD8));
        }
        else
        {
            const __m256i bytes =
              std::is_same_v<Storage, std::int8_t> ? _mm256_packs_epi16(ab, cd) : _mm256_packus_epi16(ab, cd);
            const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permutevar8x32_epi32(bytes, order));
        }
        return;
    }
#endif
#if defined(__SSE2__)
    if constexpr (packable && std::is_base_of_v<xsimd::sse2, Arch>)
    {
        const __m128i ab = _mm_packs_epi32(b[0], b[1]);
        const __m128i cd = _mm_packs_epi32(b[2], b[3]);
        if constexpr (std::is_same_v<Storage, std::int16_t>)
        {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out), ab);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 8), cd);
        }
        else
        {
            const __m128i bytes =
              std::is_same_v<Storage, std::int8_t> ? _mm_packs_epi16(ab, cd) : _mm_packus_epi16(ab, cd);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
        }
        return;
    }
#endif
    constexpr std::size_t w = ibatch<Arch>::size;
    alignas(64) std::int32_t tmp[4 * w];
    for (std::size_t k = 0; k < 4; ++k)
    {
        b[k].store_aligned(tmp + k * w);
    }
    for (std::size_t k = 0; k < 4 * w; ++k)
    {
        out[k] = static_cast<Storage>(tmp[k]);
    }
}

/// Loads size() narrow integers as int32 lanes (sign- or zero-extended).
template <class Storage, class Arch>
inline ibatch<Arch> load_widen(const Storage* in) noexcept
{
    constexpr bool s8 = std::is_same_v<Storage, std::int8_t>;
    constexpr bool u8 = std::is_same_v<Storage, std::uint8_t>;
    constexpr bool widenable = s8 || u8 || std::is_same_v<Storage, std::int16_t>;
#if defined(__AVX512BW__)
    if constexpr (widenable && std::is_base_of_v<xsimd::avx512f, Arch>)
    {
        if constexpr (s8 || u8)
        {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
            return s8 ? _mm512_cvtepi8_epi32(v) : _mm512_cvtepu8_epi32(v);
        }
        else
        {
            return _mm512_cvtepi16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in)));
        }
    }
#endif
#if defined(__AVX2__)
    if constexpr (widenable && std::is_base_of_v<xsimd::avx2, Arch>)
    {
        if constexpr (s8 || u8)
        {
            const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in));
            return s8 ? _mm256_cvtepi8_epi32(v) : _mm256_cvtepu8_epi32(v);
        }
        else
        {
            return _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in)));
        }
    }
#endif
#if defined(__SSE2__)
    if constexpr (widenable && std::is_base_of_v<xsimd::sse2, Arch>)
    {
        if constexpr (s8 || u8)
        {
            std::int32_t four;
            std::memcpy(&four, in, 4);
            const __m128i v = _mm_cvtsi32_si128(four);
            if constexpr (s8)  // duplicate each byte into the top of its lane, then shift arithmetically
            {
                const __m128i b = _mm_unpacklo_epi8(v, v);
                return _mm_srai_epi32(_mm_unpacklo_epi16(b, b), 24);
            }
            else
            {
                const __m128i zero = _mm_setzero_si128();
                return _mm_unpacklo_epi16(_mm_unpacklo_epi8(v, zero), zero);
            }
        }
        else
        {
            const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in));
            return _mm_srai_epi32(_mm_unpacklo_epi16(v, v), 16);
        }
    }
#endif
    constexpr std::size_t w = ibatch<Arch>::size;
    alignas(64) std::int32_t tmp[w];
    for (std::size_t k = 0; k < w; ++k)
    {
        tmp[k] = in[k];
    }
    return ibatch<Arch>::load_aligned(tmp);
}
}  // namespace detail
#endif

/// q[i] = reference::quantize<Spec>(x[i], params.at(i)) for i in [0, n).
template <class Spec, class Params>
inline void quantize(const float* x,
                     typename Spec::storage_type* q,
                     std::size_t n,
                     const Params& params) noexcept
{
    std::size_t i = 0;
#if AMCT_USE_XSIMD
    using arch = default_arch;
    constexpr std::size_t w = detail::fbatch<arch>::size;
    for (; i + 4 * w <= n; i += 4 * w)
    {
        detail::ibatch<arch> b[4];
        for (std::size_t k = 0; k < 4; ++k)
        {
            const auto bp = detail::load_params<arch>(params, i + k * w);
            b[k] = detail::quantize_int<Spec, arch>(detail::fbatch<arch>::load_unaligned(x + i + k * w), bp);
        }
        detail::store_narrow(b, q + i);
    }
#endif
    for (; i < n; ++i)
    {
        q[i] = reference::quantize<Spec>(x[i], params.at(i));
    }
}

/// x[i] = reference::dequantize<Spec>(q[i], params.at(i)) for i in [0, n).
template <class Spec, class Params>
inline void dequantize(const typename Spec::storage_type* q,
                       float* x,
                       std::size_t n,
                       const Params& params) noexcept
{
    std::size_t i = 0;
#if AMCT_USE_XSIMD
    using arch = default_arch;
    constexpr std::size_t w = detail::fbatch<arch>::size;
    for (; i + w <= n; i += w)
    {
        const auto bp = detail::load_params<arch>(params, i);
        const auto shifted = detail::load_widen<typename Spec::storage_type, arch>(q + i) - bp.offset;
        (xsimd::batch_cast<float>(shifted) * bp.scale).store_unaligned(x + i);
    }
#endif
    for (; i < n; ++i)
    {
        x[i] = reference::dequantize<Spec>(q[i], params.at(i));
    }
}

/// y[i] = reference::fake_quantize<Spec>(x[i], params.at(i)) for i in [0, n); y may alias x.
template <class Spec, class Params>
inline void fake_quantize(const float* x, float* y, std::size_t n, const Params& params) noexcept
{
    std::size_t i = 0;
#if AMCT_USE_XSIMD
    using arch = default_arch;
    constexpr std::size_t w = detail::fbatch<arch>::size;
    for (; i + w <= n; i += w)
    {
        const auto bp = detail::load_params<arch>(params, i);
        const auto r = detail::quantize_shifted<Spec, arch>(detail::fbatch<arch>::load_unaligned(x + i), bp);
        (r * bp.scale).store_unaligned(y + i);
    }
#endif
    for (; i < n; ++i)
    {
        y[i] = reference::fake_quantize<Spec>(x[i], params.at(i));
    }
}
}  // namespace kernel
}  // namespace AMCT_ABI
}  // namespace amct

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
