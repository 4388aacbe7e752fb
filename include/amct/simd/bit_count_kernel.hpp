// amct/simd/bit_count_kernel.hpp: counts of floats by the top bits of their IEEE-754 pattern, with the batch's
// extremes and finiteness from the same pass.
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

/// For every x[i] with bit pattern u: t[u >> Shift] += delta (mod 2^32; delta = 2^32 - 1 undoes a count),
/// key 0 spread as said above. Eight (or a vector of) values whose keys all equal take one addition. `s`
/// receives the extremes and finiteness of x.
template <int Shift>
inline void count_bits(const float* x,
                       std::size_t n,
                       std::uint32_t* t,
                       std::uint32_t zero,
                       std::uint32_t delta,
                       bit_count_stats& s) noexcept
{
    std::size_t i = 0;
#if AMCT_USE_XSIMD
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
        __builtin_prefetch(x + i + 256);  // the histogram's stores hide the stream from the hardware prefetcher
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
