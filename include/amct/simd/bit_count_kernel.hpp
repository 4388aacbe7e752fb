// amct/simd/bit_count_kernel.hpp: counts of floats by the top bits of their IEEE-754 pattern, with the
// batch's extremes and finiteness from the same pass.
#pragma once

#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint32_t
#include <cstring>  // std::memcpy
#include <limits>   // std::numeric_limits

#include <amct/simd/arch.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace kernel
{
/// What count_bits saw besides the counts. For a batch with NaN or Inf only `finite` is meaningful.
struct bit_count_stats
{
    float min = std::numeric_limits<float>::infinity();
    float max = -std::numeric_limits<float>::infinity();
    /// The smallest nonzero |x| with one subtracted from its bit pattern (+inf before one): then the
    /// pattern of a zero wraps to a NaN, which the minimum skips, and no select is needed.
    float min_abs_less = std::numeric_limits<float>::infinity();
    bool finite = true;

    /// Smallest nonzero |x| (+inf without one).
    float min_abs() const noexcept
    {
        if (!(min_abs_less < std::numeric_limits<float>::infinity()))
        {
            return std::numeric_limits<float>::infinity();
        }
        std::uint32_t u;
        std::memcpy(&u, &min_abs_less, 4);
        ++u;
        float a;
        std::memcpy(&a, &u, 4);
        return a;
    }

    void fold(float v) noexcept
    {
        std::uint32_t u;
        std::memcpy(&u, &v, 4);
        u &= 0x7FFFFFFFu;
        finite = finite && u < 0x7F800000u;
        --u;
        float less;
        std::memcpy(&less, &u, 4);
        min = v < min ? v : min;
        max = v > max ? v : max;
        min_abs_less = less < min_abs_less ? less : min_abs_less;
    }
};

/// Key 0 (+0.0 and the smallest denormals) is counted in t[zero + 16 j], j < bit_count_zero_slots, by value
/// position, so that a run of zeros does not make each increment wait on the previous one; the caller adds
/// those slots to t[0].
inline constexpr std::size_t bit_count_zero_slots = 4;

namespace detail
{
#if AMCT_USE_XSIMD && defined(__AVX2__)
/// For each 8-bit mask of zero lanes, the positions of the other lanes, lowest first, one byte each (the
/// permutation that moves them to the front), and their number.
struct compress_table
{
    std::uint64_t lanes[256];
    std::uint8_t kept[256];

    constexpr compress_table()
      : lanes()
      , kept()
    {
        for (std::uint32_t z = 0; z < 256; ++z)
        {
            std::uint64_t packed = 0;
            std::uint32_t k = 0;
            for (std::uint32_t j = 0; j < 8; ++j)
            {
                if (!((z >> j) & 1u))
                {
                    packed |= std::uint64_t{j} << (8 * k++);
                }
            }
            lanes[z] = packed;
            kept[z] = static_cast<std::uint8_t>(k);
        }
    }
};

inline constexpr compress_table compress_lanes{};

/// count_bits' body with AVX2: zeros (37 % of a ReLU network's activations) are only counted, the keys of
/// the other values are packed into a buffer (vpermd) and counted from there. Returns the values done.
template <int Shift>
inline std::size_t count_bits_avx2(const float* x,
                                   std::size_t n,
                                   std::uint32_t* t,
                                   std::uint32_t zero,
                                   std::uint32_t delta,
                                   bit_count_stats& s) noexcept
{
    constexpr std::size_t chunk = 256;
    const __m256i none = _mm256_setzero_si256();
    const __m256i magnitude = _mm256_set1_epi32(0x7FFFFFFF), one = _mm256_set1_epi32(1);
    __m256 lo = _mm256_set1_ps(s.min), hi = _mm256_set1_ps(s.max), lo_abs = _mm256_set1_ps(s.min_abs_less);
    __m256i top = _mm256_setzero_si256();  // the largest |x| pattern: NaN and Inf from 0x7F800000 up
    alignas(32) std::uint32_t key[chunk + 8];
    std::size_t i = 0, zeros = 0;
    for (; i + chunk <= n; i += chunk)
    {
        std::size_t m = 0;
        for (std::size_t j = 0; j < chunk; j += 8)
        {
            _mm_prefetch(reinterpret_cast<const char*>(x + i + j + 1024), _MM_HINT_T0);
            const __m256 f = _mm256_loadu_ps(x + i + j);
            const __m256i u = _mm256_castps_si256(f);
            const __m256i a = _mm256_and_si256(u, magnitude);
            top = _mm256_max_epu32(top, a);
            lo = _mm256_min_ps(lo, f);
            hi = _mm256_max_ps(hi, f);
            // min(candidate, accumulator): a zero's wrapped pattern is a NaN, which leaves the accumulator
            lo_abs = _mm256_min_ps(_mm256_castsi256_ps(_mm256_sub_epi32(a, one)), lo_abs);
            const auto z =
              static_cast<std::size_t>(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(u, none))));
            const __m256i lanes = _mm256_cvtepu8_epi32(
              _mm_loadl_epi64(reinterpret_cast<const __m128i*>(compress_lanes.lanes + z)));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(key + m),
                                _mm256_permutevar8x32_epi32(_mm256_srli_epi32(u, Shift), lanes));
            m += compress_lanes.kept[z];
        }
        zeros += chunk - m;
        std::size_t j = 0;
        for (; j + 4 <= m; j += 4)  // unrolled: the loop's own instructions are a fair share of its time
        {
            t[key[j]] += delta;
            t[key[j + 1]] += delta;
            t[key[j + 2]] += delta;
            t[key[j + 3]] += delta;
        }
        for (; j < m; ++j)
        {
            t[key[j]] += delta;
        }
    }
    t[zero] += static_cast<std::uint32_t>(zeros) * delta;
    alignas(32) float a_lo[8], a_hi[8], a_abs[8];
    _mm256_store_ps(a_lo, lo);
    _mm256_store_ps(a_hi, hi);
    _mm256_store_ps(a_abs, lo_abs);
    for (std::size_t j = 0; j < 8; ++j)
    {
        s.min = a_lo[j] < s.min ? a_lo[j] : s.min;
        s.max = a_hi[j] > s.max ? a_hi[j] : s.max;
        s.min_abs_less = a_abs[j] < s.min_abs_less ? a_abs[j] : s.min_abs_less;
    }
    alignas(32) std::uint32_t a_top[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(a_top), top);
    for (std::size_t j = 0; j < 8; ++j)
    {
        s.finite = s.finite && a_top[j] < 0x7F800000u;
    }
    return i;
}
#endif
}  // namespace detail

