// amct/analysis/analyzer.hpp: AMCT's Model Accuracy Analyzer (seeds 000 and 001, amct-algorithms.md 11)
// and HMCT's get_sensitivity_of_nodes (peers.md 2.3). For every quantized layer it compares the layer's
// output with the float model's:
//   accumulated  the whole model simulated as planned (errors of earlier layers included);
//   alone        only this layer quantized (its own error);
// and, with the layer quantized alone, the model's outputs with the float model's (its sensitivity).
// Cost: (2 + layers) runs per batch; one batch of layer outputs is held at a time.
#pragma once

#include <algorithm>  // std::stable_sort
#include <cmath>      // std::isnan
#include <cstddef>    // std::size_t
#include <iomanip>    // std::setw
#include <map>        // std::map
#include <numeric>    // std::iota
#include <set>        // std::set
#include <sstream>    // std::ostringstream
#include <string>     // std::string
#include <vector>     // std::vector

#include <amct/analysis/metrics.hpp>
#include <amct/analysis/simulation.hpp>

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
    std::vector<std::size_t> ranking(metric m, comparison layer_analysis::*which) const
    {
        std::vector<std::size_t> order(layers.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(),
                         order.end(),
                         [&](std::size_t a, std::size_t b)
                         {
                             return better(m, (layers[b].*which).value(m), (layers[a].*which).value(m));
                         });
        return order;
    }

    /// HMCT's sensitivity ranking: layer names, most sensitive first, by `m` of the model's outputs with the
    /// layer quantized alone.
    std::vector<std::string> sensitivity(metric m) const
    {
        std::vector<std::string> names;
        for (std::size_t i : ranking(m, &layer_analysis::output))
        {
            names.push_back(layers[i].name);
        }
        return names;
    }

    /// A text table sorted worst first by the accumulated flag metric: layer, type, precision, accumulated
    /// cosine and SQNR, alone cosine and SQNR, output SQNR with the layer alone, and "*" for flagged layers.
    std::string table() const
    {
        std::ostringstream out;
        out << std::left << std::setw(34) << "layer" << std::setw(18) << "type" << std::setw(8) << "prec"
            << std::right << std::setw(11) << "cos acc" << std::setw(10) << "SQNR acc" << std::setw(11)
            << "cos alone" << std::setw(12) << "SQNR alone" << std::setw(11) << "out SQNR"
            << "\n";
        for (std::size_t i : ranking(flag_metric, &layer_analysis::accumulated))
        {
            const layer_analysis& l = layers[i];
            out << std::left << std::setw(34) << l.name << std::setw(18) << l.type << std::setw(8)
                << qtype_name(l.p) << std::right << std::fixed << std::setprecision(6) << std::setw(11)
                << l.accumulated.value(metric::cosine) << std::setprecision(2) << std::setw(10)
                << l.accumulated.value(metric::sqnr);
            if (l.alone.count() != 0)
            {
                out << std::setprecision(6) << std::setw(11) << l.alone.value(metric::cosine)
                    << std::setprecision(2) << std::setw(12) << l.alone.value(metric::sqnr) << std::setw(11)
                    << l.output.value(metric::sqnr);
            }
            out << (l.flagged ? "  *" : "") << "\n";
        }
        out << "model output: cosine " << std::setprecision(6) << output.value(metric::cosine) << ", SQNR "
            << std::setprecision(2) << output.value(metric::sqnr) << " dB; * = " << metric_name(flag_metric)
            << " worse than " << flag_threshold << "\n";
        return out.str();
    }

    /// Whether a is better than b for metric m (NaN is worst).
    static bool better(metric m, double a, double b)
    {
        if (std::isnan(a) || std::isnan(b))
        {
            return !std::isnan(a) && std::isnan(b);
        }
        return higher_is_better(m) ? a > b : a < b;
    }
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

    void output(const std::string& layer, float* data, const std::vector<std::size_t>& shape) override
    {
        const std::vector<float>& ref = m_reference.at(layer);
        if (ref.size() != element_count(shape))
        {
            throw_error<shape_error>("analyzer: layer \"" + layer
                                     + "\" changed its output size between runs");
        }
        m_targets.at(layer)->add(ref.data(), data, ref.size());
    }

private:
    const std::map<std::string, std::vector<float>>& m_reference;
    std::map<std::string, comparison*> m_targets;
};
}  // namespace detail

/// @brief Analyses `plan` (usually uniform_plan(result, qtype::int8)): see the top of this header.
/// @throws what the simulator and the runner throw.
inline model_analysis analyze(simulator& sim, const simulation_plan& plan, const analyzer_options& opts = {})
{
    model_analysis a;
    a.flag_metric = opts.flag_metric;
    a.flag_threshold = opts.flag_threshold;
    std::set<std::string> names;
    for (const auto& l : sim.base().layers)
    {
        const auto it = plan.find(l.name);
        if (it != plan.end() && it->second.p != qtype::float32)
        {
            names.insert(l.name);
            a.layers.push_back({l.name, l.type, it->second.p, {}, {}, {}, false});
        }
    }
    std::map<std::string, comparison*> all;
    for (auto& l : a.layers)
    {
        all[l.name] = &l.accumulated;
    }
    for (std::size_t b : sim.batches_or_all(opts.batches))
    {
        detail::layer_copy reference(names, false);
        const std::vector<xt::xarray<float>> y_float = sim.run({}, b, &reference);
        detail::output_compare whole(reference.copies, all);
        simulator::add_outputs(a.output, y_float, sim.run(plan, b, &whole));
        for (std::size_t i = 0; opts.alone && i < a.layers.size(); ++i)
        {
            layer_analysis& l = a.layers[i];
            detail::output_compare one(reference.copies, {{l.name, &l.alone}});
            simulator::add_outputs(l.output, y_float, sim.run({{l.name, plan.at(l.name)}}, b, &one));
        }
    }
    for (auto& l : a.layers)
    {
        l.flagged =
          model_analysis::better(a.flag_metric, a.flag_threshold, l.accumulated.value(a.flag_metric));
    }
    return a;
}
}  // namespace AMCT_ABI
}  // namespace amct
