// amct/analysis/report.hpp: the HTML accuracy report (tools/check_report_html.py renders its sample).
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include <doctest/doctest.h>

#include <amct/analysis/report.hpp>

#include "test_support.hpp"

namespace
{
constexpr double inf = std::numeric_limits<double>::infinity();
using amct::metric;

/// A report with everything: names that need escaping, NaN and infinite values, a flagged layer, clip
/// ranges inside and outside the histogram, a tuning log. tools/check_report_html.py renders it.
amct::accuracy_report sample_report()
{
    amct::accuracy_report r;
    r.title = "amct <accuracy> report";
    r.model = "toy & \"friends\"";
    r.summary = {
      {"output SQNR (dB)", "31.4 -> 36.2"}, {"layers at int16", "2 of 5"}, {"<script>", "alert(1)"}};
    r.metrics = {metric::cosine, metric::sqnr, metric::max_abs_error};
    r.layers = {{"conv1", "Conv", "int8", {0.9995, 38.2, 0.02}, {0.9997, 40.1, 0.01}, false},
                {"block/<conv2>&\"x\"", "Conv", "int16", {0.97, 21.5, 0.4}, {0.985, 25.0, 0.2}, true},
                {"pool", "AveragePool", "int8", {1.0, inf, 0.0}, {}, false},
                {"head/fc", "Gemm", "float16", {std::nan(""), -inf, inf}, {0.99, 30.0, 0.05}, false}};
    amct::report_histogram h;
    h.name = "conv1 <input>";
    h.lo = -4.0;
    h.hi = 6.0;
    for (int i = 0; i < 2048; ++i)
    {
        const double t = (i - 700) / 150.0;
        h.counts.push_back(std::floor(1e5 * std::exp(-t * t / 2)));
    }
    h.clip_min = -2.5;
    h.clip_max = 3.75;
    r.histograms.push_back(h);
    h.name = "head/fc";
    h.counts = {0, 5, 100, 3, 0};
    h.clip_min = -10.0;  // outside: drawn at the edge
    h.clip_max.reset();
    r.histograms.push_back(h);
    r.log_measure = "output SQNR (dB)";
    r.log = {{1, "float32", "block/<conv2>&\"x\"", 31.4, 35.0, "kept"},
             {2, "int16", "head/fc", 35.0, 34.9, "reverted: no gain"},
             {3, "method kl", "conv1", 35.0, 36.2, "kept; target 35 dB met"}};
    return r;
}

std::size_t occurrences(const std::string& s, const std::string& what)
{
    std::size_t n = 0;
    for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
    {
        ++n;
    }
    return n;
}
}  // namespace

TEST_SUITE("analysis: report")
{
    TEST_CASE(
      "the sample report: escaped text, one bar per value, marked clip ranges, the log, nothing external")
    {
        const std::string html = amct::render_html(sample_report());
        if (const char* out = std::getenv("AMCT_REPORT_OUT"))  // tools/check_report_html.py
        {
            std::ofstream(out, std::ios::binary) << html;
        }
        CHECK_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
        CHECK(html.find("<title>amct &lt;accuracy&gt; report</title>") != std::string::npos);
        CHECK(html.find("model: toy &amp; &quot;friends&quot;") != std::string::npos);
        CHECK(html.find("block/&lt;conv2&gt;&amp;&quot;x&quot;") != std::string::npos);
        CHECK(html.find("<th>&lt;script&gt;</th><td>alert(1)</td>") != std::string::npos);
        CHECK(html.find("<conv2>") == std::string::npos);
        // nothing that could run or load: no script element, no URL, no import
        for (const char* banned : {"<script", "http:", "https:", "src=", "href=", "@import", "url("})
        {
            CAPTURE(banned);
            CHECK(html.find(banned) == std::string::npos);
        }
        // per-layer table: 4 rows, 3 metrics x (accumulated, alone): a bar per finite value, flagged row
        CHECK_EQ(occurrences(html, "<tr class=\"flagged\">"), 1u);
        CHECK_EQ(occurrences(html, "<rect class=\"acc\""), 11u);   // 12 values, one NaN
        CHECK_EQ(occurrences(html, "<rect class=\"alone\""), 9u);  // pool has none
        CHECK(html.find("cosine-similarity (accumulated)") != std::string::npos);
        // full bars: the worst finite value of each of the 6 columns, and the infinite SQNR and max error of
        // head/fc
        CHECK_EQ(occurrences(html, "width=\"110.00\" height=\"10\""), 8u);
        // histograms: two figures, three clip lines, two shaded ranges
        CHECK_EQ(occurrences(html, "<figure class=\"hist\">"), 2u);
        CHECK_EQ(occurrences(html, "<line class=\"clip "), 3u);
        CHECK_EQ(occurrences(html, "<rect class=\"clip-range\""), 2u);
        CHECK(html.find("<title>clip_max = 3.75</title>") != std::string::npos);
        CHECK(html.find("conv1 &lt;input&gt; &mdash; clip [-2.5, 3.75]") != std::string::npos);
        // clip_min = -10 is left of lo = -4: drawn at the left edge (x = 4)
        CHECK(html.find("<line class=\"clip clip_min\" x1=\"4.00\"") != std::string::npos);
        // log: before, after and the change
        CHECK(html.find("<td>35</td><td>34.9</td><td>-0.1</td><td>reverted: no gain</td>")
              != std::string::npos);
        CHECK(html.find("<th>output SQNR (dB) before</th>") != std::string::npos);
    }

    TEST_CASE("inconsistent data is an error naming the layer or histogram")
    {
        auto r = sample_report();
        r.layers[1].alone.pop_back();
        CHECK_EQ(
          amct_test::error_of<amct::value_error>(
            [&]
            {
                amct::render_html(r);
            }),
          "amct: value error: report layer \"block/<conv2>&\"x\"\": 3 accumulated and 2 alone values for 3 "
          "metrics (alone may be empty)");
        r = sample_report();
        r.histograms[1].hi = r.histograms[1].lo;
        CHECK_EQ(
          amct_test::error_of<amct::value_error>(
            [&]
            {
                amct::render_html(r);
            }),
          "amct: value error: report histogram \"head/fc\": needs finite lo < hi (got -4, -4) and at least "
          "one count, each finite and >= 0");
        r = sample_report();
        r.histograms[0].counts[3] = -1;
        CHECK(amct_test::error_of<amct::value_error>(
                [&]
                {
                    amct::render_html(r);
                })
                .find("report histogram \"conv1 <input>\"")
              != std::string::npos);
        CHECK(amct::render_html(amct::accuracy_report{}).find("<h1>amct accuracy report</h1>")
              != std::string::npos);
    }
}
