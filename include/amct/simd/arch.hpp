// amct/simd/arch.hpp: the xsimd architecture amct's kernels are compiled for (or none, with
// AMCT_USE_XSIMD=0).
#pragma once

#include <amct/base/macros.hpp>

#if AMCT_USE_XSIMD
#include <xsimd/xsimd.hpp>
#if defined(__AVX__)
#include <immintrin.h>  // AVX2 and AVX-512 packs in quantize_kernel.hpp and bit_count_kernel.hpp
#elif defined(__SSE2__)
#include <emmintrin.h>  // SSE2 packs in quantize_kernel.hpp (<immintrin.h> costs 0.3 s more to parse)
#endif
#endif

namespace amct
{
inline namespace AMCT_ABI
{
namespace kernel
{
#if AMCT_USE_XSIMD
/// The best instruction set enabled by the compiler flags (sse2 by default on x86-64; avx2 with -mavx2
/// -mfma). There is no runtime dispatch: a header-only library has one set of flags per translation unit.
using default_arch = xsimd::default_arch;

/// Name of the instruction set the kernels use, for logs and benchmarks.
inline const char* arch_name() noexcept
{
    return default_arch::name();
}
#else
inline const char* arch_name() noexcept
{
    return "scalar";
}
#endif
}  // namespace kernel
}  // namespace AMCT_ABI
}  // namespace amct
