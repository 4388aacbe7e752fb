// amct/core.hpp: quantizers and their kernels (base, core, simd, tensor and the detail helpers they use:
// xtensor and xsimd only, no Boost). The CMake target amct::core; single_include/amct/core.hpp is generated
// from this header.
#pragma once

#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/core/descriptor.hpp>
#include <amct/core/policies.hpp>
#include <amct/core/qparams.hpp>
#include <amct/core/reference.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/format.hpp>
#include <amct/detail/radix_sort.hpp>
#include <amct/detail/xtensor.hpp>
#include <amct/simd/arch.hpp>
#include <amct/simd/bit_count_kernel.hpp>
#include <amct/simd/finite_kernel.hpp>
#include <amct/simd/minmax_kernel.hpp>
#include <amct/simd/quantize_kernel.hpp>
#include <amct/tensor/quantize.hpp>
#include <amct/tensor/range.hpp>
#include <amct/version.hpp>
