// amct/analysis/report_data.hpp: the HTML report's content (report.hpp) from what the analyzer and the tuners
// measured, and the activation histograms of a model's quantized layers with their clip ranges.
#pragma once

#include <algorithm>  // std::min, std::max
#include <cmath>      // std::isnan
#include <cstddef>    // std::size_t
#include <limits>     // std::numeric_limits
#include <map>        // std::map
#include <set>        // std::set
#include <string>     // std::string
#include <vector>     // std::vector

#include <amct/analysis/analyzer.hpp>
#include <amct/analysis/report.hpp>
#include <amct/analysis/simulation.hpp>
#include <amct/analysis/tuning_log.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// The analyzer's layers as report rows (worst first by its flag metric), with `metrics` as columns.
AMCT_DECL std::vector<report_layer> report_layers(const model_analysis& a,
                                                  const std::vector<metric>& metrics);

/// A tuning log as report entries, numbered from `first_step`: before is the value of the last kept step.
AMCT_DECL std::vector<report_log_entry> report_entries(const tuning_log& log, int first_step = 1);

/// @brief Histograms (`bins` equal bins over [min, max] of the values, widened to hold the clip range) of
/// each quantized layer's input in the float model on batch `b`, with the layer's clip range, in graph order.
AMCT_DECL std::vector<report_histogram> activation_histograms(simulator& sim,
                                                              std::size_t b,
                                                              std::size_t bins = 64);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/report_data.ipp>
#endif
