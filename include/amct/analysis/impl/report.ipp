// amct/analysis/impl/report.ipp: the definitions of <amct/analysis/report.hpp> (header-only: included by it;
// separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/analysis/report.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL std::string html_escape(const std::string& s)
{
    std::string out;
    out.reserve(s.size());
    for (char c : s)
    {
        switch (c)
        {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

AMCT_DECL std::string report_number(double v)
{
    if (std::isnan(v))
    {
        return "NaN";
    }
    if (!std::isfinite(v))
    {
        return v > 0 ? "inf" : "-inf";
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

AMCT_DECL std::string svg_number(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

AMCT_DECL std::vector<double> badness(const std::vector<double>& values, bool higher_better)
{
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double v : values)
    {
        if (std::isfinite(v))
        {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    std::vector<double> out;
    for (double v : values)
    {
        const double bad_end = higher_better ? -1.0 : 1.0;  // the sign of "worse"
        if (std::isnan(v))
        {
            out.push_back(v);
        }
        else if (!std::isfinite(v))
        {
            out.push_back(v * bad_end > 0 ? 1.0 : 0.0);
        }
        else
        {
            out.push_back(hi > lo ? (higher_better ? hi - v : v - lo) / (hi - lo) : 0.0);
        }
    }
    return out;
}

AMCT_DECL void check_report(const accuracy_report& r)
{
    for (const auto& l : r.layers)
    {
        if (l.accumulated.size() != r.metrics.size()
            || (!l.alone.empty() && l.alone.size() != r.metrics.size()))
        {
            throw_error<value_error>("report layer \"" + l.name
                                     + "\": " + std::to_string(l.accumulated.size()) + " accumulated and "
                                     + std::to_string(l.alone.size()) + " alone values for "
                                     + std::to_string(r.metrics.size()) + " metrics (alone may be empty)");
        }
    }
    for (const auto& h : r.histograms)
    {
        bool counts_ok = !h.counts.empty();
        for (double c : h.counts)
        {
            counts_ok = counts_ok && std::isfinite(c) && c >= 0.0;
        }
        if (!(std::isfinite(h.lo) && std::isfinite(h.hi) && h.lo < h.hi) || !counts_ok)
        {
            throw_error<value_error>("report histogram \"" + h.name + "\": needs finite lo < hi (got "
                                     + report_number(h.lo) + ", " + report_number(h.hi)
                                     + ") and at least one count, each finite and >= 0");
        }
    }
}

AMCT_DECL std::string svg_bar(double bad, const char* css_class)
{
    constexpr double width = 110.0;
    std::string s = "<svg class=\"bar\" width=\"112\" height=\"12\" viewBox=\"0 0 112 12\">";
    if (!std::isnan(bad))
    {
        s += "<rect class=\"" + std::string(css_class) + "\" x=\"1\" y=\"1\" width=\""
             + svg_number(std::max(1.0, bad * width)) + "\" height=\"10\"/>";
    }
    return s + "</svg>";
}

AMCT_DECL void render_layers(std::string& out, const accuracy_report& r)
{
    bool any_alone = false;
    for (const auto& l : r.layers)
    {
        any_alone = any_alone || !l.alone.empty();
    }
    out +=
      "<section id=\"layers\"><h2>Per-layer metrics</h2>\n<p class=\"note\">Bars: how far each value is "
      "from the best of its column (the longest bar is the worst layer). Accumulated: the layer's output in "
      "the quantized model against the float model";
    out += any_alone ? "; alone: with only this layer quantized." : ".";
    out += "</p>\n<table class=\"layers\"><thead><tr><th>#</th><th>layer</th><th>type</th><th>precision</th>";
    for (metric m : r.metrics)
    {
        const std::string name = html_escape(std::string(metric_name(m)));
        out += "<th>" + name + (any_alone ? " (accumulated)" : "") + "</th>";
        out += any_alone ? "<th>" + name + " (alone)</th>" : "";
    }
    out += "</tr></thead>\n<tbody>\n";
    std::vector<std::vector<double>> acc_bad, alone_bad;
    for (std::size_t j = 0; j < r.metrics.size(); ++j)
    {
        std::vector<double> acc, alone;
        for (const auto& l : r.layers)
        {
            acc.push_back(l.accumulated[j]);
            alone.push_back(l.alone.empty() ? std::numeric_limits<double>::quiet_NaN() : l.alone[j]);
        }
        acc_bad.push_back(badness(acc, higher_is_better(r.metrics[j])));
        alone_bad.push_back(badness(alone, higher_is_better(r.metrics[j])));
    }
    for (std::size_t i = 0; i < r.layers.size(); ++i)
    {
        const auto& l = r.layers[i];
        out += l.flagged ? "<tr class=\"flagged\">" : "<tr>";
        out += "<td>" + std::to_string(i + 1) + "</td><td class=\"name\">" + html_escape(l.name)
               + (l.flagged ? " <span class=\"flag\">flagged</span>" : "") + "</td><td>" + html_escape(l.type)
               + "</td><td>" + html_escape(l.precision) + "</td>";
        for (std::size_t j = 0; j < r.metrics.size(); ++j)
        {
            out += "<td class=\"metric\">" + svg_bar(acc_bad[j][i], "acc") + "<span>"
                   + report_number(l.accumulated[j]) + "</span></td>";
            if (any_alone)
            {
                out += "<td class=\"metric\">"
                       + (l.alone.empty() ? std::string("&ndash;")
                                          : svg_bar(alone_bad[j][i], "alone") + "<span>"
                                              + report_number(l.alone[j]) + "</span>")
                       + "</td>";
            }
        }
        out += "</tr>\n";
    }
    out += "</tbody></table></section>\n";
}

AMCT_DECL void render_histogram(std::string& out, const report_histogram& h)
{
    constexpr double w = 360.0, plot_h = 120.0, top = 6.0, left = 4.0;
    const std::size_t bins = h.counts.size();
    const std::size_t group = (bins + 255) / 256;
    std::vector<double> drawn;
    for (std::size_t i = 0; i < bins; i += group)
    {
        double c = 0.0;
        for (std::size_t k = i; k < std::min(bins, i + group); ++k)
        {
            c += h.counts[k];
        }
        drawn.push_back(c);
    }
    double peak = 0.0;
    for (double c : drawn)
    {
        peak = std::max(peak, c);
    }
    const double bin_w = w / static_cast<double>(bins);
    auto x_of = [&](double v)
    {
        return left + std::min(std::max((v - h.lo) / (h.hi - h.lo), 0.0), 1.0) * w;
    };
    const std::string label = html_escape(h.name);
    out += "<figure class=\"hist\"><svg width=\"368\" height=\"150\" viewBox=\"0 0 368 150\" role=\"img\" "
           "aria-label=\"histogram of "
           + label + "\">";
    if (h.clip_min || h.clip_max)
    {
        const double a = x_of(h.clip_min.value_or(h.lo)), b = x_of(h.clip_max.value_or(h.hi));
        out += "<rect class=\"clip-range\" x=\"" + svg_number(a) + "\" y=\"" + svg_number(top) + "\" width=\""
               + svg_number(std::max(b - a, 0.0)) + "\" height=\"" + svg_number(plot_h) + "\"/>";
    }
    std::string path;
    for (std::size_t g = 0; g < drawn.size(); ++g)
    {
        if (drawn[g] > 0.0)
        {
            const double bar_h = plot_h * std::log1p(drawn[g]) / std::log1p(peak);
            const double x = left + static_cast<double>(g * group) * bin_w;
            const double bw = static_cast<double>(std::min(group, bins - g * group)) * bin_w;
            path += "M" + svg_number(x) + " " + svg_number(top + plot_h) + "v-" + svg_number(bar_h) + "h"
                    + svg_number(bw) + "v" + svg_number(bar_h) + "z";
        }
    }
    out += "<path class=\"bins\" d=\"" + (path.empty() ? std::string("M0 0") : path) + "\"/>";
    out += "<line class=\"axis\" x1=\"" + svg_number(left) + "\" y1=\"" + svg_number(top + plot_h)
           + "\" x2=\"" + svg_number(left + w) + "\" y2=\"" + svg_number(top + plot_h) + "\"/>";
    for (const bool upper : {false, true})
    {
        if (const std::optional<double> v = upper ? h.clip_max : h.clip_min)
        {
            const std::string x = svg_number(x_of(*v)), name = upper ? "clip_max" : "clip_min";
            out += "<line class=\"clip " + name + "\" x1=\"" + x + "\" y1=\"" + svg_number(top) + "\" x2=\""
                   + x + "\" y2=\"" + svg_number(top + plot_h) + "\"><title>" + name + " = "
                   + report_number(*v) + "</title></line>";
        }
    }
    out += "<text x=\"" + svg_number(left) + "\" y=\"144\">" + report_number(h.lo) + "</text><text x=\""
           + svg_number(left + w) + "\" y=\"144\" text-anchor=\"end\">" + report_number(h.hi)
           + "</text></svg><figcaption>" + label;
    if (h.clip_min || h.clip_max)
    {
        out += " &mdash; clip [" + (h.clip_min ? report_number(*h.clip_min) : std::string("&ndash;")) + ", "
               + (h.clip_max ? report_number(*h.clip_max) : std::string("&ndash;")) + "]";
    }
    out += "</figcaption></figure>\n";
}

AMCT_DECL void render_log(std::string& out, const accuracy_report& r)
{
    const std::string measure = html_escape(r.log_measure);
    out +=
      "<section id=\"log\"><h2>Tuning log</h2>\n<table class=\"log\"><thead><tr><th>step</th><th>action</th>"
      "<th>target</th><th>"
      + measure + " before</th><th>" + measure + " after</th><th>change</th><th>decision</th></tr></thead>\n"
      + "<tbody>\n";
    for (const auto& e : r.log)
    {
        out += "<tr><td>" + std::to_string(e.step) + "</td><td>" + html_escape(e.action)
               + "</td><td class=\"name\">" + html_escape(e.target) + "</td><td>" + report_number(e.before)
               + "</td><td>" + report_number(e.after) + "</td><td>" + report_number(e.after - e.before)
               + "</td><td>" + html_escape(e.decision) + "</td></tr>\n";
    }
    out += "</tbody></table></section>\n";
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL std::string render_html(const accuracy_report& r)
{
    detail::check_report(r);
    const std::string title = detail::html_escape(r.title);
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + title
                      + "</title>\n<style>" + detail::report_css + "</style></head>\n<body>\n<h1>" + title
                      + "</h1>\n";
    if (!r.model.empty())
    {
        out += "<p class=\"model\">model: " + detail::html_escape(r.model) + "</p>\n";
    }
    if (!r.summary.empty())
    {
        out += "<section id=\"summary\"><h2>Summary</h2><table class=\"summary\"><tbody>\n";
        for (const auto& [k, v] : r.summary)
        {
            out +=
              "<tr><th>" + detail::html_escape(k) + "</th><td>" + detail::html_escape(v) + "</td></tr>\n";
        }
        out += "</tbody></table></section>\n";
    }
    if (!r.layers.empty())
    {
        detail::render_layers(out, r);
    }
    if (!r.histograms.empty())
    {
        out +=
          "<section id=\"histograms\"><h2>Activation histograms</h2>\n<p class=\"note\">Heights: "
          "log(1 + count). Shaded between the red lines: the chosen clip range.</p>\n<div class=\"hists\">\n";
        for (const auto& h : r.histograms)
        {
            detail::render_histogram(out, h);
        }
        out += "</div></section>\n";
    }
    if (!r.log.empty())
    {
        detail::render_log(out, r);
    }
    return out + "</body></html>\n";
}
}  // namespace AMCT_ABI
}  // namespace amct
