// amct/simd/finite_kernel.hpp: the first NaN or infinite element of contiguous floats.
#pragma once

#include <cmath>    // std::isfinite
#include <cstddef>  // std::size_t
#include <limits>   // std::numeric_limits

#include <amct/simd/arch.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace kernel
{
/// Index of the first element of x[0, n) that is NaN or +-Inf, or n if all are finite.
inline std::size_t first_nonfinite(const float* x, std::size_t n) noexcept
{
    std::size_t i = 0;
#if AMCT_USE_XSIMD
    using batch = xsimd::batch<float, default_arch>;
    constexpr std::size_t w = batch::size;
    const batch inf(std::numeric_limits<float>::infinity());
    for (; i + 4 * w <= n; i += 4 * w)
    {
        // |x| < inf is false exactly for NaN and +-Inf
        const auto ok = (xsimd::abs(batch::load_unaligned(x + i)) < inf)
                        & (xsimd::abs(batch::load_unaligned(x + i + w)) < inf)
                        & (xsimd::abs(batch::load_unaligned(x + i + 2 * w)) < inf)
                        & (xsimd::abs(batch::load_unaligned(x + i + 3 * w)) < inf);
        if (!xsimd::all(ok))
        {
            break;  // the scalar loop below finds the exact index
        }
    }
#endif
    for (; i < n; ++i)
    {
        if (!std::isfinite(x[i]))
        {
            return i;
        }
    }
    return n;
}
}  // namespace kernel
}  // namespace AMCT_ABI
}  // namespace amct
