// Accuracy analysis (amct/analysis): the comparison metrics against hand-computed values and numpy
// (scripts/gen_analysis_golden.py), the float16 simulation against numpy, HMCT's quant_config and the HTML
// report.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/amct.hpp>

#include "test_support.hpp"

namespace
{
constexpr double inf = std::numeric_limits<double>::infinity();

/// One case of tests/data/analysis/metrics_golden.txt.
struct metrics_case
{
    std::string name;
    std::vector<float> y, x;
    std::map<std::string, double> values;
};

std::vector<metrics_case> read_metrics_golden()
{
    std::ifstream in(AMCT_TEST_DATA_DIR "/analysis/metrics_golden.txt");
    REQUIRE(in);
    std::vector<metrics_case> cases;
    std::string line;
    while (std::getline(in, line))
    {
        std::istringstream s(line);
        std::string key;
        if (!(s >> key) || key[0] == '#' || key == "end")
        {
            continue;
        }
        if (key == "case")
        {
            cases.emplace_back();
            s >> cases.back().name;
            continue;
        }
        REQUIRE(!cases.empty());
        std::string token;
        if (key == "y" || key == "x")
        {
            auto& v = key == "y" ? cases.back().y : cases.back().x;
            while (s >> token)
            {
                v.push_back(amct_test::parse_float(token));
            }
        }
        else
        {
            s >> token;
            cases.back().values[key] = std::strtod(token.c_str(), nullptr);
        }
    }
    return cases;
}

/// Equal within `rel` relative (or 1e-300 absolute), or both NaN, or the same infinity.
bool close(double got, double want, double rel = 1e-12)
{
    if (std::isnan(want) || std::isinf(want))
    {
        return std::isnan(want) ? std::isnan(got) : got == want;
    }
    return std::fabs(got - want) <= rel * std::fabs(want) + 1e-300;
}

double value_of(const std::vector<float>& y, const std::vector<float>& x, amct::metric m)
{
    return amct::compare(y.data(), x.data(), y.size()).value(m);
}

using amct::metric;
}  // namespace

