// amct/analysis/impl/promotion.ipp: the definitions of <amct/analysis/promotion.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/analysis/promotion.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL promotion_result fewest_promotions(simulator& sim,
                                             const simulation_plan& base,
                                             const std::vector<std::string>& ranking,
                                             const std::function<layer_setting(const std::string&)>& promote,
                                             const std::string& what,
                                             const tuning_target& target,
                                             tuning_log& log,
                                             std::optional<double> base_value)
{
    auto plan_with = [&](const std::vector<std::string>& layers)
    {
        simulation_plan p = base;
        for (const auto& l : layers)
        {
            p[l] = promote(l);
        }
        return p;
    };
    auto top = [&](std::size_t k)
    {
        return std::vector<std::string>(ranking.begin(), ranking.begin() + static_cast<std::ptrdiff_t>(k));
    };
    promotion_result r;
    r.value = base_value ? *base_value : detail::measure(sim, base, target);
    log.add("no layer " + what, r.value, target.met(r.value));
    if (target.met(r.value))
    {
        r.plan = base, r.reached = true;
        return r;
    }
    simulation_plan all_promoted = plan_with(ranking);
    const double all = detail::measure(sim, all_promoted, target);
    log.add("all " + std::to_string(ranking.size()) + " layers " + what, all, target.met(all));
    if (!target.met(all))
    {
        r.plan = std::move(all_promoted), r.promoted = ranking, r.value = all;
        return r;
    }
    std::size_t lo = 0, hi = ranking.size();  // top-lo misses the target, top-hi meets it
    double at_hi = all;
    while (hi - lo > 1)
    {
        const std::size_t mid = lo + (hi - lo) / 2;
        const double v = detail::measure(sim, plan_with(top(mid)), target);
        const bool ok = target.met(v);
        log.add("the " + std::to_string(mid) + " most sensitive layers " + what, v, ok, "binary search");
        (ok ? hi : lo) = mid;
        at_hi = ok ? v : at_hi;
    }
    r.promoted = top(hi);
    r.value = at_hi;
    for (std::size_t i = r.promoted.size(); i-- > 0;)  // least sensitive first
    {
        std::vector<std::string> fewer = r.promoted;
        fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
        const double v = detail::measure(sim, plan_with(fewer), target);
        const bool ok = target.met(v);
        log.add("layer " + r.promoted[i] + " not " + what, v, ok, "pruning");
        if (ok)
        {
            r.promoted = std::move(fewer), r.value = v;
        }
    }
    r.plan = plan_with(r.promoted);
    r.reached = true;
    return r;
}
}  // namespace AMCT_ABI
}  // namespace amct
