// amct/analysis.hpp: accuracy analysis and tuning (include/amct/analysis): comparison metrics, per-layer
// precision (HMCT's quant_config, float16), simulation of mixed-precision plans in the user's runtime, the
// layer-wise analyzer and sensitivity ranking, method searches, bias correction, the tuning workflows and the
// HTML report.
#pragma once

#include <amct/analysis/analyzer.hpp>
#include <amct/analysis/bias_correction.hpp>
#include <amct/analysis/candidates.hpp>
#include <amct/analysis/metrics.hpp>
#include <amct/analysis/precision.hpp>
#include <amct/analysis/precision_config.hpp>
#include <amct/analysis/promotion.hpp>
#include <amct/analysis/report.hpp>
#include <amct/analysis/report_data.hpp>
#include <amct/analysis/search.hpp>
#include <amct/analysis/simulation.hpp>
#include <amct/analysis/tuning.hpp>
#include <amct/analysis/tuning_log.hpp>
