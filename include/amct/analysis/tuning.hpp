// amct/analysis/tuning.hpp: AMCT's and HMCT's accuracy-tuning workflows as functions.
//   tune: AMCT's manual tuning (docs/configuration.md#manual-tuning) automated: rank the layers by
//         sensitivity, take the fewest most sensitive ones out of quantization (quant_enable false) until the
//         target is met (fewest_promotions, AMCT's BinarySearch), then try the calibration methods on each of
//         them, least sensitive first, to bring it back into int8; the tuned config.json and the log are the
//         result.
//   mixed_precision_search: HMCT's flow (docs/sources.md#horizon-hmct, "The tuning flow"): the all-int16 and
//         all-float16 models first, as upper bounds; the lowest of int16, float16, float32 whose upper bound
//         meets the target is then given to the fewest most sensitive layers.
#pragma once

#include <cstddef>  // std::size_t
#include <deque>    // std::deque
#include <map>      // std::map
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/analysis/analyzer.hpp>
#include <amct/analysis/candidates.hpp>
#include <amct/analysis/promotion.hpp>
#include <amct/analysis/tuning_log.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/quant_config.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// `given`, or the layers of `plan` by sensitivity on the target's batches and metric.
AMCT_DECL std::vector<std::string> ranking_of(simulator& sim,
                                              const simulation_plan& plan,
                                              const tuning_target& t,
                                              const std::vector<std::string>& given);
}  // namespace detail

struct tune_options
{
    tuning_target target;
    std::vector<calibration_candidate> methods = all_methods();  ///< tried on the disabled layers
    std::vector<std::size_t> calibration_batches;                ///< empty: all of the runner's
    std::vector<std::string> ranking;  ///< layers, most sensitive first; empty: analyze() on target.batches
};

struct tune_result
{
    quant_config config;                         ///< the tuned config.json
    simulation_plan plan;                        ///< what `config` simulates
    std::vector<std::string> disabled;           ///< layers left in float, most sensitive first
    std::map<std::string, std::string> methods;  ///< layers brought back with another method
    std::deque<quantized_model> models;          ///< the candidates' calibrations (the plan points here)
    double before = 0, after = 0;                ///< the target metric, all int8 and tuned
    bool reached = false;
    tuning_log log;
};

/// @brief The tuning workflow on the calibration `sim.base()` made with `cfg` (see the top of this header).
AMCT_DECL tune_result tune(simulator& sim, const quant_config& cfg, const tune_options& o);

struct mixed_precision_options
{
    tuning_target target;
    std::vector<std::size_t> calibration_batches;  ///< for the int16 calibration; empty: all
    std::vector<std::string> ranking;  ///< layers, most sensitive first; empty: analyze() on target.batches
};

struct mixed_precision_result
{
    std::map<std::string, qtype> precisions;  ///< every calibrated layer
    simulation_plan plan;
    qtype promoted_to = qtype::int8;                     ///< the precision the promoted layers run in
    std::vector<std::string> promoted;                   ///< most sensitive first
    double int8 = 0, int16 = 0, float16 = 0, value = 0;  ///< the target metric: uniform models and the result
    bool reached = false;
    std::deque<quantized_model> models;  ///< the int16 calibration (the plan points here)
    tuning_log log;
};

/// @brief HMCT's mixed-precision flow on the calibration `sim.base()` made with `cfg` (see the top).
AMCT_DECL mixed_precision_result mixed_precision_search(simulator& sim,
                                                        const quant_config& cfg,
                                                        const mixed_precision_options& o);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/tuning.ipp>
#endif
