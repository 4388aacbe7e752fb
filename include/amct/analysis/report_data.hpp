// amct/analysis/report_data.hpp: the HTML report's content (report.hpp) from what the analyzer and the tuners
// measured, and the activation histograms of a model's quantized layers with their clip ranges.
#pragma once

#include <algorithm>  // std::min, std::max
#include <cmath>      // std::isnan
#include <cstddef>    // std::size_t
#include <limits>     // std::numeric_limits
#include <map>        // std::map
#include <string>     // std::string
#include <vector>     // std::vector

#include <amct/analysis/analyzer.hpp>
#include <amct/analysis/report.hpp>
#include <amct/analysis/simulation.hpp>
#include <amct/analysis/tuning_log.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// The analyzer's layers as report rows (worst first by its flag metric), with `metrics` as columns.
inline std::vector<report_layer> report_layers(const model_analysis& a, const std::vector<metric>& metrics)
{
    std::vector<report_layer> rows;
    for (std::size_t i : a.ranking(a.flag_metric, &layer_analysis::accumulated))
    {
        const layer_analysis& l = a.layers[i];
        report_layer r{l.name, l.type, std::string(qtype_name(l.p)), {}, {}, l.flagged};
        for (metric m : metrics)
        {
            r.accumulated.push_back(l.accumulated.value(m));
            if (l.alone.count() != 0)
            {
                r.alone.push_back(l.alone.value(m));
            }
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

/// A tuning log as report entries, numbered from `first_step`: before is the value of the last kept step.
inline std::vector<report_log_entry> report_entries(const tuning_log& log, int first_step = 1)
{
    std::vector<report_log_entry> out;
    double kept = std::numeric_limits<double>::quiet_NaN();
    for (const auto& s : log.steps)
    {
        out.push_back({first_step++, s.action, s.note, kept, s.value, s.kept ? "kept" : "dropped"});
        kept = s.kept ? s.value : kept;
    }
    return out;
}

namespace detail
{
/// Keeps each watched layer's first input of a run.
class input_copy : public layer_hook
{
public:
    explicit input_copy(const quantized_model& m)
      : m_model(m)
    {
    }

    bool wants_input(const std::string& layer) const override
    {
        return m_model.find(layer) != nullptr;
    }

    void input(const std::string& layer, float* data, const std::vector<std::size_t>& shape) override
    {
        inputs[layer].assign(data, data + element_count(shape));
    }

    std::map<std::string, std::vector<float>> inputs;

private:
    const quantized_model& m_model;
};
}  // namespace detail

/// @brief Histograms (`bins` equal bins over [min, max] of the values, widened to hold the clip range) of
/// each quantized layer's input in the float model on batch `b`, with the layer's clip range, in graph order.
inline std::vector<report_histogram> activation_histograms(simulator& sim,
                                                           std::size_t b,
                                                           std::size_t bins = 64)
{
    detail::input_copy copy(sim.base());
    sim.run({}, b, &copy);
    std::vector<report_histogram> out;
    for (const auto& l : sim.base().layers)
    {
        const std::vector<float>& x = copy.inputs[l.name];
        if (x.empty())
        {
            continue;
        }
        const auto [mn, mx] = std::minmax_element(x.begin(), x.end());
        report_histogram h{l.name,
                           std::min<double>(*mn, l.activation.clip_min.at(0)),
                           std::max<double>(*mx, l.activation.clip_max.at(0)),
                           std::vector<double>(bins, 0.0),
                           l.activation.clip_min.at(0),
                           l.activation.clip_max.at(0)};
        h.hi = h.hi > h.lo ? h.hi : h.lo + 1.0;
        const double w = (h.hi - h.lo) / static_cast<double>(bins);
        for (float v : x)
        {
            const auto i = static_cast<std::size_t>((static_cast<double>(v) - h.lo) / w);
            h.counts[std::min(i, bins - 1)] += 1.0;
        }
        out.push_back(std::move(h));
    }
    return out;
}
}  // namespace AMCT_ABI
}  // namespace amct
