// amct/algo/ifmr.hpp: IFMR against AMCT's vectors and an independent reference; the exact mode's run sums
// and the bounded mode against exact IFMR.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/algo/ifmr.hpp>

#include "algo_support.hpp"
#include "test_support.hpp"

namespace
{
using amct_test::error_of;
using amct_test::ifmr_defaults;

const std::vector<float> ifmr_test_vector = {-0.5f, 0.0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.6f, 0.8f, 1.0f, 3.0f};

amct::calibration_result run_ifmr(const std::vector<float>& x,
                                  const amct::ifmr_params& p,
                                  amct::ifmr_search* log = nullptr)
{
    amct::ifmr_observer o(p, "layer");
    o.observe(xt::adapt(x, {x.size()}));
    return o.compute(log);
}
}  // namespace

TEST_SUITE("ifmr")
{
    TEST_CASE("candidate counts (docs/algorithms.md#ifmr-candidate-counts: the torch.arange rule)")
    {
        auto count = [](double s, double e, double st)
        {
            amct::ifmr_params p;
            p.search_range_start = s;
            p.search_range_end = e;
            p.search_step = st;
            return amct::detail::ifmr_ratios(p).size();
        };
        CHECK_EQ(count(0.7, 1.3, 0.01), 61u);
        CHECK_EQ(count(0.8, 1.2, 0.02), 20u);
        CHECK_EQ(count(0.5, 1.5, 0.1), 10u);
        CHECK_EQ(count(0.9, 1.1, 0.05), 5u);
        const auto r = amct::detail::ifmr_ratios(amct::ifmr_params{});
        CHECK_EQ(r.front(), 0.7f);
        CHECK_EQ(r.back(), static_cast<float>(0.7 + 60 * 0.01));
    }

    TEST_CASE("test vectors (docs/algorithms.md#ifmr-test-vectors)")
    {
        amct::ifmr_search log;
        const auto sym = run_ifmr(ifmr_test_vector, ifmr_defaults(false), &log);
        CHECK_EQ(log.ratios[log.best], doctest::Approx(1.06));
        CHECK_EQ(sym.scale[0], doctest::Approx(3.18 / 127).epsilon(1e-6));
        CHECK_EQ(sym.offset[0], 0);
        const auto asym = run_ifmr(ifmr_test_vector, ifmr_defaults(true), &log);
        CHECK_EQ(log.ratios[log.best], doctest::Approx(1.25));
        CHECK_EQ(log.min0, -0.5f);
        CHECK_EQ(asym.scale[0], doctest::Approx(4.25 / 255).epsilon(1e-6));
        CHECK_EQ(asym.offset[0], -98);
    }

    TEST_CASE("edge cases (docs/algorithms.md#ifmr-edge-cases)")
    {
        const std::vector<float> zeros(8, 0.0f);
        const auto zs = run_ifmr(zeros, ifmr_defaults(false));
        CHECK_EQ(zs.scale[0], 1.0f);
        CHECK_EQ(zs.offset[0], 0);
        const auto za = run_ifmr(zeros, ifmr_defaults(true));
        CHECK_EQ(za.scale[0], 1.0f);
        CHECK_EQ(za.offset[0], -128);

        const std::vector<float> relu = {0.0f, 0.5f, 1.0f, 2.0f, 0.25f};
        CHECK_EQ(run_ifmr(relu, ifmr_defaults(true)).offset[0], -128);

        amct::ifmr_search log;
        const std::vector<float> neg = {-1.0f, -2.0f, -0.5f, -4.0f};
        const auto na = run_ifmr(neg, ifmr_defaults(true), &log);
        CHECK_EQ(log.best, 0u);  // max0 = 0: every candidate is the same
        CHECK_EQ(na.scale[0], 4.0f / 255.0f);
        CHECK_EQ(na.offset[0], 127);
        const auto ns = run_ifmr(neg, ifmr_defaults(false), &log);
        CHECK_EQ(ns.scale[0], log.ratios[log.best] * 4.0f / 128.0f);  // |max0| = 0 < |min0|: L = 128
    }

    TEST_CASE(
      "independent reference (scripts/gen_algo_golden.py) on uniform, Gaussian, heavy-tailed, ReLU data")
    {
        std::ifstream in(AMCT_TEST_DATA_DIR "/algo/ifmr_golden.txt");
        REQUIRE(in);
        std::string line;
        int cases = 0;
        while (std::getline(in, line))
        {
            if (line.rfind("ifmr ", 0) != 0)
            {
                continue;
            }
            std::istringstream s(line);
            std::string tag, dataset, scheme, scale_hex;
            amct::ifmr_params p;
            std::size_t count = 0, best = 0;
            std::int32_t offset = 0;
            s >> tag >> dataset >> scheme >> p.max_percentile >> p.min_percentile >> p.search_range_start
              >> p.search_range_end >> p.search_step >> count >> best >> scale_hex >> offset;
            p.asymmetric = scheme == "asym";
            CAPTURE(line);
            const auto data = amct_test::read_f32(AMCT_TEST_DATA_DIR "/algo/" + dataset + ".f32");
            amct::ifmr_search log;
            const auto r = run_ifmr(data, p, &log);
            CHECK_EQ(log.ratios.size(), count);
            CHECK_EQ(log.best, best);
            CHECK_EQ(amct_test::bits(r.scale[0]), amct_test::bits(amct_test::parse_float(scale_hex)));
            CHECK_EQ(r.offset[0], offset);
            ++cases;
        }
        CHECK_EQ(cases, 64);
    }

    TEST_CASE("clip values as AMCT computes them, the sign of zero included "
              "(docs/quantization.md#signed-zeros; scripts/gen_amct_golden.py)")
    {
        std::ifstream in(AMCT_TEST_DATA_DIR "/algo/ifmr_clip_golden.txt");
        REQUIRE(in);
        std::string line;
        int cases = 0, negative_zeros = 0;
        while (std::getline(in, line))
        {
            if (line.empty() || line[0] == '#')
            {
                continue;
            }
            std::istringstream s(line);
            std::string dataset, scale_hex, clip_max_hex, clip_min_hex;
            int with_offset = 0;
            std::int32_t offset = 0;
            s >> dataset >> with_offset >> scale_hex >> offset >> clip_max_hex >> clip_min_hex;
            REQUIRE(s);
            CAPTURE(line);
            const auto r = run_ifmr(amct_test::read_f32(AMCT_TEST_DATA_DIR "/algo/" + dataset + ".f32"),
                                    ifmr_defaults(with_offset != 0));
            CHECK_EQ(amct_test::bits(r.scale[0]), std::stoul(scale_hex, nullptr, 16));
            CHECK_EQ(r.offset[0], offset);
            CHECK_EQ(amct_test::bits(r.clip_max[0]), std::stoul(clip_max_hex, nullptr, 16));
            CHECK_EQ(amct_test::bits(r.clip_min[0]), std::stoul(clip_min_hex, nullptr, 16));
            negative_zeros += amct_test::bits(r.clip_min[0]) == 0x80000000u;
            ++cases;
        }
        CHECK_EQ(cases, 10);
        CHECK_EQ(negative_zeros, 2);  // relu and zeros, asymmetric: offset -128
    }

    TEST_CASE("percentile ranks: k = N - floor(pN), 1 when p is 1 within FLT_EPS")
    {
        CHECK_EQ(amct::detail::ifmr_rank(1.0, 100), 1u);
        CHECK_EQ(amct::detail::ifmr_rank(1.0 - 1e-8, 100), 1u);
        CHECK_EQ(amct::detail::ifmr_rank(0.99, 100), 1u);
        CHECK_EQ(amct::detail::ifmr_rank(0.98, 100), 2u);
        CHECK_EQ(amct::detail::ifmr_rank(0.999999, 1605632), 2u);
        CHECK_EQ(amct::detail::ifmr_rank(0.999999, 12345678), 13u);
        CHECK_EQ(amct::detail::ifmr_rank(0.6, 10), 4u);
    }

    TEST_CASE("parameters outside AMCT's ranges are rejected, naming the layer and field")
    {
        amct::ifmr_params p;
        p.search_step = 0.9;
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::ifmr_observer(p, "conv1");
                   }),
                 "amct: value error: layer \"conv1\": search_step = 0.9 must be in (0, 0.6]");
        p = {};
        p.max_percentile = 0.5;
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::ifmr_observer(p, "conv1");
                   }),
                 "amct: value error: layer \"conv1\": max_percentile = 0.5 must be in (0.5, 1]");
        p = {};
        p.num_bits = 6;
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::ifmr_observer(p, "fc");
                   }),
                 "amct: value error: layer \"fc\": num_bits = 6 must be 4, 8 or 16");
    }
}