/// For every x[i] with bit pattern u: t[u >> Shift] += delta (mod 2^32; delta = 2^32 - 1 undoes a count),
/// key 0 spread as said above. Eight (or a vector of) values whose keys all equal take one addition (with
/// AVX2, zeros are counted apart instead). `s` receives the extremes and finiteness of x.
template <int Shift>
inline void count_bits(const float* x,
                       std::size_t n,
                       std::uint32_t* t,
                       std::uint32_t zero,
                       std::uint32_t delta,
                       bit_count_stats& s) noexcept
{
    std::size_t i = 0;
#if AMCT_USE_XSIMD && defined(__AVX2__)
    i = detail::count_bits_avx2<Shift>(x, n, t, zero, delta, s);
#elif AMCT_USE_XSIMD
    using fbatch = xsimd::batch<float, default_arch>;
    using ubatch = xsimd::batch<std::uint32_t, default_arch>;
    constexpr std::size_t w = fbatch::size;
    constexpr std::size_t step = w < 8 ? 8 : w;  // values per iteration
    constexpr std::size_t vectors = step / w;
    alignas(64) std::uint32_t slot[step], key[step];
    for (std::size_t j = 0; j < step; ++j)
    {
        slot[j] = zero + static_cast<std::uint32_t>(16 * (j % bit_count_zero_slots));
    }
    const fbatch inf(std::numeric_limits<float>::infinity());
    const ubatch magnitude(0x7FFFFFFFu), one(1u), none(0u);
    fbatch lo(s.min), hi(s.max), lo_abs(s.min_abs_less);
    auto ok = inf == inf;
    for (; i + step <= n; i += step)
    {
#if defined(__GNUC__)
        __builtin_prefetch(x + i + 1024);  // 4 KiB ahead: the scattered stores slow the hardware prefetcher
#endif
        std::uint32_t k0;
        std::memcpy(&k0, x + i, 4);
        const ubatch first(k0 >> Shift);
        auto same = first == first;
        for (std::size_t v = 0; v < vectors; ++v)
        {
            const fbatch f = fbatch::load_unaligned(x + i + v * w);
            const ubatch u = xsimd::bitwise_cast<ubatch>(f);
            const ubatch a = u & magnitude;
            ok = ok & (xsimd::bitwise_cast<fbatch>(a) < inf);
            lo = xsimd::min(lo, f);
            hi = xsimd::max(hi, f);
            // min(candidate, accumulator): a NaN candidate (a zero's wrapped pattern) leaves the accumulator
            lo_abs = xsimd::min(xsimd::bitwise_cast<fbatch>(a - one), lo_abs);
            const ubatch k = u >> Shift;
            same = same & (k == first);
            xsimd::select(u == none, ubatch::load_aligned(slot + v * w), k).store_aligned(key + v * w);
        }
        if (xsimd::all(same))
        {
            t[key[0]] += static_cast<std::uint32_t>(step) * delta;
            continue;
        }
        for (std::size_t j = 0; j < step; ++j)
        {
            t[key[j]] += delta;
        }
    }
    alignas(64) float a_lo[w], a_hi[w], a_abs[w];
    lo.store_aligned(a_lo);
    hi.store_aligned(a_hi);
    lo_abs.store_aligned(a_abs);
    for (std::size_t j = 0; j < w; ++j)
    {
        s.min = a_lo[j] < s.min ? a_lo[j] : s.min;
        s.max = a_hi[j] > s.max ? a_hi[j] : s.max;
        s.min_abs_less = a_abs[j] < s.min_abs_less ? a_abs[j] : s.min_abs_less;
    }
    s.finite = s.finite && xsimd::all(ok);
#endif
    for (; i < n; ++i)
    {
        std::uint32_t u;
        std::memcpy(&u, x + i, 4);
        t[u != 0 ? u >> Shift : zero] += delta;
        s.fold(x[i]);
    }
}
}  // namespace kernel
}  // namespace AMCT_ABI
}  // namespace amct
