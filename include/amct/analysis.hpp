// amct/analysis.hpp: accuracy analysis and tuning (include/amct/analysis): metrics, simulation of
// mixed-precision plans in the user's runtime, the layer-wise analyzer and sensitivity ranking, method
// searches, bias correction and the tuning workflows.
#pragma once

#include <amct/analysis/analyzer.hpp>
#include <amct/analysis/bias_correction.hpp>
#include <amct/analysis/candidates.hpp>
#include <amct/analysis/metrics.hpp>
#include <amct/analysis/precision.hpp>
#include <amct/analysis/promotion.hpp>
#include <amct/analysis/runner.hpp>
#include <amct/analysis/search.hpp>
#include <amct/analysis/simulation.hpp>
#include <amct/analysis/tuning.hpp>
#include <amct/analysis/tuning_log.hpp>