TEST_SUITE("ifmr exact mode on sorted data")
{
    // The run decomposition (prefix sums per run of equal quantized value) and the element loop (float
    // blocks), on data large enough to take the runs: both within 1e-7 of the errors summed in double (the
    // runs within 1e-12 but where an error's own float rounding matters), and the same chosen candidate.
    TEST_CASE("run sums equal the element loop")
    {
        std::mt19937 gen(11);
        std::student_t_distribution<float> t3(3.0f);
        std::vector<float> x(1u << 20);
        for (auto& v : x)
        {
            v = std::max(0.0f, t3(gen)) * (t3(gen) > 2.0f ? 3.0f : 1.0f);  // ReLU-like, zeros and a tail
        }
        std::sort(x.begin(), x.end());
        const amct::detail::ifmr_sorted_source src(x);
        int checked = 0;
        for (const float hi : {0.5f, 3.0f, 7.5f, 40.0f})
        {
            for (const float lo : {0.0f, -1.0f})
            {
                for (const int levels : {15, 255})
                {
                    const float s = (hi - lo) / static_cast<float>(levels);
                    double exact = 0.0;  // each error as the definition rounds it, summed in double
                    for (const float v : x)
                    {
                        const float e = std::nearbyint(std::min(std::max(v, lo), hi) / s) * s - v;
                        exact += static_cast<double>(e) * static_cast<double>(e);
                    }
                    const double loop = amct::detail::ifmr_sum_sq(x.data(), x.size(), lo, hi, s);
                    const double runs = src.sum_sq(lo, hi, s);
                    CHECK(runs == doctest::Approx(exact).epsilon(1e-7));
                    CHECK(loop == doctest::Approx(exact).epsilon(1e-7));
                    ++checked;
                }
            }
        }
        CHECK(checked == 16);
        for (const bool asymmetric : {false, true})
        {
            amct::ifmr_params p;
            p.asymmetric = asymmetric;
            amct::ifmr_search fast, slow;
            const auto r = amct::detail::run_ifmr(src, p, &fast);

            struct loop_source : amct::detail::ifmr_sorted_source
            {
                using ifmr_sorted_source::ifmr_sorted_source;

                double sum_sq(float lo, float hi, float s) const noexcept
                {
                    return amct::detail::ifmr_sum_sq(x.data(), x.size(), lo, hi, s);
                }
            };

            const auto r_slow = amct::detail::run_ifmr(loop_source(x), p, &slow);
            CHECK(fast.best == slow.best);
            CHECK(r.scale == r_slow.scale);
            for (std::size_t i = 0; i < fast.losses.size(); ++i)
            {
                CHECK(fast.losses[i] == doctest::Approx(slow.losses[i]).epsilon(1e-7));
            }
        }
    }
}

