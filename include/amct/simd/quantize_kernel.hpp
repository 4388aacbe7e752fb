// amct/simd/quantize_kernel.hpp: contiguous quantize / dequantize / fake_quantize loops.
// Each equals the scalar reference of amct/core/reference.hpp bit for bit (tests/test_quantize_kernel.cpp):
// the vector body uses the same IEEE operations (divide or multiply, round, min, max) lane by lane, and the
// tail calls the reference itself. No validation happens here; the public functions validate once.
#pragma once

#include <cstddef>  // std::size_t
#include <cstdint>  // std::int32_t

#include <amct/core/reference.hpp>
#include <amct/simd/arch.hpp>

namespace amct::kernel
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

/// Vector form of reference::quantize_shifted.
template <class Spec, class Arch>
inline fbatch<Arch> quantize_shifted(const fbatch<Arch>& x, const batch_params<Arch>& bp) noexcept
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
    fbatch<Arch> r = round_batch(v, typename Spec::rounding_type{});
    r = xsimd::min(xsimd::max(r, bp.lo), bp.hi);
    r = xsimd::select(xsimd::isnan(v), fbatch<Arch>(0.0f), r);
    return r + fbatch<Arch>(0.0f);
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
    using storage = typename Spec::storage_type;
    using arch = default_arch;
    constexpr std::size_t w = detail::fbatch<arch>::size;
    constexpr std::size_t block = 4 * w;
    alignas(64) std::int32_t tmp[block];
    for (; i + block <= n; i += block)
    {
        for (std::size_t k = 0; k < block; k += w)
        {
            const auto bp = detail::load_params<arch>(params, i + k);
            const auto r =
              detail::quantize_shifted<Spec, arch>(detail::fbatch<arch>::load_unaligned(x + i + k), bp);
            (xsimd::batch_cast<std::int32_t>(r) + bp.offset).store_aligned(tmp + k);
        }
        for (std::size_t k = 0; k < block; ++k)  // exact narrowing: every value is within [qmin, qmax]
        {
            q[i + k] = static_cast<storage>(tmp[k]);
        }
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
    alignas(64) std::int32_t tmp[w];
    for (; i + w <= n; i += w)
    {
        for (std::size_t k = 0; k < w; ++k)
        {
            tmp[k] = q[i + k];
        }
        const auto bp = detail::load_params<arch>(params, i);
        const auto shifted = detail::ibatch<arch>::load_aligned(tmp) - bp.offset;
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
}  // namespace amct::kernel
