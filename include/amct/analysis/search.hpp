// amct/analysis/search.hpp: HMCT's calibration-method searches (peers.md 2.3).
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
    quant_config config(const quant_config& base) const
    {
        quant_config c = base;
        for (const auto& [name, k] : layer_method)
        {
            if (layer_quant_config* lc = c.find(name))
            {
                lc->activation_quant_params = methods[k].apply(lc->activation_quant_params);
            }
        }
        return c;
    }
};

namespace detail
{
inline simulation_plan method_plan(const search_result& r)
{
    simulation_plan plan;
    for (const auto& [layer, k] : r.layer_method)
    {
        plan[layer] = int_setting(*r.models[k].find(layer));
    }
    return plan;
}

inline search_result calibrate_all(simulator& sim, const quant_config& cfg, const search_options& o)
{
    search_result r;
    r.methods = o.methods;
    r.models = calibrate_candidates(sim, cfg, o.methods, sim.batches_or_all(o.calibration_batches));
    r.log.target = tuning_target{o.m, 0.0, o.evaluation_batches};
    return r;
}
}  // namespace detail

/// @brief HMCT's modelwise_search over `o.methods` (see the top of this header).
inline search_result modelwise_search(simulator& sim, const quant_config& cfg, const search_options& o = {})
{
    search_result r = detail::calibrate_all(sim, cfg, o);
    for (std::size_t k = 0; k < r.models.size(); ++k)
    {
        const double v = detail::measure(sim, uniform_plan(r.models[k], qtype::int8), r.log.target);
        r.log.add("every layer: method " + r.methods[k].name(), v, false, "modelwise_search");
        if (k == 0 || model_analysis::better(o.m, v, r.value))
        {
            r.best = k, r.value = v;
        }
    }
    r.log.steps[r.best].kept = true;
    for (const auto& l : sim.base().layers)
    {
        r.layer_method[l.name] = r.best;
    }
    r.plan = detail::method_plan(r);
    return r;
}

/// @brief HMCT's layerwise_search over `o.methods` (see the top of this header).
inline search_result layerwise_search(simulator& sim, const quant_config& cfg, const search_options& o = {})
{
    search_result r = modelwise_search(sim, cfg, o);
    const auto modelwise_methods = r.layer_method;
    const simulation_plan modelwise_plan = r.plan;
    const double modelwise_value = r.value;
    analyzer_options ao;
    ao.batches = sim.batches_or_all(o.evaluation_batches);
    const model_analysis a = analyze(sim, r.plan, ao);
    std::vector<std::size_t> chosen;  // indices into a.layers
    for (std::size_t i : a.ranking(o.m, &layer_analysis::output))
    {
        const bool below = a.layers[i].output.value(metric::cosine) < o.similarity;
        if (o.topk ? chosen.size() < o.topk : below)
        {
            chosen.push_back(i);
        }
    }
    for (std::size_t i : chosen)
    {
        const std::string& layer = a.layers[i].name;
        const auto alone = [&](std::size_t k)
        {
            return simulation_plan{{layer, int_setting(*r.models[k].find(layer))}};
        };
        double best = a.layers[i].output.value(o.m);
        std::size_t pick = r.best;
        for (std::size_t k = 0; k < r.models.size(); ++k)
        {
            if (k == r.best)
            {
                continue;
            }
            const double v = detail::measure(sim, alone(k), r.log.target);
            const bool better = model_analysis::better(o.m, v, best);
            r.log.add(
              "layer " + layer + " alone: method " + r.methods[k].name(), v, better, "layerwise_search");
            if (better)
            {
                best = v, pick = k;
            }
        }
        r.layer_method[layer] = pick;
    }
    // Per-layer choices made alone need not compose: the model-wise choice stays when it is better.
    r.plan = detail::method_plan(r);
    r.value = detail::measure(sim, r.plan, r.log.target);
    const bool keep = !model_analysis::better(o.m, modelwise_value, r.value);
    r.log.add("every layer with its chosen method", r.value, keep, "layerwise_search");
    if (!keep)
    {
        r.layer_method = modelwise_methods, r.plan = modelwise_plan, r.value = modelwise_value;
    }
    return r;
}
}  // namespace AMCT_ABI
}  // namespace amct