TEST_SUITE("ifmr bounded mode")
{
    /// Same candidate as exact IFMR in >= 95 % of cases over broad synthetic data, within one step otherwise.
    /// Sizes beyond bounded_exact_limit use the histogram; the smallest runs exact IFMR on the kept values.
    TEST_CASE("agrees with exact IFMR across distributions and sizes")
    {
        std::mt19937 gen(2024);
        int same = 0, within_one = 0, total = 0;
        for (int dist = 0; dist < 11; ++dist)
        {
            for (std::size_t n : {1000u, 20000u, 60000u, 200000u})
            {
                std::vector<float> x(n);
                std::normal_distribution<float> normal(0.4f, 1.3f);
                std::uniform_real_distribution<float> uni(-0.7f, 2.5f);
                std::student_t_distribution<float> t3(3.0f), t1(1.0f);
                std::exponential_distribution<float> expo(2.0f);
                std::lognormal_distribution<float> logn(0.0f, 0.8f);
                std::uniform_int_distribution<int> pixel(0, 255);
                for (auto& v : x)
                {
                    switch (dist)
                    {
                        case 0:
                            v = normal(gen);
                            break;
                        case 1:
                            v = uni(gen);
                            break;
                        case 2:
                            v = t3(gen);
                            break;
                        case 3:
                            v = t1(gen) * 0.1f;
                            break;
                        case 4:
                            v = std::max(0.0f, normal(gen));
                            break;
                        case 5:
                            v = expo(gen);
                            break;
                        case 6:
                            v = -logn(gen);
                            break;
                        case 7:
                            v = std::round(normal(gen) * 8.0f) / 8.0f;  // few distinct values
                            break;
                        case 8:
                            v =
                              std::min(6.0f, std::max(0.0f, 2.0f * normal(gen)));  // ReLU6: spikes at 0 and 6
                            break;
                        case 9:
                            v = static_cast<float>(pixel(gen)) / 127.5f - 1.0f;  // an image input's lattice
                            break;
                        default:
                            v = std::max(0.0f, normal(gen)) * std::max(0.0f, normal(gen));  // heavy, ReLU'd
                            break;
                    }
                }
                for (bool asym : {false, true})
                {
                    amct::ifmr_params p = ifmr_defaults(asym);
                    amct::ifmr_search exact, bounded;
                    const auto r_exact = run_ifmr(x, p, &exact);
                    p.mode = amct::ifmr_mode::bounded;
                    const auto r_bounded = run_ifmr(x, p, &bounded);
                    if (n <= amct::ifmr_observer::bounded_exact_limit)
                    {
                        CHECK_EQ(r_bounded.scale, r_exact.scale);  // exact IFMR on the kept values
                        CHECK_EQ(bounded.losses, exact.losses);
                    }
                    const auto d =
                      exact.best > bounded.best ? exact.best - bounded.best : bounded.best - exact.best;
                    if (d > 0)
                    {
                        MESSAGE("dist ",
                                dist,
                                " n ",
                                n,
                                " asym ",
                                asym,
                                ": exact ",
                                exact.best,
                                " (max0 ",
                                exact.max0,
                                " min0 ",
                                exact.min0,
                                ") bounded ",
                                bounded.best,
                                " (max0 ",
                                bounded.max0,
                                " min0 ",
                                bounded.min0,
                                ") losses ",
                                exact.losses[exact.best],
                                " ",
                                exact.losses[bounded.best],
                                " / ",
                                bounded.losses[exact.best],
                                " ",
                                bounded.losses[bounded.best]);
                    }
                    same += d == 0;
                    within_one += d <= 1;
                    ++total;
                }
            }
        }
        MESSAGE("bounded IFMR picked exact IFMR's candidate in ",
                same,
                " of ",
                total,
                " cases, within one step in ",
                within_one);
        CHECK_GE(same * 100, total * 95);
        CHECK_EQ(within_one, total);
    }

    TEST_CASE("a NaN or Inf batch leaves the histogram as it was; the message names the element")
    {
        amct::ifmr_params p = ifmr_defaults(true);
        p.mode = amct::ifmr_mode::bounded;
        amct::ifmr_observer o(p, "conv1");
        std::mt19937 gen(5);
        std::normal_distribution<float> d(0.0f, 2.0f);
        std::vector<float> x(40000);
        for (auto& v : x)
        {
            v = d(gen);
        }
        o.observe(x.data(), x.size());
        const std::string before = o.save();
        for (std::size_t at : {std::size_t{0}, std::size_t{12345}, x.size() - 1})
        {
            std::vector<float> bad(x.rbegin(), x.rend());
            bad[at] = at == 0 ? std::numeric_limits<float>::infinity() : std::nanf("");
            CHECK_EQ(error_of(
                       [&]
                       {
                           o.observe(bad.data(), bad.size());
                       }),
                     "amct: value error: layer \"conv1\", batch 1: element " + std::to_string(at) + " is "
                       + std::string(at ? "NaN" : "infinite") + "; the batch was not observed");
            CHECK(o.save() == before);
        }
        CHECK_EQ(o.count(), x.size());
    }
}
