// amct/analysis/impl/search.ipp: the definitions of <amct/analysis/search.hpp> (header-only: included by it;
// separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/analysis/search.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL quant_config search_result::config(const quant_config& base) const
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
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL simulation_plan method_plan(const search_result& r)
{
    simulation_plan plan;
    for (const auto& [layer, k] : r.layer_method)
    {
        plan[layer] = int_setting(*r.models[k].find(layer));
    }
    return plan;
}

AMCT_DECL search_result calibrate_all(simulator& sim, const quant_config& cfg, const search_options& o)
{
    search_result r;
    r.methods = o.methods;
    r.models = calibrate_candidates(sim, cfg, o.methods, sim.batches_or_all(o.calibration_batches));
    r.log.target = tuning_target{o.m, 0.0, o.evaluation_batches};
    return r;
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL search_result modelwise_search(simulator& sim, const quant_config& cfg, const search_options& o)
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

AMCT_DECL search_result layerwise_search(simulator& sim, const quant_config& cfg, const search_options& o)
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
