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
/// it. AMCT_ABI_ISA_ID is the same choice as a number, for the preprocessor.
#if !AMCT_USE_XSIMD
#define AMCT_ABI_ISA scalar
#define AMCT_ABI_ISA_ID 1
#elif defined(__AVX512BW__)
#define AMCT_ABI_ISA avx512bw
#define AMCT_ABI_ISA_ID 12
#elif defined(__AVX512F__)
#define AMCT_ABI_ISA avx512f
#define AMCT_ABI_ISA_ID 11
#elif defined(__AVX2__) && defined(__FMA__)
#define AMCT_ABI_ISA fma3_avx2
#define AMCT_ABI_ISA_ID 10
#elif defined(__AVX2__)
#define AMCT_ABI_ISA avx2
#define AMCT_ABI_ISA_ID 9
#elif defined(__AVX__)
#define AMCT_ABI_ISA avx
#define AMCT_ABI_ISA_ID 8
#elif defined(__SSE4_2__)
#define AMCT_ABI_ISA sse4_2
#define AMCT_ABI_ISA_ID 7
#elif defined(__SSE4_1__)
#define AMCT_ABI_ISA sse4_1
#define AMCT_ABI_ISA_ID 6
#elif defined(__SSSE3__)
#define AMCT_ABI_ISA ssse3
#define AMCT_ABI_ISA_ID 5
#elif defined(__SSE3__)
#define AMCT_ABI_ISA sse3
#define AMCT_ABI_ISA_ID 4
#elif defined(__SSE2__)
#define AMCT_ABI_ISA sse2
#define AMCT_ABI_ISA_ID 3
#elif defined(__ARM_NEON)
#define AMCT_ABI_ISA neon
#define AMCT_ABI_ISA_ID 13
#else
#define AMCT_ABI_ISA generic
#define AMCT_ABI_ISA_ID 2
#endif
#define AMCT_ABI_CAT2(a, b) a##_##b
#define AMCT_ABI_CAT(a, b) AMCT_ABI_CAT2(a, b)
#define AMCT_ABI AMCT_ABI_CAT(abi_v0, AMCT_ABI_ISA)

/// Header-only or separate compilation. amct is header-only by default. With AMCT_SEPARATE_COMPILATION
/// defined in every translation unit (the CMake target amct::amct does it), the headers only declare amct's
/// non-template functions (AMCT_DECL) and one translation unit defines them: the one that includes
/// <amct/src.hpp> (CMake's amct library, src/amct.cpp; single_include/ has its own src.hpp). Those
/// definitions live in AMCT_ABI, so they exist for the one instruction set they were compiled for:
/// AMCT_COMPILED_ISA_ID (CMake exports the library's AMCT_ABI_ISA_ID). A translation unit built for another
/// instruction set falls back to header-only: it defines its own inline copies, in its own AMCT_ABI
/// namespace, so it links and never runs another instruction set's code. Without AMCT_COMPILED_ISA_ID, a
/// translation unit whose flags differ from the compiled part's fails to link. AMCT_HEADER_ONLY (1 or 0) is
/// derived: do not define it.
#if defined(AMCT_HEADER_ONLY)
#error "AMCT_HEADER_ONLY is derived from AMCT_SEPARATE_COMPILATION (amct/base/macros.hpp); do not define it"
#elif !defined(AMCT_SEPARATE_COMPILATION)
#define AMCT_HEADER_ONLY 1
#elif defined(AMCT_COMPILED_ISA_ID) && AMCT_COMPILED_ISA_ID != AMCT_ABI_ISA_ID
#define AMCT_HEADER_ONLY 1  // the fallback: the compiled part is of another instruction set
#else
#define AMCT_HEADER_ONLY 0
#endif
#if AMCT_HEADER_ONLY
#define AMCT_DECL inline
#else
#define AMCT_DECL
#endif
