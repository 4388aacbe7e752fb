// amct/analysis/analyzer.hpp: AMCT's Model Accuracy Analyzer (docs/configuration.md#manual-tuning,
// docs/analysis.md#simulation-analyzer-and-tuning) and HMCT's get_sensitivity_of_nodes
// (docs/sources.md#horizon-hmct, "Sensitivity"). For every quantized layer it compares the layer's output
// with the float model's:
//   accumulated  the whole model simulated as planned (errors of earlier layers included);
//   alone        only this layer quantized (its own error);
// and, with the layer quantized alone, the model's outputs with the float model's (its sensitivity).
// Cost: (2 + layers) runs per batch; one batch of layer outputs is held at a time.
#pragma once

#include <algorithm>  // std::stable_sort
#include <cmath>      // std::isnan
#include <cstddef>    // std::size_t
#include <map>        // std::map
#include <numeric>    // std::iota
#include <set>        // std::set
#include <string>     // std::string
#include <vector>     // std::vector

#include <amct/analysis/metrics.hpp>
#include <amct/analysis/simulation.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
struct analyzer_options
{
    std::vector<std::size_t> batches;  ///< runner batches to analyse; empty: all
    metric flag_metric = metric::cosine;
    double flag_threshold = 0.99;  ///< layers whose accumulated flag_metric is worse are flagged
    bool alone = true;             ///< also run every layer quantized alone (alone and sensitivity)
};

/// What the analyzer measured for one layer.
struct layer_analysis
{
    std::string name;
    std::string type;
    qtype p = qtype::int8;
    comparison accumulated;  ///< the layer's output, whole plan simulated, against float
    comparison alone;        ///< the layer's output, only this layer quantized, against float
    comparison output;       ///< the model's outputs, only this layer quantized, against float
    bool flagged = false;    ///< accumulated flag_metric worse than the threshold
};

struct model_analysis
{
    std::vector<layer_analysis> layers;  ///< graph order (the plan's quantized layers)
    comparison output;                   ///< the model's outputs, whole plan simulated, against float
    metric flag_metric = metric::cosine;
    double flag_threshold = 0.99;

    /// Layer indices, worst first by `m` of the chosen comparison (&layer_analysis::accumulated, ::alone or
    /// ::output); ties keep graph order.
    AMCT_DECL std::vector<std::size_t> ranking(metric m, comparison layer_analysis::*which) const;

    /// HMCT's sensitivity ranking: layer names, most sensitive first, by `m` of the model's outputs with the
    /// layer quantized alone.
    AMCT_DECL std::vector<std::string> sensitivity(metric m) const;

    /// A text table sorted worst first by the accumulated flag metric: layer, type, precision, accumulated
    /// cosine and SQNR, alone cosine and SQNR, output SQNR with the layer alone, and "*" for flagged layers.
    AMCT_DECL std::string table() const;

    /// Whether a is better than b for metric m (NaN is worst).
    AMCT_DECL static bool better(metric m, double a, double b);
};

namespace detail
{
/// Keeps a copy of the first input (or output) of each of `layers`.
class layer_copy : public layer_hook
{
public:
    layer_copy(std::set<std::string> layers, bool of_inputs)
      : m_layers(std::move(layers))
      , m_inputs(of_inputs)
    {
    }

    bool wants_input(const std::string& layer) const override
    {
        return m_inputs && m_layers.count(layer) != 0;
    }

    void input(const std::string& layer, float* data, const std::vector<std::size_t>& shape) override
    {
        copies[layer].assign(data, data + element_count(shape));
    }

    bool wants_output(const std::string& layer) const override
    {
        return !m_inputs && m_layers.count(layer) != 0;
    }

    void output(const std::string& layer, float* data, const std::vector<std::size_t>& shape) override
    {
        copies[layer].assign(data, data + element_count(shape));
    }

    std::map<std::string, std::vector<float>> copies;

private:
    std::set<std::string> m_layers;
    bool m_inputs;
};

/// Compares the first output of chosen layers with copies taken in a float run.
class output_compare : public layer_hook
{
public:
    output_compare(const std::map<std::string, std::vector<float>>& reference,
                   std::map<std::string, comparison*> targets)
      : m_reference(reference)
      , m_targets(std::move(targets))
    {
    }

    bool wants_output(const std::string& layer) const override
    {
        return m_targets.count(layer) != 0;
    }

    AMCT_DECL void output(const std::string& layer,
                          float* data,
                          const std::vector<std::size_t>& shape) override;

private:
    const std::map<std::string, std::vector<float>>& m_reference;
    std::map<std::string, comparison*> m_targets;
};
}  // namespace detail

/// @brief Analyses `plan` (usually uniform_plan(result, qtype::int8)): see the top of this header.
/// @throws what the simulator and the runner throw.
AMCT_DECL model_analysis analyze(simulator& sim,
                                 const simulation_plan& plan,
                                 const analyzer_options& opts = {});
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/analyzer.ipp>
#endif
