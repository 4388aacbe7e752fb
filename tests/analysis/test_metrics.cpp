// amct/analysis/metrics.hpp: the comparison metrics against hand-computed values and numpy
// (scripts/gen_analysis_golden.py).
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/analysis/metrics.hpp>

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