TEST_SUITE("analysis: metrics")
{
    TEST_CASE("hand-computed values of a small pair")
    {
        // y (reference) = [1, 2, -2, 4], x (actual) = [1.5, 2, -1, 3]: e = x - y = [0.5, 0, 1, -1]
        const std::vector<float> y = {1, 2, -2, 4}, x = {1.5f, 2, -1, 3};
        const auto c = amct::compare(y.data(), x.data(), 4);
        CHECK_EQ(c.count(), 4u);
        // Σxy = 1.5 + 4 + 2 + 12 = 19.5, Σx² = 2.25 + 4 + 1 + 9 = 16.25, Σy² = 1 + 4 + 4 + 16 = 25
        CHECK_EQ(c.value(metric::cosine), doctest::Approx(19.5 / (std::sqrt(16.25) * 5.0)).epsilon(1e-15));
        CHECK_EQ(c.value(metric::max_abs_error), 1.0);
        CHECK_EQ(c.value(metric::mean_abs_error), 2.5 / 4);  // (0.5 + 0 + 1 + 1) / 4
        CHECK_EQ(c.value(metric::rmse), 0.75);               // sqrt(2.25 / 4)
        // |x/y - 1| = [0.5, 0, |0.5 - 1| = 0.5, |0.75 - 1| = 0.25]
        CHECK_EQ(c.value(metric::max_relative_error), 0.5);
        CHECK_EQ(c.value(metric::accumulated_relative_error), 1.25);
        CHECK_EQ(c.value(metric::mean_relative_error), 1.25 / 4);
        CHECK_EQ(c.value(metric::relative_euclidean_distance),
                 doctest::Approx(0.3).epsilon(1e-15));  // √(2.25/25)
        CHECK_EQ(c.value(metric::sqnr), doctest::Approx(10.0 * std::log10(25.0 / 2.25)).epsilon(1e-15));
        // KL: x in [-1, 3] -> a = [2.5/4, 3/4, 0 -> FLT_EPS, 1]; y in [-2, 4] -> b = [3/6, 4/6, 0 -> FLT_EPS,
        // 1]; p = a / Σa, q = b / Σb, KL = Σ p log(p / q)
        const double e = amct::kl_floor;
        const double a[4] = {0.625, 0.75, e, 1.0}, b[4] = {0.5, 4.0 / 6.0, e, 1.0};
        const double sa = 2.375 + e, sb = 0.5 + 4.0 / 6.0 + e + 1.0;
        double kl = 0.0;
        for (int i = 0; i < 4; ++i)
        {
            kl += a[i] / sa * std::log((a[i] / sa) / (b[i] / sb));
        }
        CHECK_EQ(c.value(metric::kl_divergence), doctest::Approx(kl).epsilon(1e-14));
    }

    TEST_CASE("the edge cases of section 11.2")
    {
        const std::vector<float> zeros(5, 0.0f), v = {1, -2, 3, 0.5f, 2};
        SUBCASE("cosine: both norms zero gives 1, one gives NaN, the value is capped at 1")
        {
            CHECK_EQ(value_of(zeros, zeros, metric::cosine), 1.0);
            CHECK(std::isnan(value_of(zeros, v, metric::cosine)));
            CHECK(std::isnan(value_of(v, zeros, metric::cosine)));
            // norms of 1e-20 (<= eps = 2^-52) count as zero, as msaccucmp's FLOAT_EPSILON
            const std::vector<float> tiny = {1e-20f, 0, 0, 0, 0};
            CHECK_EQ(value_of(tiny, zeros, metric::cosine), 1.0);
            CHECK(std::isnan(value_of(tiny, v, metric::cosine)));
            std::vector<float> r(4099);
            for (std::size_t i = 0; i < r.size(); ++i)
            {
                r[i] = 0.1f * static_cast<float>(i % 97) - 3.3f;
            }
            const double same = value_of(r, r, metric::cosine);
            CHECK(same <= 1.0);
            CHECK(same > 1.0 - 1e-15);
            std::vector<float> neg(r);
            for (auto& t : neg)
            {
                t = -t;
            }
            CHECK(value_of(r, neg, metric::cosine) >= -1.0);
            CHECK(value_of(r, neg, metric::cosine) < -1.0 + 1e-15);
        }
        SUBCASE("relative errors: only |y| > eps counts; none gives 0")
        {
            // y = [0, 1e-20, 2, -4e-17]: only 2 counts, |3/2 - 1| = 0.5
            const std::vector<float> y = {0, 1e-20f, 2, -4e-17f}, x = {5, 7, 3, 1};
            CHECK_EQ(value_of(y, x, metric::max_relative_error), 0.5);
            CHECK_EQ(value_of(y, x, metric::mean_relative_error), 0.5);
            CHECK_EQ(value_of(y, x, metric::accumulated_relative_error), 0.5);
            CHECK_EQ(value_of(zeros, v, metric::max_relative_error), 0.0);
            CHECK_EQ(value_of(zeros, v, metric::mean_relative_error), 0.0);
            CHECK_EQ(value_of(zeros, v, metric::accumulated_relative_error), 0.0);
            CHECK_EQ(value_of(v, zeros, metric::max_relative_error), 1.0);  // |0/y - 1|
        }
        SUBCASE("relative Euclidean distance is 0 when the reference norm is zero")
        {
            CHECK_EQ(value_of(zeros, v, metric::relative_euclidean_distance), 0.0);
            CHECK_EQ(value_of(v, zeros, metric::relative_euclidean_distance), 1.0);
        }
        SUBCASE("SQNR: +inf without error, -inf for an all-zero reference with error, 0 dB for a zero output")
        {
            CHECK_EQ(value_of(v, v, metric::sqnr), inf);
            CHECK_EQ(value_of(zeros, zeros, metric::sqnr), inf);
            CHECK_EQ(value_of(zeros, v, metric::sqnr), -inf);
            CHECK_EQ(value_of(v, zeros, metric::sqnr), 0.0);
        }
        SUBCASE("KL: constants normalise to a uniform distribution; equal shapes give exactly 0")
        {
            const std::vector<float> three(6, 3.0f), minus(6, -2.0f);
            CHECK_EQ(value_of(three, minus, metric::kl_divergence), 0.0);
            CHECK_EQ(value_of(zeros, zeros, metric::kl_divergence), 0.0);
            // an affine image has the same min-max normalisation: |KL| < eps is reported as 0
            std::vector<float> w(v);
            for (auto& t : w)
            {
                t = 2.0f * t + 8.0f;
            }
            CHECK_EQ(value_of(v, w, metric::kl_divergence), 0.0);
            // the FLT_EPS floor keeps q > 0: x puts mass where y has its minimum
            const std::vector<float> y = {0, 1}, x = {1, 0};  // a = [1, e], b = [e, 1]
            const double e = amct::kl_floor, p0 = 1 / (1 + e), p1 = e / (1 + e);
            CHECK_EQ(value_of(y, x, metric::kl_divergence),
                     doctest::Approx(p0 * std::log(p0 / p1) + p1 * std::log(p1 / p0)).epsilon(1e-14));
        }
        SUBCASE("non-finite data propagate")
        {
            const float nan = std::numeric_limits<float>::quiet_NaN();
            const std::vector<float> with_nan = {1, nan, 3, 0.5f, 2};
            CHECK(std::isnan(value_of(v, with_nan, metric::max_abs_error)));
            CHECK(std::isnan(value_of(v, with_nan, metric::cosine)));
            CHECK(std::isnan(value_of(v, with_nan, metric::sqnr)));
            CHECK(std::isnan(value_of(v, with_nan, metric::kl_divergence)));
            const std::vector<float> with_inf = {1, std::numeric_limits<float>::infinity(), 3, 0.5f, 2};
            CHECK_EQ(value_of(v, with_inf, metric::max_abs_error), inf);
            CHECK_EQ(value_of(v, with_inf, metric::rmse), inf);
            CHECK_EQ(value_of(v, with_inf, metric::sqnr), -inf);
        }
    }

    TEST_CASE("numpy's values (msaccucmp's definitions in float64)")
    {
        const auto cases = read_metrics_golden();
        REQUIRE_EQ(cases.size(), 11u);
        for (const auto& c : cases)
        {
            CAPTURE(c.name);
            REQUIRE_EQ(c.y.size(), c.x.size());
            REQUIRE_EQ(c.values.size(), amct::all_metrics.size());
            const auto got = amct::compare(c.y.data(), c.x.data(), c.y.size());
            for (metric m : amct::all_metrics)
            {
                CAPTURE(amct::metric_name(m));
                const double want = c.values.at(std::string(amct::metric_name(m)));
                // KL is a sum of terms of both signs, and numpy sums pairwise: compare with the terms' scale
                const bool ok = m == metric::kl_divergence
                                  ? std::fabs(got.value(m) - want) <= 1e-14 + 1e-9 * want
                                  : close(got.value(m), want);
                CHECK_MESSAGE(ok, got.value(m), " vs numpy ", want);
            }
        }
    }

    TEST_CASE("several adds: every metric but KL is that of the concatenation; KL is the mean per add")
    {
        const auto cases = read_metrics_golden();
        const auto& g = cases.front();  // gaussian, 256 elements
        amct::comparison parts, merged, tail;
        const std::size_t cut = 100;
        parts.add(g.y.data(), g.x.data(), cut);
        parts.add(g.y.data() + cut, g.x.data() + cut, 0);  // adds nothing
        parts.add(g.y.data() + cut, g.x.data() + cut, g.y.size() - cut);
        merged.add(g.y.data(), g.x.data(), cut);
        tail.add(g.y.data() + cut, g.x.data() + cut, g.y.size() - cut);
        merged.merge(tail);
        CHECK_EQ(parts.count(), g.y.size());
        CHECK_EQ(parts.parts(), 2u);
        for (metric m : amct::all_metrics)
        {
            CAPTURE(amct::metric_name(m));
            CHECK(close(parts.value(m), merged.value(m), 1e-14));  // the same sums, added in another order
            if (m != metric::kl_divergence)
            {
                CHECK(close(parts.value(m), g.values.at(std::string(amct::metric_name(m))), 1e-12));
            }
        }
        amct::comparison fast(amct::skip_kl_divergence);
        fast.add(g.y.data(), g.x.data(), g.y.size());
        CHECK(close(fast.value(metric::sqnr), parts.value(metric::sqnr), 1e-14));
        merged.merge(fast);  // a part without KL: the merged KL is unknown
        CHECK_EQ(amct_test::error_of<amct::value_error>(
                   [&]
                   {
                       (void)merged.value(metric::kl_divergence);
                   }),
                 "amct: value error: comparison::value(kl-divergence): 1 of 3 parts were added with "
                 "skip_kl_divergence");
        const double kl_head =
          value_of({g.y.begin(), g.y.begin() + cut}, {g.x.begin(), g.x.begin() + cut}, metric::kl_divergence);
        const double kl_tail =
          value_of({g.y.begin() + cut, g.y.end()}, {g.x.begin() + cut, g.x.end()}, metric::kl_divergence);
        CHECK_EQ(parts.value(metric::kl_divergence), doctest::Approx((kl_head + kl_tail) / 2).epsilon(1e-15));
    }

    TEST_CASE("xtensor expressions: any layout, one shape; errors at the boundary")
    {
        xt::xtensor<float, 2> y = {{1, 2, 3}, {4, 5, 6}};
        xt::xtensor<float, 2> x = {{1, 2.5f, 3}, {4, 5, 5}};
        const auto flat = amct::compare(y.data(), x.data(), 6);
        const auto c = amct::compare(y, x);
        // transposed views (not contiguous) give the same sums in another order
        const auto t = amct::compare(xt::transpose(y), xt::transpose(x));
        for (metric m : amct::all_metrics)
        {
            CHECK_EQ(c.value(m), flat.value(m));
            CHECK(close(t.value(m), flat.value(m), 1e-15));
        }
        xt::xtensor<float, 2> other = xt::zeros<float>({3, 2});
        CHECK_EQ(amct_test::error_of<amct::shape_error>(
                   [&]
                   {
                       amct::compare(y, other);
                   }),
                 "amct: shape error: comparison::add: reference shape [2, 3] and actual shape [3, 2] differ");
        const xt::xarray<double> yd = {1.0, 2.0};  // other value types are converted to float32
        CHECK_EQ(amct::compare(yd, xt::xarray<float>{1.0f, 2.0f}).value(metric::sqnr), inf);
        amct::comparison empty;
        CHECK_EQ(amct_test::error_of<amct::value_error>(
                   [&]
                   {
                       (void)empty.value(metric::rmse);
                   }),
                 "amct: value error: comparison::value(rmse): no data has been added");
        CHECK_EQ(amct_test::error_of<amct::value_error>(
                   [&]
                   {
                       empty.add(nullptr, y.data(), 3);
                   }),
                 "amct: value error: comparison::add: null data for 3 elements");
    }

    TEST_CASE("names: canonical, HMCT's and CANN's spellings; direction")
    {
        for (metric m : amct::all_metrics)
        {
            CHECK_EQ(amct::parse_metric(amct::metric_name(m)), m);
        }
        CHECK_EQ(amct::metric_name(metric::cosine), "cosine-similarity");
        CHECK_EQ(amct::parse_metric("chebyshev"), metric::max_abs_error);
        CHECK_EQ(amct::parse_metric("mre"), metric::mean_abs_error);  // HMCT's mre is a mean absolute error
        CHECK_EQ(amct::parse_metric("CosineSimilarity"), metric::cosine);
        CHECK_EQ(amct::parse_metric("KullbackLeiblerDivergence"), metric::kl_divergence);
        CHECK(amct::higher_is_better(metric::cosine));
        CHECK(amct::higher_is_better(metric::sqnr));
        CHECK_FALSE(amct::higher_is_better(metric::rmse));
        CHECK_FALSE(amct::higher_is_better(metric::kl_divergence));
        const std::string known =
          "; known: cosine-similarity, max-abs-error, mean-abs-error, rmse, max-relative-error, "
          "mean-relative-error, accumulated-relative-error, relative-euclidean-distance, kl-divergence, sqnr";
        CHECK_EQ(amct_test::error_of<amct::value_error>(
                   []
                   {
                       amct::parse_metric("l1");
                   }),
                 "amct: value error: unknown metric \"l1\"" + known);
        CHECK_EQ(amct_test::error_of<amct::value_error>(
                   []
                   {
                       amct::parse_metric("mse");
                   }),
                 "amct: value error: unknown metric \"mse\" (amct has rmse, which ranks as mse does)"
                   + known);
    }
}

