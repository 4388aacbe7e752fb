// amct/algo.hpp: calibration algorithms (observers) and their parameters.
#pragma once

#include <amct/algo/arq.hpp>
#include <amct/algo/bit_histogram.hpp>
#include <amct/algo/bit_histogram_density.hpp>
#include <amct/algo/channels.hpp>
#include <amct/algo/grid_histogram.hpp>
#include <amct/algo/hfmg.hpp>
#include <amct/algo/histogram_observer.hpp>
#include <amct/algo/ifmr.hpp>
#include <amct/algo/indexed_observer.hpp>
#include <amct/algo/kl.hpp>
#include <amct/algo/max.hpp>
#include <amct/algo/mse.hpp>
#include <amct/algo/observer.hpp>
#include <amct/algo/params.hpp>
#include <amct/algo/percentile.hpp>
#include <amct/algo/registry.hpp>
#include <amct/algo/result.hpp>
#include <amct/algo/state_io.hpp>
