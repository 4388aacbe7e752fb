// amct/analysis/tuning_log.hpp: the target an accuracy search aims at, and the log of its decisions with
// their measured effect (what the report and the tuners print).
#pragma once

#include <cmath>    // std::isnan
#include <cstddef>  // std::size_t
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/analysis/metrics.hpp>
#include <amct/analysis/simulation.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// "The model's outputs reach `value` of `m` against the float model on `batches`", e.g. SQNR >= 35 dB.
struct tuning_target
{
    metric m = metric::sqnr;
    double value = 35.0;
    std::vector<std::size_t> batches;  ///< empty: all of the runner's

    /// Whether a measured value meets the target (NaN never does).
    bool met(double measured) const
    {
        return !std::isnan(measured) && (higher_is_better(m) ? measured >= value : measured <= value);
    }

    AMCT_DECL std::string describe() const;
};

/// One decision of a search: what was tried, the model-output value measured with it, and whether it was
/// kept.
struct tuning_step
{
    std::string action;  ///< e.g. "disable the 8 most sensitive layers", "layer conv3: method kl"
    double value = 0;    ///< the target metric measured with the change
    bool kept = false;
    std::string note;
};

struct tuning_log
{
    tuning_target target;
    std::vector<tuning_step> steps;

    void add(std::string action, double value, bool kept, std::string note = {})
    {
        steps.push_back({std::move(action), value, kept, std::move(note)});
    }

    /// One line per step: "[kept] action: value (note)".
    AMCT_DECL std::string text() const;
};

namespace detail
{
/// The target metric of `plan`'s model outputs.
inline double measure(simulator& sim, const simulation_plan& plan, const tuning_target& t)
{
    return sim.evaluate(plan, sim.batches_or_all(t.batches)).value(t.m);
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/tuning_log.ipp>
#endif
