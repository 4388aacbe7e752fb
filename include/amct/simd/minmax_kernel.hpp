// amct/simd/minmax_kernel.hpp: min, max and a NaN flag over contiguous floats in one pass.
#pragma once

#include <cmath>    // std::isnan
#include <cstddef>  // std::size_t
#include <limits>   // std::numeric_limits

#include <amct/simd/arch.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace kernel
{
/// Result of minmax. An empty input gives min = +inf, max = -inf. When `has_nan` is set, min and max are
/// unspecified (callers reject such data). +-0.0 compare equal, so which zero is reported is unspecified.
struct minmax_result
{
    float min = std::numeric_limits<float>::infinity();
    float max = -std::numeric_limits<float>::infinity();
    bool has_nan = false;

    /// True when every folded value was finite (no NaN, no +-Inf); false for an empty fold.
    bool all_finite() const noexcept
    {
        return !has_nan && min >= -std::numeric_limits<float>::max()
               && max <= std::numeric_limits<float>::max();
    }
};

/// Folds x[0, n) into r.
inline void minmax(const float* x, std::size_t n, minmax_result& r) noexcept
{
    std::size_t i = 0;
#if AMCT_USE_XSIMD
    using batch = xsimd::batch<float, default_arch>;
    constexpr std::size_t w = batch::size;
    if (n >= 2 * w)
    {
        batch lo0(r.min), lo1(r.min), hi0(r.max), hi1(r.max);
        auto nan = xsimd::isnan(batch(0.0f));
        for (; i + 2 * w <= n; i += 2 * w)
        {
            const batch a = batch::load_unaligned(x + i);
            const batch b = batch::load_unaligned(x + i + w);
            nan = nan | xsimd::isnan(a) | xsimd::isnan(b);
            lo0 = xsimd::min(lo0, a);
            lo1 = xsimd::min(lo1, b);
            hi0 = xsimd::max(hi0, a);
            hi1 = xsimd::max(hi1, b);
        }
        alignas(64) float lo[w], hi[w];
        xsimd::min(lo0, lo1).store_aligned(lo);
        xsimd::max(hi0, hi1).store_aligned(hi);
        for (std::size_t k = 0; k < w; ++k)
        {
            r.min = lo[k] < r.min ? lo[k] : r.min;
            r.max = hi[k] > r.max ? hi[k] : r.max;
        }
        r.has_nan = r.has_nan || xsimd::any(nan);
    }
#endif
    for (const float* p = x + i; p != x + n; ++p)
    {
        const float v = *p;
        r.has_nan = r.has_nan || std::isnan(v);
        r.min = v < r.min ? v : r.min;
        r.max = v > r.max ? v : r.max;
    }
}
}  // namespace kernel
}  // namespace AMCT_ABI
}  // namespace amct
