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
#include <amct/algo/impl/bit_histogram.ipp>
#include <amct/algo/impl/bit_histogram_density.ipp>
#include <amct/algo/impl/channels.ipp>
#include <amct/algo/impl/grid_histogram.ipp>
#include <amct/algo/impl/hfmg.ipp>
#include <amct/algo/impl/ifmr.ipp>
#include <amct/algo/impl/indexed_observer.ipp>
#include <amct/algo/impl/kl.ipp>
#include <amct/algo/impl/max.ipp>
#include <amct/algo/impl/mse.ipp>
#include <amct/algo/impl/observer.ipp>
#include <amct/algo/impl/param.ipp>
#include <amct/algo/impl/percentile.ipp>
#include <amct/algo/impl/registry.ipp>
#include <amct/algo/impl/result.ipp>
#include <amct/algo/impl/state_io.ipp>
#include <amct/analysis/impl/analyzer.ipp>
#include <amct/analysis/impl/bias_correction.ipp>
#include <amct/analysis/impl/candidates.ipp>
#include <amct/analysis/impl/metrics.ipp>
#include <amct/analysis/impl/precision.ipp>
#include <amct/analysis/impl/precision_config.ipp>
#include <amct/analysis/impl/promotion.ipp>
#include <amct/analysis/impl/report.ipp>
#include <amct/analysis/impl/report_data.ipp>
#include <amct/analysis/impl/search.ipp>
#include <amct/analysis/impl/simulation.ipp>
#include <amct/analysis/impl/tuning.ipp>
#include <amct/analysis/impl/tuning_log.ipp>
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
#include <amct/model/impl/graph.ipp>
#include <amct/model/impl/layer_types.ipp>
#include <amct/model/impl/record.ipp>
#include <amct/model/impl/weight_layout.ipp>
#include <amct/pipeline/impl/activation_calibration.ipp>
#include <amct/pipeline/impl/bn_fusion.ipp>
#include <amct/pipeline/impl/deploy.ipp>
#include <amct/pipeline/impl/executor.ipp>
#include <amct/pipeline/impl/quantized_model.ipp>
#include <amct/pipeline/impl/runtime.ipp>
#include <amct/pipeline/impl/session.ipp>
