// amct/base/macros.hpp: feature switches. Define them before including amct, or through the CMake options.
#pragma once

/// AMCT_USE_XSIMD: 1 (default) runs contiguous kernels with xsimd at the compile-time best architecture
/// (xsimd::default_arch, chosen by the -m flags); 0 runs the scalar reference loops instead.
#ifndef AMCT_USE_XSIMD
#define AMCT_USE_XSIMD 1
#endif

/// AMCT_NO_EXCEPTIONS: report errors on stderr and abort instead of throwing (automatic with
/// -fno-exceptions).
#if !defined(AMCT_NO_EXCEPTIONS) && !defined(__cpp_exceptions)
#define AMCT_NO_EXCEPTIONS
#endif

/// AMCT_ABI: the inline namespace that holds every function whose machine code depends on the instruction set
/// (the SIMD kernels and everything that inlines them). Translation units built with different -m flags or
/// AMCT_USE_XSIMD values therefore use distinct symbols instead of silently sharing one (an ODR violation
/// that could run AVX2 code on a CPU without it). Exceptions, policies, parameters and results are outside
/// it.
#if !AMCT_USE_XSIMD
#define AMCT_ABI_ISA scalar
#elif defined(__AVX512BW__)
#define AMCT_ABI_ISA avx512bw
#elif defined(__AVX512F__)
#define AMCT_ABI_ISA avx512f
#elif defined(__AVX2__) && defined(__FMA__)
#define AMCT_ABI_ISA fma3_avx2
#elif defined(__AVX2__)
#define AMCT_ABI_ISA avx2
#elif defined(__AVX__)
#define AMCT_ABI_ISA avx
#elif defined(__SSE4_2__)
#define AMCT_ABI_ISA sse4_2
#elif defined(__SSE4_1__)
#define AMCT_ABI_ISA sse4_1
#elif defined(__SSSE3__)
#define AMCT_ABI_ISA ssse3
#elif defined(__SSE3__)
#define AMCT_ABI_ISA sse3
#elif defined(__SSE2__)
#define AMCT_ABI_ISA sse2
#elif defined(__ARM_NEON)
#define AMCT_ABI_ISA neon
#else
#define AMCT_ABI_ISA generic
#endif
#define AMCT_ABI_CAT2(a, b) a##_##b
#define AMCT_ABI_CAT(a, b) AMCT_ABI_CAT2(a, b)
#define AMCT_ABI AMCT_ABI_CAT(abi_v0, AMCT_ABI_ISA)
