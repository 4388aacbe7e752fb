// amct/analysis/report.hpp: the accuracy report as one self-contained HTML file: inline CSS and SVG, no
// script, no font or any other resource from elsewhere. Sections: a summary table, per-layer metric bars
// (accumulated error in the quantized model and, when measured, the layer quantized alone; flagged layers
// marked), activation histograms with the chosen clip range marked, and the tuning log.
// The caller fills a plain accuracy_report and writes render_html's string wherever it likes.
#pragma once

#include <algorithm>  // std::min, std::max
#include <cmath>      // std::isfinite, std::isnan, std::log1p
#include <cstddef>    // std::size_t
#include <cstdio>     // std::snprintf
#include <limits>     // std::numeric_limits
#include <optional>   // std::optional
#include <string>     // std::string
#include <utility>    // std::pair
#include <vector>     // std::vector

#include <amct/analysis/metrics.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// One row of the per-layer table.
struct report_layer
{
    std::string name;
    std::string type;       ///< e.g. "Conv"
    std::string precision;  ///< e.g. "int8" (qtype_name)
    std::vector<double>
      accumulated;              ///< one value per accuracy_report::metrics: in the whole quantized model
    std::vector<double> alone;  ///< one per metric with only this layer quantized, or empty
    bool flagged = false;       ///< e.g. under the analyzer's threshold
};

/// The histogram of one activation: counts[i] covers [lo + i w, lo + (i + 1) w), w = (hi - lo) / size.
struct report_histogram
{
    std::string name;  ///< e.g. the layer whose input it is
    double lo = 0.0;
    double hi = 0.0;
    std::vector<double> counts;
    std::optional<double> clip_min;  ///< the chosen clip range, marked on the plot
    std::optional<double> clip_max;
};

/// One decision of a tuner.
struct report_log_entry
{
    int step = 0;
    std::string action;                                        ///< e.g. "float32", "int16", "method kl"
    std::string target;                                        ///< e.g. the layers it applies to
    double before = std::numeric_limits<double>::quiet_NaN();  ///< the measured value before (NaN: none)
    double after = std::numeric_limits<double>::quiet_NaN();   ///< and after
    std::string decision;                                      ///< e.g. "kept", "reverted: no gain"
};

/// @brief Everything the HTML report shows. Text may hold any characters: it is escaped.
struct accuracy_report
{
    std::string title = "amct accuracy report";
    std::string model;
    std::vector<std::pair<std::string, std::string>> summary;  ///< key/value lines
    std::vector<metric> metrics;                               ///< the columns of the per-layer table
    std::vector<report_layer> layers;                          ///< in the order shown
    std::vector<report_histogram> histograms;
    std::string log_measure =
      "metric";  ///< what before/after of the tuning log measure, e.g. "output SQNR (dB)"
    std::vector<report_log_entry> log;
};

namespace detail
{
/// `s` with & < > " ' replaced by character references (safe in element text and quoted attributes).
AMCT_DECL std::string html_escape(const std::string& s);

/// A value as the report prints it: %.6g, or NaN, inf, -inf.
AMCT_DECL std::string report_number(double v);

/// An SVG coordinate: two decimals.
AMCT_DECL std::string svg_number(double v);

/// How bad each value of one column is relative to the others, in [0, 1] (1 = the worst finite value);
/// NaN for NaN. Infinite values are 0 or 1 by the metric's direction.
AMCT_DECL std::vector<double> badness(const std::vector<double>& values, bool higher_better);

AMCT_DECL void check_report(const accuracy_report& r);

/// A horizontal bar of length badness * width (none for NaN), as inline SVG.
AMCT_DECL std::string svg_bar(double bad, const char* css_class);

AMCT_DECL void render_layers(std::string& out, const accuracy_report& r);

/// One histogram as SVG: at most 256 drawn bars (neighbouring bins summed), heights log(1 + count), the clip
/// range shaded with its ends as red lines (clamped to the plot when outside it).
AMCT_DECL void render_histogram(std::string& out, const report_histogram& h);

AMCT_DECL void render_log(std::string& out, const accuracy_report& r);

inline constexpr const char* report_css = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#1d2330;}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5dae3}
.model{color:#566;margin:0 0 12px}.note{color:#566;font-size:12px;margin:4px 0 8px}
table{border-collapse:collapse;font-size:12px}th,td{padding:3px 8px;border-bottom:1px solid #eceff4;text-align:left}
th{background:#f3f5f9;position:sticky;top:0}td.metric{white-space:nowrap}td.metric span{margin-left:4px}
td.name{font-family:ui-monospace,"DejaVu Sans Mono",monospace;min-width:12em;max-width:28em;overflow-wrap:anywhere}
tr.flagged td{background:#fdecec}.flag{color:#b3261e;font-weight:600;font-size:11px}
svg.bar{vertical-align:middle}rect.acc{fill:#3b6fd6}rect.alone{fill:#8a94a6}
.hists{display:flex;flex-wrap:wrap;gap:12px}figure.hist{margin:0;border:1px solid #eceff4;padding:4px}
figure.hist figcaption{font-size:12px;font-family:ui-monospace,"DejaVu Sans Mono",monospace;max-width:368px;overflow-wrap:anywhere}
path.bins{fill:#3b6fd6}rect.clip-range{fill:#e3f3e5}line.clip{stroke:#c62828;stroke-width:1.5}
line.axis{stroke:#889}svg text{font-size:10px;fill:#566}
)";
}  // namespace detail

/// @brief The report as one HTML document (UTF-8): inline CSS and SVG, no script, no external resource.
/// @throws value_error naming the layer or histogram when a layer's value counts differ from the metric
/// count or a histogram has no counts, a negative or non-finite count, or not lo < hi (both finite).
AMCT_DECL std::string render_html(const accuracy_report& r);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/report.ipp>
#endif
