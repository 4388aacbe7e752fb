// amct/algo.hpp: calibration algorithms (observers) and their parameters, ARQ and the weight quantization,
// with the layer-type rules, weight layouts, graph description and record they use (model/).
#pragma once

#include <amct/algo/algorithms.hpp>
#include <amct/algo/arq.hpp>
#include <amct/algo/bit_histogram.hpp>
#include <amct/algo/bit_histogram_density.hpp>
#include <amct/algo/channels.hpp>
#include <amct/algo/configured_algorithm.hpp>
#include <amct/algo/grid_histogram.hpp>
#include <amct/algo/hfmg.hpp>
#include <amct/algo/histogram_observer.hpp>
#include <amct/algo/ifmr.hpp>
#include <amct/algo/indexed_observer.hpp>
#include <amct/algo/kl.hpp>
#include <amct/algo/max.hpp>
#include <amct/algo/mse.hpp>
#include <amct/algo/observer.hpp>
#include <amct/algo/param.hpp>
#include <amct/algo/percentile.hpp>
#include <amct/algo/registry.hpp>
#include <amct/algo/result.hpp>
#include <amct/algo/state_io.hpp>
#include <amct/algo/weight_quantize.hpp>
#include <amct/model/graph.hpp>
#include <amct/model/layer_types.hpp>
#include <amct/model/record.hpp>
#include <amct/model/weight_layout.hpp>