TEST_SUITE("analysis: float16")
{
    TEST_CASE("numpy's float32 -> float16 -> float32, reference and kernel")
    {
        std::ifstream in(AMCT_TEST_DATA_DIR "/analysis/float16_golden.txt");
        REQUIRE(in);
        std::vector<float> input, want;
        std::string line;
        while (std::getline(in, line))
        {
            if (line.empty() || line[0] == '#')
            {
                continue;
            }
            std::istringstream s(line);
            std::uint32_t a = 0, b = 0;
            s >> std::hex >> a >> b;
            input.push_back(amct::detail::bits_float(a));
            want.push_back(amct::detail::bits_float(b));
        }
        REQUIRE_EQ(input.size(), 1460u);
        std::vector<float> kernel(input.size());
        amct::round_to_float16(input.data(), kernel.data(), input.size());
        std::size_t nan_count = 0;
        for (std::size_t i = 0; i < input.size(); ++i)
        {
            CAPTURE(i);
            CAPTURE(amct_test::bits(input[i]));
            nan_count += std::isnan(want[i]) ? 1u : 0u;
            // bit for bit, NaN payloads too (numpy's software conversion: top 10 payload bits, non-zero)
            CHECK_EQ(amct_test::bits(amct::round_to_float16(input[i])), amct_test::bits(want[i]));
            CHECK_EQ(amct_test::bits(kernel[i]), amct_test::bits(want[i]));
        }
        CHECK_EQ(nan_count, 4u);
    }

    TEST_CASE("hand-picked values: ties to even, overflow, subnormals, signs")
    {
        CHECK_EQ(amct::round_to_float16(1.0f + 0x1p-11f), 1.0f);                // tie, even stays
        CHECK_EQ(amct::round_to_float16(1.0f + 3 * 0x1p-11f), 1.0f + 0x1p-9f);  // tie, odd rounds up
        CHECK_EQ(amct::round_to_float16(65504.0f), 65504.0f);                   // the largest half
        CHECK_EQ(amct::round_to_float16(65519.996f), 65504.0f);                 // below the tie
        CHECK_EQ(amct::round_to_float16(65520.0f), std::numeric_limits<float>::infinity());  // tie to "65536"
        CHECK_EQ(amct::round_to_float16(-1e6f), -std::numeric_limits<float>::infinity());
        CHECK_EQ(amct::round_to_float16(0x1p-24f), 0x1p-24f);  // the smallest subnormal
        CHECK_EQ(amct::round_to_float16(0x1p-25f), 0.0f);      // tie to even 0
        CHECK_EQ(amct::round_to_float16(0x1.000002p-25f), 0x1p-24f);
        CHECK_EQ(amct::round_to_float16(3 * 0x1p-25f), 0x1p-23f);                 // 1.5 -> 2 (even)
        CHECK_EQ(amct_test::bits(amct::round_to_float16(-1e-30f)), 0x80000000u);  // -0 keeps its sign
        CHECK_EQ(amct::float16_bits(1.0f), 0x3c00u);
        CHECK_EQ(amct::float16_bits(-2.0f), 0xc000u);
        CHECK_EQ(amct::float16_value(0x7bffu), 65504.0f);
        CHECK_EQ(amct::float16_value(0x0001u), 0x1p-24f);
    }

    TEST_CASE("the branch-free kernel equals the reference over every exponent and mantissa class")
    {
        // every value of the top 16 bits (sign, exponent, 7 mantissa bits) with low halves that cover the
        // rounding cases of both paths: exact, just below/at/above the tie, odd and even kept bits
        const std::uint32_t lows[] = {0x0000,
                                      0x0001,
                                      0x0fff,
                                      0x1000,
                                      0x1001,
                                      0x1fff,
                                      0x2000,
                                      0x3000,
                                      0x7fff,
                                      0x8000,
                                      0xa5a5,
                                      0xefff,
                                      0xf000,
                                      0xffff};
        std::vector<float> in;
        for (std::uint32_t hi = 0; hi < 0x10000u; ++hi)
        {
            for (std::uint32_t lo : lows)
            {
                in.push_back(amct::detail::bits_float(hi << 16 | lo));
            }
        }
        std::vector<float> out(in.size());
        amct::round_to_float16(in.data(), out.data(), in.size());
        std::size_t mismatches = 0;
        for (std::size_t i = 0; i < in.size(); ++i)
        {
            mismatches += amct_test::bits(out[i]) != amct_test::bits(amct::round_to_float16(in[i])) ? 1u : 0u;
        }
        CHECK_EQ(mismatches, 0u);
        // in place, and through xtensor with the shape kept
        xt::xtensor<float, 2> x = {{1.0f + 0x1p-11f, 70000.0f}, {0.1f, -3.0f}};
        const auto r = amct::round_to_float16(x);
        CHECK_EQ(r.shape(), x.shape());
        CHECK_EQ(r(0, 1), std::numeric_limits<float>::infinity());
        CHECK_EQ(r(1, 0), 0.0999755859375f);  // 0x1.998p-4, the half nearest 0.1
        amct::round_to_float16(x.data(), x.data(), x.size());
        CHECK_EQ(x, r);
    }

    TEST_CASE("qtype names")
    {
        for (amct::qtype q : amct::all_qtypes)
        {
            CHECK_EQ(amct::parse_qtype(amct::qtype_name(q)), q);
        }
        CHECK_EQ(amct::parse_qtype("float"), amct::qtype::float32);
        CHECK(amct::quantized(amct::qtype::int16));
        CHECK_FALSE(amct::quantized(amct::qtype::float16));
        CHECK_EQ(
          amct_test::error_of<amct::value_error>(
            []
            {
                amct::parse_qtype("int4");
            }),
          "amct: value error: unknown qtype \"int4\"; known: int8, int16, float16, float32 (or float)");
    }
}

