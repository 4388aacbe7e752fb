// amct/analysis/impl/report_data.ipp: the definitions of <amct/analysis/report_data.hpp> (header-only:
// included by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/analysis/report_data.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL std::vector<report_layer> report_layers(const model_analysis& a, const std::vector<metric>& metrics)
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

AMCT_DECL std::vector<report_log_entry> report_entries(const tuning_log& log, int first_step)
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

AMCT_DECL std::vector<report_histogram> activation_histograms(simulator& sim, std::size_t b, std::size_t bins)
{
    std::set<std::string> names;
    for (const auto& l : sim.base().layers)
    {
        names.insert(l.name);
    }
    detail::layer_copy copy(names, true);
    sim.run({}, b, &copy);
    std::vector<report_histogram> out;
    for (const auto& l : sim.base().layers)
    {
        const std::vector<float>& x = copy.copies[l.name];
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
