// amct/config.hpp: feature switches. Define them before including amct, or through the CMake options.
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
