// amct/analysis.hpp: accuracy analysis: comparison metrics, per-layer precision (HMCT's quant_config,
// float16 simulation) and the HTML report.
#pragma once

#include <amct/analysis/metrics.hpp>
#include <amct/analysis/precision.hpp>
#include <amct/analysis/precision_config.hpp>
#include <amct/analysis/report.hpp>
