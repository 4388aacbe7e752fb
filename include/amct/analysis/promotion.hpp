// amct/analysis/promotion.hpp: the fewest layers to take out of int8 (into int16, float16 or float32) so that
// the model reaches a target. AMCT's accuracy_based_auto_calibration BinarySearch
// (docs/analysis.md#amcts-accuracy_based_auto_calibration): layers sorted most sensitive first, binary search
// of the smallest count k whose top-k promotion meets the target; then each promoted layer, least sensitive
// first, is tried back in int8 and left there when the target still holds (the binary search assumes a
// monotone effect, which real models only roughly follow).
#pragma once

#include <cstddef>     // std::size_t
#include <functional>  // std::function
#include <optional>    // std::optional
#include <string>      // std::string
#include <utility>     // std::move
#include <vector>      // std::vector

#include <amct/analysis/simulation.hpp>
#include <amct/analysis/tuning_log.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// What fewest_promotions found.
struct promotion_result
{
    simulation_plan plan;               ///< the base plan with the promoted layers' settings replaced
    std::vector<std::string> promoted;  ///< most sensitive first
    double value = 0;                   ///< the target metric with `plan`
    bool reached = false;
};

/// @brief The fewest layers of `ranking` (most sensitive first) to give `promote(layer)`'s setting instead
/// of their setting in `base`, such that `target` is met; every measurement goes to `log`.
/// When even all of `ranking` promoted misses the target, that plan is returned with reached = false.
/// `base_value`: the target metric of `base`, when the caller measured it already.
AMCT_DECL promotion_result fewest_promotions(simulator& sim,
                                             const simulation_plan& base,
                                             const std::vector<std::string>& ranking,
                                             const std::function<layer_setting(const std::string&)>& promote,
                                             const std::string& what,
                                             const tuning_target& target,
                                             tuning_log& log,
                                             std::optional<double> base_value = std::nullopt);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/promotion.ipp>
#endif