namespace
{
const std::vector<amct::layer_info> model_layers = {{"conv1", "Conv"},
                                                    {"conv2", "Conv"},
                                                    {"pool", "AveragePool"},
                                                    {"head/fc", "Gemm"},
                                                    {"relu", "Relu"}};

std::string precision_errors(const std::string& text, const std::vector<amct::layer_info>* layers = nullptr)
{
    return amct_test::config_error_of(
      [&]
      {
          if (layers)
          {
              amct::read_precision_config(text, "quant_config.json", *layers);
          }
          else
          {
              amct::read_precision_config(text, "quant_config.json");
          }
      });
}
}  // namespace

TEST_SUITE("analysis: HMCT quant_config")
{
    TEST_CASE("every supported field, comments, a round trip")
    {
        const std::string text = R"({
    // the model's default precision
    "model_config": {
        "all_node_type": "int16",
        "modelwise_search": {"metric": "sqnr", "similarity": 0.995},
        "layerwise_search": {"metric": "chebyshev", "topk": 3, "qtype": "int16"}, /* HMCT's names */
        "weight": {"bias_correction": {"num_sample": 8, "metric": "cosine-similarity"}}
    },
    "op_config": {"Gemm": {"qtype": "float16"}},
    "node_config": {"conv1": {"qtype": "float"}, "a//b /*c*/": {"qtype": "int8"}}
})";
        const auto cfg = amct::read_precision_config(text);
        CHECK_EQ(cfg.all_node_type, amct::qtype::int16);
        REQUIRE(cfg.modelwise_search);
        CHECK_EQ(cfg.modelwise_search->metric, metric::sqnr);
        CHECK_EQ(cfg.modelwise_search->similarity, 0.995);
        REQUIRE(cfg.layerwise_search);
        CHECK_EQ(cfg.layerwise_search->metric, metric::max_abs_error);
        CHECK_EQ(cfg.layerwise_search->topk, 3);
        CHECK_EQ(cfg.layerwise_search->qtype, amct::qtype::int16);
        REQUIRE(cfg.bias_correction);
        CHECK_EQ(cfg.bias_correction->num_sample, 8);
        CHECK_EQ(cfg.bias_correction->metric, metric::cosine);
        CHECK_EQ(cfg.op_config,
                 std::vector<std::pair<std::string, amct::qtype>>{{"Gemm", amct::qtype::float16}});
        CHECK_EQ(cfg.node_config,
                 std::vector<std::pair<std::string, amct::qtype>>{{"conv1", amct::qtype::float32},
                                                                  {"a//b /*c*/", amct::qtype::int8}});
        const std::string written = amct::write_precision_config(cfg);
        CHECK_EQ(written,
                 R"({
    "model_config": {
        "all_node_type": "int16",
        "modelwise_search": {
            "metric": "sqnr",
            "similarity": 0.995
        },
        "layerwise_search": {
            "metric": "max-abs-error",
            "topk": 3,
            "qtype": "int16"
        },
        "weight": {
            "bias_correction": {
                "num_sample": 8,
                "metric": "cosine-similarity"
            }
        }
    },
    "op_config": {
        "Gemm": {
            "qtype": "float16"
        }
    },
    "node_config": {
        "conv1": {
            "qtype": "float32"
        },
        "a//b /*c*/": {
            "qtype": "int8"
        }
    }
}
)");
        CHECK_EQ(amct::read_precision_config(written), cfg);
        CHECK_EQ(boost::json::value_to<amct::precision_config>(boost::json::value_from(cfg)), cfg);
        CHECK_EQ(amct::read_precision_config("{}"), amct::precision_config{});
    }

    TEST_CASE("every problem at once, at its line and column (comments keep the positions)")
    {
        const std::string text = R"({
    /* a comment
       over lines */ "model_config": {
        "all_node_type": "int4",
        "activation": {"calibration_type": "kl"},
        "modelwise_search": {"metric": "mse", "similarity": "high"},
        "layerwise_search": {"topk": 0, "order": 1},
        "weight": {"max_percentile": 0.99, "bias_correction": {"num_sample": 0}},
        "search": {}
    },
    "op_config": {"Conv": "int8", "Gemm": {}},
    "node_config": {"conv1": {"qtype": "int8", "InputType": "int16"}, "conv2": {"qtype": "int8"}},
    "subgraph_config": {},
    "extra": 1, "extra": 2
})";
        CHECK_EQ(
          precision_errors(text),
          "quant_config.json:4:26: model_config.all_node_type = \"int4\" must be int8, int16, float16 or "
          "float32 "
          "(or float)\n"
          "quant_config.json:5:9: model_config.activation is not supported by amct: set the activation "
          "calibration "
          "in config.json or quant.cfg\n"
          "quant_config.json:6:40: model_config.modelwise_search.metric: unknown metric \"mse\" (amct has "
          "rmse, "
          "which ranks as mse does); known: cosine-similarity, max-abs-error, mean-abs-error, rmse, "
          "max-relative-error, mean-relative-error, accumulated-relative-error, relative-euclidean-distance, "
          "kl-divergence, sqnr\n"
          "quant_config.json:6:61: model_config.modelwise_search.similarity = \"high\" must be a number\n"
          "quant_config.json:7:38: model_config.layerwise_search.topk = 0 must be at least 1\n"
          "quant_config.json:7:41: unknown key \"order\" in model_config.layerwise_search (expected metric, "
          "topk, "
          "qtype)\n"
          "quant_config.json:8:20: model_config.weight.max_percentile is not supported by amct: amct "
          "calibrates "
          "weights with ARQ (config.json weight_quant_params)\n"
          "quant_config.json:8:78: model_config.weight.bias_correction.num_sample = 0 must be at least 1\n"
          "quant_config.json:9:9: model_config.search is not supported by amct: write "
          "model_config.layerwise_search {metric, topk, qtype}\n"
          "quant_config.json:11:27: op_config \"Conv\" must be an object such as {\"qtype\": \"int16\"}\n"
          "quant_config.json:11:43: op_config \"Gemm\" has no qtype\n"
          "quant_config.json:12:48: node_config \"conv1\".InputType is not supported by amct: amct sets a "
          "layer's "
          "precision with qtype\n"
          "quant_config.json:13:5: subgraph_config (HMCT 2.8) is not supported by amct; use node_config\n"
          "quant_config.json:14:17: duplicate key \"extra\" (first given at 14:5)\n"
          "quant_config.json:14:17: unknown key \"extra\" (expected model_config, op_config, node_config)");
        CHECK_EQ(precision_errors("{\n  // unterminated\n  /* comment\n}"),
                 "quant_config.json:3:3: syntax error: syntax error");
        CHECK_EQ(precision_errors("[1]"), "quant_config.json:1:1: the quant_config must be a JSON object");
    }
}

