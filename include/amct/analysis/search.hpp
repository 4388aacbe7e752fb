// amct/analysis/search.hpp: HMCT's calibration-method searches (docs/sources.md#horizon-hmct, "Searches").
//   modelwise_search: every candidate method calibrates the whole model; the one whose model outputs are
//                     best against the float model (by the chosen metric) is used for every layer.
//   layerwise_search: from the model-wise best, the top-k most sensitive layers (HMCT's default: those whose
//                     output cosine with the layer quantized alone is below 0.999) each try every other
//                     method quantized alone, and keep the best one.
// Each candidate is calibrated once, all in one pass over the calibration batches (calibrate_candidates).
#pragma once

#include <cstddef>  // std::size_t
#include <deque>    // std::deque
#include <map>      // std::map
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/analysis/analyzer.hpp>
#include <amct/analysis/candidates.hpp>
#include <amct/analysis/tuning_log.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/quant_config.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
struct search_options
{
    std::vector<calibration_candidate> methods = all_methods();
    metric m = metric::cosine;                     ///< HMCT's default: cosine-similarity
    std::vector<std::size_t> calibration_batches;  ///< empty: all of the runner's
    std::vector<std::size_t> evaluation_batches;   ///< empty: all of the runner's
    std::size_t topk = 0;                          ///< layerwise: 0 = layers below `similarity` alone
    double similarity = 0.999;                     ///< layerwise, without topk: HMCT's cosine threshold
};

/// What a search chose.
struct search_result
{
    std::vector<calibration_candidate> methods;  ///< the candidates, in the options' order
    std::deque<quantized_model> models;          ///< one calibration per candidate (the plan points here)
    std::size_t best = 0;                        ///< the model-wise choice
    std::map<std::string, std::size_t> layer_method;  ///< every layer's candidate index
    simulation_plan plan;                             ///< int8 with each layer's chosen factors
    double value = 0;                                 ///< the metric of `plan`'s model outputs
    tuning_log log;

    /// `base` with each layer's activation_quant_params set to its chosen method.
    AMCT_DECL quant_config config(const quant_config& base) const;
};

namespace detail
{
AMCT_DECL simulation_plan method_plan(const search_result& r);

AMCT_DECL search_result calibrate_all(simulator& sim, const quant_config& cfg, const search_options& o);
}  // namespace detail

/// @brief HMCT's modelwise_search over `o.methods` (see the top of this header).
AMCT_DECL search_result modelwise_search(simulator& sim,
                                         const quant_config& cfg,
                                         const search_options& o = {});

/// @brief HMCT's layerwise_search over `o.methods` (see the top of this header).
AMCT_DECL search_result layerwise_search(simulator& sim,
                                         const quant_config& cfg,
                                         const search_options& o = {});
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/search.ipp>
#endif
