// amct/analysis/impl/analyzer.ipp: the definitions of <amct/analysis/analyzer.hpp> (header-only: included by
// it; separate compilation: by <amct/src.hpp>).
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

#include <amct/analysis/analyzer.hpp>
#include <amct/analysis/metrics.hpp>
#include <amct/analysis/simulation.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL std::vector<std::size_t> model_analysis::ranking(metric m, comparison layer_analysis::*which) const
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

AMCT_DECL std::vector<std::string> model_analysis::sensitivity(metric m) const
{
    std::vector<std::string> names;
    for (std::size_t i : ranking(m, &layer_analysis::output))
    {
        names.push_back(layers[i].name);
    }
    return names;
}

AMCT_DECL std::string model_analysis::table() const
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

AMCT_DECL bool model_analysis::better(metric m, double a, double b)
{
    if (std::isnan(a) || std::isnan(b))
    {
        return !std::isnan(a) && std::isnan(b);
    }
    return higher_is_better(m) ? a > b : a < b;
}
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL void output_compare::output(const std::string& layer,
                                      float* data,
                                      const std::vector<std::size_t>& shape)
{
    const std::vector<float>& ref = m_reference.at(layer);
    if (ref.size() != element_count(shape))
    {
        throw_error<shape_error>("analyzer: layer \"" + layer + "\" changed its output size between runs");
    }
    m_targets.at(layer)->add(ref.data(), data, ref.size());
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL model_analysis analyze(simulator& sim, const simulation_plan& plan, const analyzer_options& opts)
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
