// amct/core.hpp: quantizers and their kernels (xtensor and xsimd only, no Boost).
#pragma once

#include <amct/config.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/core/descriptor.hpp>
#include <amct/core/policies.hpp>
#include <amct/core/qparams.hpp>
#include <amct/core/quantize.hpp>
#include <amct/core/range.hpp>
#include <amct/core/reference.hpp>
#include <amct/error.hpp>
#include <amct/simd/arch.hpp>
#include <amct/simd/minmax_kernel.hpp>
#include <amct/simd/quantize_kernel.hpp>
#include <amct/version.hpp>
