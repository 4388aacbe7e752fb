// amct/analysis/impl/tuning.ipp: the definitions of <amct/analysis/tuning.hpp> (header-only: included by it;
// separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/analysis/tuning.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL std::vector<std::string> ranking_of(simulator& sim,
                                              const simulation_plan& plan,
                                              const tuning_target& t,
                                              const std::vector<std::string>& given)
{
    if (!given.empty())
    {
        return given;
    }
    analyzer_options ao;
    ao.batches = t.batches;
    return analyze(sim, plan, ao).sensitivity(t.m);
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL tune_result tune(simulator& sim, const quant_config& cfg, const tune_options& o)
{
    tune_result r;
    r.log.target = o.target;
    r.config = cfg;
    const simulation_plan all_int8 = uniform_plan(sim.base(), qtype::int8);
    const std::vector<std::string> ranking = detail::ranking_of(sim, all_int8, o.target, o.ranking);
    const auto fallback = [](const std::string&)
    {
        return layer_setting{};
    };
    promotion_result p =
      fewest_promotions(sim, all_int8, ranking, fallback, "in float (quant_enable false)", o.target, r.log);
    r.before = r.log.steps.front().value;
    r.plan = p.plan, r.after = p.value, r.reached = p.reached;
    if (p.reached && !p.promoted.empty() && !o.methods.empty())
    {
        r.models = calibrate_candidates(sim, cfg, o.methods, sim.batches_or_all(o.calibration_batches));
        for (std::size_t i = p.promoted.size(); i-- > 0;)  // least sensitive first
        {
            const std::string& layer = p.promoted[i];
            for (std::size_t k = 0; k < r.models.size(); ++k)
            {
                simulation_plan trial = r.plan;
                trial[layer] = int_setting(*r.models[k].find(layer));
                const double v = detail::measure(sim, trial, o.target);
                const bool ok = o.target.met(v);
                r.log.add("layer " + layer + " back in int8 with method " + o.methods[k].name(), v, ok);
                if (ok)
                {
                    r.plan = std::move(trial), r.after = v, r.methods[layer] = o.methods[k].name();
                    layer_quant_config& lc = *r.config.find(layer);
                    lc.activation_quant_params = o.methods[k].apply(lc.activation_quant_params);
                    break;
                }
            }
        }
    }
    for (const auto& layer : p.promoted)
    {
        if (r.methods.count(layer) == 0)
        {
            r.disabled.push_back(layer);
            r.config.find(layer)->quant_enable = false;
        }
    }
    return r;
}

AMCT_DECL mixed_precision_result mixed_precision_search(simulator& sim,
                                                        const quant_config& cfg,
                                                        const mixed_precision_options& o)
{
    mixed_precision_result r;
    r.log.target = o.target;
    r.models = calibrate_candidates(sim, cfg, {{"", 16}}, sim.batches_or_all(o.calibration_batches));
    const simulation_plan all_int8 = uniform_plan(sim.base(), qtype::int8);
    const simulation_plan all_int16 = uniform_plan(r.models[0], qtype::int16);
    const simulation_plan all_float16 = uniform_plan(sim.base(), qtype::float16);
    r.int8 = detail::measure(sim, all_int8, o.target);
    r.int16 = detail::measure(sim, all_int16, o.target);
    r.float16 = detail::measure(sim, all_float16, o.target);
    r.log.add("all layers int8", r.int8, o.target.met(r.int8), "model");
    r.log.add("all layers int16", r.int16, o.target.met(r.int16), "upper bound");
    r.log.add("all layers float16", r.float16, o.target.met(r.float16), "upper bound");
    r.promoted_to = o.target.met(r.int16)     ? qtype::int16
                    : o.target.met(r.float16) ? qtype::float16
                                              : qtype::float32;
    const simulation_plan& higher = r.promoted_to == qtype::int16     ? all_int16
                                    : r.promoted_to == qtype::float16 ? all_float16
                                                                      : simulation_plan{};
    const std::vector<std::string> ranking = detail::ranking_of(sim, all_int8, o.target, o.ranking);
    const auto promote = [&](const std::string& layer)
    {
        const auto it = higher.find(layer);
        return it == higher.end() ? layer_setting{} : it->second;
    };
    promotion_result p = fewest_promotions(sim,
                                           all_int8,
                                           ranking,
                                           promote,
                                           "in " + std::string(qtype_name(r.promoted_to)),
                                           o.target,
                                           r.log,
                                           r.int8);
    r.plan = std::move(p.plan), r.promoted = std::move(p.promoted), r.value = p.value, r.reached = p.reached;
    for (const auto& l : sim.base().layers)
    {
        r.precisions[l.name] = r.plan.count(l.name) ? r.plan.at(l.name).p : qtype::float32;
    }
    return r;
}
}  // namespace AMCT_ABI
}  // namespace amct