TEST_SUITE("analysis: HMCT quant_config against a model")
{
    TEST_CASE("precedence node_config > op_config > all_node_type > int8, with the deciding rule")
    {
        amct::precision_config cfg;
        std::vector<amct::resolution_note> notes;
        auto q = amct::resolve_qtypes(cfg, model_layers, &notes);
        for (const auto& l : model_layers)
        {
            CHECK_EQ(q.at(l.name), amct::qtype::int8);
        }
        CHECK_EQ(notes.size(), model_layers.size());
        CHECK_EQ(notes[0].rule, "default");
        cfg.all_node_type = amct::qtype::int16;
        cfg.op_config = {{"Conv", amct::qtype::float16}};
        cfg.node_config = {{"conv2", amct::qtype::int16}};
        notes.clear();
        q = amct::resolve_qtypes(cfg, model_layers, &notes);
        CHECK_EQ(q.at("conv1"), amct::qtype::float16);
        CHECK_EQ(q.at("conv2"), amct::qtype::int16);
        CHECK_EQ(q.at("pool"), amct::qtype::int8);  // pooling takes 8-bit activations only
        CHECK_EQ(q.at("head/fc"), amct::qtype::int16);
        CHECK_EQ(q.at("relu"), amct::qtype::int8);  // not quantizable: int16 does not apply
        CHECK_EQ(notes[4].rule, "model_config.all_node_type (int16; amct does not quantize layer type Relu)");
        REQUIRE_EQ(notes.size(), 5u);
        CHECK_EQ(notes[0].rule, "op_config \"Conv\"");
        CHECK_EQ(notes[1].rule, "node_config \"conv2\"");
        CHECK_EQ(notes[2].rule,
                 "model_config.all_node_type (int16; layer type AveragePool takes 8-bit activations only)");
        CHECK_EQ(notes[3].rule, "model_config.all_node_type");
        cfg.all_node_type = amct::qtype::float32;
        CHECK_EQ(amct::resolve_qtypes(cfg, model_layers).at("pool"), amct::qtype::float32);
    }

    TEST_CASE("unknown nodes and op types, int16 where the type cannot take it")
    {
        const std::string text = R"({
    "op_config": {"AveragePool": {"qtype": "int16"}, "Softmax": {"qtype": "float16"}},
    "node_config": {"ghost": {"qtype": "int8"}, "relu": {"qtype": "int16"}, "conv1": {"qtype": "int16"}}
})";
        CHECK_EQ(precision_errors(text), "(no error)");  // well formed without the model
        auto layers = model_layers;
        layers.push_back({"pool2", "AveragePool"});  // one problem per op type, not per layer
        CHECK_EQ(
          precision_errors(text, &layers),
          "quant_config.json:2:44: op_config \"AveragePool\": qtype int16, but layer type AveragePool "
          "takes 8-bit activations only\n"
          "quant_config.json:2:54: op_config \"Softmax\": no layer of the model has this type\n"
          "quant_config.json:3:21: node_config \"ghost\" is not a layer of the model\n"
          "quant_config.json:3:67: node_config \"relu\": qtype int16, but amct does not quantize layer "
          "type Relu");
        const auto cfg = amct::read_precision_config(text);
        CHECK_EQ(
          amct_test::config_error_of(
            [&]
            {
                amct::resolve_qtypes(cfg, layers);
            }),
          "#/node_config/ghost: node_config \"ghost\" is not a layer of the model\n"
          "#/node_config/relu/qtype: node_config \"relu\": qtype int16, but amct does not quantize layer "
          "type Relu\n"
          "#/op_config/AveragePool/qtype: op_config \"AveragePool\": qtype int16, but layer type "
          "AveragePool takes 8-bit activations only\n"
          "#/op_config/Softmax: op_config \"Softmax\": no layer of the model has this type");
    }

    TEST_CASE("apply_qtypes: int16 is 16-bit activations for the calibration, float layers are disabled")
    {
        const std::vector<amct::layer_info> layers = {
          {"conv1", "Conv"}, {"conv2", "Conv"}, {"pool", "AveragePool"}, {"head/fc", "Gemm"}};
        amct::quant_config qc = amct::create_quant_config(layers);
        qc.layers[1].second.quant_enable = false;  // disabled by the user: stays disabled
        amct::precision_config pc;
        pc.all_node_type = amct::qtype::int16;
        pc.node_config = {{"head/fc", amct::qtype::float16}};
        const auto q = amct::resolve_qtypes(pc, layers);
        amct::apply_qtypes(qc, q);
        REQUIRE_EQ(qc.layers.size(), 4u);
        CHECK_EQ(qc.layers[0].second.activation_quant_params.num_bits, 16);
        CHECK(qc.layers[0].second.quant_enable);
        CHECK_EQ(qc.layers[0].second.weight_quant_params.num_bits, 8);
        CHECK_FALSE(qc.layers[1].second.quant_enable);
        CHECK_EQ(qc.layers[2].second.activation_quant_params.num_bits, 8);  // pool: int8
        CHECK_FALSE(qc.layers[3].second.quant_enable);
        amct::check_config(qc, layers);  // AMCT's rules accept the result
        // the activation observer of an int16 layer is the same algorithm at 16 bits
        const auto params = amct::activation_params(qc.layers[0].second.activation_quant_params, true);
        CHECK_EQ(std::get<amct::ifmr_params>(params).num_bits, 16);
    }

    TEST_CASE("with_qtypes writes the fewest entries that resolve back to the same qtypes")
    {
        const amct::qtype_map want = {{"conv1", amct::qtype::int16},
                                      {"conv2", amct::qtype::int16},
                                      {"pool", amct::qtype::int8},
                                      {"head/fc", amct::qtype::float32},
                                      {"relu", amct::qtype::int16}};
        amct::precision_config base;
        base.modelwise_search = amct::modelwise_search_config{};
        base.op_config = {{"Conv", amct::qtype::float16}};
        const auto tuned = amct::with_qtypes(base, want);
        CHECK_EQ(tuned.all_node_type, amct::qtype::int16);
        CHECK(tuned.modelwise_search);
        CHECK(tuned.op_config.empty());
        CHECK_EQ(tuned.node_config,
                 std::vector<std::pair<std::string, amct::qtype>>{{"head/fc", amct::qtype::float32},
                                                                  {"pool", amct::qtype::int8}});
        const std::vector<amct::layer_info> layers = {{"conv1", "Conv"},
                                                      {"conv2", "Conv"},
                                                      {"pool", "AveragePool"},
                                                      {"head/fc", "Gemm"},
                                                      {"relu", "Gemm"}};
        CHECK_EQ(
          amct::resolve_qtypes(amct::read_precision_config(amct::write_precision_config(tuned)), layers),
          want);
        const auto all_int8 = amct::with_qtypes({}, {{"a", amct::qtype::int8}});
        CHECK_FALSE(all_int8.all_node_type);
        CHECK(all_int8.node_config.empty());
    }
}

namespace
{
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
