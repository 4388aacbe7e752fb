// amct/src.hpp: the definitions of amct's non-template functions, for separate compilation
// (AMCT_SEPARATE_COMPILATION, amct/base/macros.hpp). Include it in exactly one translation unit of the
// program, built with the same instruction-set flags as every translation unit that uses the compiled
// definitions (CMake: the amct library, src/amct.cpp). Header-only programs need no such translation unit.
#pragma once

#define AMCT_SOURCE

#include <amct/base/macros.hpp>

#if AMCT_HEADER_ONLY
// without AMCT_SEPARATE_COMPILATION, or with an AMCT_COMPILED_ISA_ID that is not this translation unit's
#error "amct/src.hpp: define AMCT_SEPARATE_COMPILATION and build it with the flags of AMCT_COMPILED_ISA_ID"
#endif

// Every impl/*.ipp of include/amct (tools/check_layers.py checks the list).
#include <amct/config/impl/check_config.ipp>
#include <amct/config/impl/config_json.ipp>
#include <amct/config/impl/create_quant_config.ipp>
#include <amct/config/impl/layer_params.ipp>
#include <amct/config/impl/record_json.ipp>
#include <amct/config/impl/resolve.ipp>
#include <amct/detail/impl/text_file.ipp>
#include <amct/dsl/impl/quant_cfg.ipp>
#include <amct/dsl/impl/record_txt.ipp>
#include <amct/dsl/impl/text_format.ipp>
