// Calibration algorithms (IFMR, HFMG, ARQ, max, percentile, KL, MSE, the registry) and the observer contract
// (merge, save/load, bad batches), against AMCT's vectors and independent references; the indexed observer
// (threads, any batch order, shards over processes) against one observer fed the batches in order.
#include <algorithm>
#include <array>
#include <atomic>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include <amct/amct.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;

const std::vector<float> vector_13_2 = {-0.5f, 0.0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.6f, 0.8f, 1.0f, 3.0f};

amct::ifmr_params ifmr_defaults(bool asymmetric)
{
    amct::ifmr_params p;
    p.asymmetric = asymmetric;
    return p;
}

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
    TEST_CASE("candidate counts of amct-algorithms.md 13.3 (torch.arange rule)")
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

    TEST_CASE("vectors of amct-algorithms.md 13.2")
    {
        amct::ifmr_search log;
        const auto sym = run_ifmr(vector_13_2, ifmr_defaults(false), &log);
        CHECK_EQ(log.ratios[log.best], doctest::Approx(1.06));
        CHECK_EQ(sym.scale[0], doctest::Approx(3.18 / 127).epsilon(1e-6));
        CHECK_EQ(sym.offset[0], 0);
        const auto asym = run_ifmr(vector_13_2, ifmr_defaults(true), &log);
        CHECK_EQ(log.ratios[log.best], doctest::Approx(1.25));
        CHECK_EQ(log.min0, -0.5f);
        CHECK_EQ(asym.scale[0], doctest::Approx(4.25 / 255).epsilon(1e-6));
        CHECK_EQ(asym.offset[0], -98);
    }

    TEST_CASE("edge cases of amct-algorithms.md 3.3")
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
                 "amct: value error: layer \"conv1\": search_step = 0.9 must be in (0, search_range_end - "
                 "search_range_start]");
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
                     "amct: value error: layer \"conv1\": batch 2 contains "
                       + std::string(at ? "NaN" : "+Inf") + " at element " + std::to_string(at)
                       + "; the batch was not observed");
            CHECK(o.save() == before);
        }
        CHECK_EQ(o.count(), x.size());
    }
}

TEST_SUITE("bit histogram")
{
    /// Data with zeros of both signs, denormals, runs, negatives and a wide range.
    std::vector<float> histogram_data(std::size_t n, std::uint32_t seed)
    {
        std::mt19937 gen(seed);
        std::student_t_distribution<float> t(2.0f);
        std::vector<float> x(n);
        for (std::size_t i = 0; i < n; ++i)
        {
            x[i] = i % 7 == 0 ? 0.0f : (i % 97 == 0 ? -0.0f : (i % 211 == 0 ? 3e-41f : t(gen)));
        }
        return x;
    }

    /// A histogram's saved state.
    std::string saved(const amct::bit_histogram& h)
    {
        amct::state_writer w;
        h.save(w);
        return w.finish("test", 1);
    }

    TEST_CASE("counts every value under its key; exact extremes; order statistics within their bin")
    {
        const std::vector<float> x = histogram_data(30011, 3);
        amct::bit_histogram h;
        REQUIRE(h.add(x.data(), x.size()));
        std::map<std::uint32_t, std::uint64_t> expected;
        for (float v : x)
        {
            ++expected[amct::bit_histogram::key_of(v)];
        }
        std::map<std::uint32_t, std::uint64_t> got;
        std::size_t visited = 0;
        h.for_each_key(
          [&](std::uint32_t k)
          {
              ++visited;
              if (h.at(k))
              {
                  got[k] = h.at(k);
              }
          });
        CHECK_EQ(got, expected);
        // only the keys of magnitudes between the smallest nonzero one and the largest, and the zeros
        const std::uint32_t span = amct::bit_histogram::magnitude_key(std::max(-h.min(), h.max()))
                                   - amct::bit_histogram::magnitude_key(h.min_abs()) + 1;
        CHECK_LE(visited, 2 * span + 2);
        CHECK_EQ(h.count(), x.size());
        std::vector<float> sorted = x;
        std::sort(sorted.begin(), sorted.end());
        CHECK_EQ(h.min(), sorted.front());
        CHECK_EQ(h.max(), sorted.back());
        CHECK_EQ(h.min_abs(), 3e-41f);
        CHECK_EQ(h.kth(1, true), sorted.back());
        CHECK_EQ(h.kth(1, false), sorted.front());
        for (std::size_t k : {2u, 10u, 100u, 5000u})
        {
            const float top = sorted[sorted.size() - k], bottom = sorted[k - 1];
            CHECK_EQ(amct::bit_histogram::key_of(h.kth(k, true)), amct::bit_histogram::key_of(top));
            CHECK_EQ(amct::bit_histogram::key_of(h.kth(k, false)), amct::bit_histogram::key_of(bottom));
        }
    }

    TEST_CASE("any split and merge order gives the same state; save/load round-trips")
    {
        const std::vector<float> x = histogram_data(50000, 4);
        amct::bit_histogram one, a, b;
        one.add(x.data(), x.size());
        a.add(x.data() + 20000, 30000);
        b.add(x.data() + 7, 19993);
        b.add(x.data(), 7);
        a.merge(b);
        CHECK(saved(a) == saved(one));
        const std::string state = saved(one);
        amct::state_reader r(state, "test", 1);
        const amct::bit_histogram back = amct::bit_histogram::load(r);
        r.done();
        CHECK(saved(back) == state);
        const amct::bit_histogram copy = back;  // copies only the keys in use
        CHECK(saved(copy) == state);
    }

    TEST_CASE("a batch with NaN or Inf, in the vector body or the tail, leaves no trace")
    {
        const std::vector<float> x = histogram_data(4099, 5);
        amct::bit_histogram h;
        h.add(x.data(), 1000);
        const std::string before = saved(h);
        for (std::size_t at : {std::size_t{0}, std::size_t{100}, std::size_t{4098}})
        {
            for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity()})
            {
                std::vector<float> y = x;
                y[at] = bad;
                CHECK_FALSE(h.add(y.data(), y.size()));
                CHECK(saved(h) == before);
            }
        }
    }

    TEST_CASE("counts past 2^32 - 1 are kept in 64 bits; inconsistent states are refused")
    {
        const auto state = [](std::uint64_t count,
                              float lo,
                              float hi,
                              float lo_abs,
                              const std::vector<std::pair<float, std::uint64_t>>& bins)
        {
            amct::state_writer w;
            w.u64(count);
            w.f32(lo);
            w.f32(hi);
            w.f32(lo_abs);
            w.u64(bins.size());
            for (const auto& [v, c] : bins)
            {
                w.u32(amct::bit_histogram::key_of(v));
                w.u64(c);
            }
            return w.finish("test", 1);
        };
        const auto load = [](const std::string& bytes)
        {
            amct::state_reader r(bytes, "test", 1);
            auto h = amct::bit_histogram::load(r);
            r.done();
            return h;
        };
        const std::uint64_t big = 3000000000u;
        amct::bit_histogram h =
          load(state(2 * big + 1, -1.0f, 2.0f, 1.0f, {{-1.0f, big}, {1.0f, 1}, {2.0f, big}}));
        h.merge(h);
        CHECK_EQ(h.at(amct::bit_histogram::key_of(2.0f)), 2 * big);
        CHECK_EQ(h.at(amct::bit_histogram::key_of(-1.0f)), 2 * big);
        const float more[] = {2.0f, 2.0f, 1.0f};
        h.add(more, 3);
        CHECK_EQ(h.at(amct::bit_histogram::key_of(2.0f)), 2 * big + 2);
        CHECK_EQ(h.count(), 4 * big + 5);
        CHECK_EQ(h.kth(2 * big + 2, true), 2.0f);

        const auto refused = [&](const std::string& bytes)
        {
            return error_of(
              [&]
              {
                  load(bytes);
              });
        };
        const std::string counts =
          "amct: state error: bit histogram counts do not match its extremes and total";
        CHECK_EQ(refused(state(2, 0.0f, 2.0f, 1.0f, {{1.0f, 1}, {4.0f, 1}})), counts);  // beyond the maximum
        CHECK_EQ(refused(state(3, 0.0f, 2.0f, 1.0f, {{1.0f, 1}, {2.0f, 1}})), counts);  // total
        CHECK_EQ(refused(state(2, 0.0f, 2.0f, 1.0f, {{2.0f, 1}, {1.0f, 1}})), counts);  // order
        CHECK_EQ(refused(state(1, 0.0f, 2.0f, 1.0f, {{1.0f, 0}, {2.0f, 1}})), counts);  // an empty entry
        CHECK_EQ(refused(state(1, 2.0f, 1.0f, 1.0f, {{1.0f, 1}})),
                 "amct: state error: bit histogram extremes are inconsistent");
    }
}

TEST_SUITE("bit histogram density")
{
    /// Sum over x of (round(clamp(x, lo, hi) / s) s - x)^2 in double, q in float as IFMR computes it.
    double direct_sum_sq(const std::vector<float>& x, float lo, float hi, float s)
    {
        double total = 0.0;
        for (float v : x)
        {
            const float c = v < lo ? lo : (v > hi ? hi : v);
            const double e = static_cast<double>(std::nearbyint(c / s) * s) - v;
            total += e * e;
        }
        return total;
    }

    TEST_CASE("zeros and spikes at the exact extremes are point masses: sums are exact")
    {
        std::vector<float> x(300, 0.0f);
        x.insert(x.end(), 120, 6.0f);  // ReLU6's saturation: the maximum
        x.insert(x.end(), 40, -2.5f);  // the minimum
        amct::bit_histogram h;
        h.add(x.data(), x.size());
        const amct::bit_histogram_density d(h, 0.01);
        for (const auto& [lo, hi, s] : {std::array<float, 3>{-2.5f, 6.0f, 8.5f / 255.0f},
                                        std::array<float, 3>{-2.0f, 5.0f, 7.0f / 255.0f},
                                        std::array<float, 3>{-7.0f, 7.0f, 7.0f / 127.0f},
                                        std::array<float, 3>{-1.0f, 1.0f, 0.0117f}})
        {
            CHECK(d.sum_sq(lo, hi, s) == doctest::Approx(direct_sum_sq(x, lo, hi, s)).epsilon(1e-9));
        }
    }

    TEST_CASE("sums on smooth data agree with the direct sum")
    {
        std::mt19937 gen(9);
        std::normal_distribution<float> normal(0.3f, 1.0f);
        std::vector<float> x(200000);
        for (auto& v : x)
        {
            v = normal(gen);
        }
        amct::bit_histogram h;
        h.add(x.data(), x.size());
        const amct::bit_histogram_density d(h, 3.0 / 255.0);
        for (const auto& [lo, hi, s] : {std::array<float, 3>{-3.0f, 3.0f, 3.0f / 127.0f},
                                        std::array<float, 3>{-1.0f, 4.0f, 5.0f / 255.0f},
                                        std::array<float, 3>{-4.0f, 2.0f, 6.0f / 255.0f}})
        {
            CHECK(d.sum_sq(lo, hi, s) == doctest::Approx(direct_sum_sq(x, lo, hi, s)).epsilon(2e-3));
        }
    }
}

TEST_SUITE("observer contract")
{
    TEST_CASE("a batch with NaN or Inf is rejected naming layer and batch; nothing is lost")
    {
        amct::ifmr_observer o(ifmr_defaults(false), "conv1");
        o.observe(xt::xtensor<float, 1>{1.0f, -2.0f, 3.0f});
        const auto before = o.compute();
        xt::xtensor<float, 2> bad = {{0.5f, 0.25f}, {std::nanf(""), 1.0f}};
        CHECK_EQ(error_of(
                   [&]
                   {
                       o.observe(bad);
                   }),
                 "amct: value error: layer \"conv1\": batch 2 contains NaN at element 2; the batch was not "
                 "observed");
        bad(1, 0) = -std::numeric_limits<float>::infinity();
        CHECK_EQ(error_of(
                   [&]
                   {
                       o.observe(bad);
                   }),
                 "amct: value error: layer \"conv1\": batch 2 contains -Inf at element 2; the batch was not "
                 "observed");
        CHECK_EQ(o.count(), 3u);
        CHECK_EQ(o.batches(), 1u);
        CHECK_EQ(o.compute().scale, before.scale);
    }

    TEST_CASE_TEMPLATE_DEFINE("merge equals one pass; save/load round-trips", Mode, merge_test)
    {
        amct::ifmr_params p = ifmr_defaults(true);
        p.mode = Mode::value;
        std::mt19937 gen(7);
        std::student_t_distribution<float> t(2.0f);
        std::vector<xt::xtensor<float, 2>> batches;
        for (int b = 0; b < 6; ++b)
        {
            xt::xtensor<float, 2> x = xt::xtensor<float, 2>::from_shape({Mode::rows, 33});
            for (auto& v : x)
            {
                v = t(gen);
            }
            batches.push_back(x);
        }
        amct::ifmr_observer one(p, "l"), a(p, "l"), b(p, "l");
        for (std::size_t i = 0; i < batches.size(); ++i)
        {
            one.observe(batches[i]);
            (i % 2 ? a : b).observe(batches[5 - i]);  // other order, split across two observers
        }
        b.merge(a);
        amct::ifmr_search l1, l2;
        const auto r1 = one.compute(&l1);
        const auto r2 = b.compute(&l2);
        CHECK_EQ(r1.scale, r2.scale);
        CHECK_EQ(r1.offset, r2.offset);
        CHECK_EQ(l1.losses, l2.losses);  // bit-identical sums
        CHECK_EQ(b.batches(), 6u);

        const std::string state = b.save();
        const auto c = amct::ifmr_observer::load(state);
        CHECK_EQ(c.layer(), "l");
        CHECK_EQ(c.batches(), 6u);
        CHECK_EQ(c.compute().scale, r1.scale);

        std::string corrupt = state;
        corrupt[corrupt.size() / 2] = static_cast<char>(corrupt[corrupt.size() / 2] ^ 0x10);
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::ifmr_observer::load(corrupt);
                   }),
                 "amct: state error: checksum mismatch: the state is corrupt or truncated");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::ifmr_observer::load(state.substr(0, state.size() - 9));
                   }),
                 "amct: state error: checksum mismatch: the state is corrupt or truncated");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::ifmr_observer::load("hello");
                   }),
                 "amct: state error: not an amct observer state (bad magic)");
        amct::state_writer w;
        w.str("l");
        const std::string other_version = w.finish("ifmr", 99);
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::ifmr_observer::load(other_version);
                   }),
                 "amct: state error: \"ifmr\" state version 99, this amct reads version 2");
        const std::string other_algo = w.finish("hfmg", 1);
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::ifmr_observer::load(other_algo);
                   }),
                 "amct: state error: state of a \"hfmg\" observer cannot be loaded into a \"ifmr\" observer");

        amct::ifmr_params q = p;
        q.search_step = 0.02;
        amct::ifmr_observer d(q, "l");
        CHECK_THROWS_AS(d.merge(one), amct::value_error);
    }

    struct exact_mode
    {
        static constexpr amct::ifmr_mode value = amct::ifmr_mode::exact;
        static constexpr std::size_t rows = 17;
    };

    struct bounded_mode  // few values: kept, exact IFMR on them
    {
        static constexpr amct::ifmr_mode value = amct::ifmr_mode::bounded;
        static constexpr std::size_t rows = 17;
    };

    struct bounded_histogram_mode  // past bounded_exact_limit: the histogram alone
    {
        static constexpr amct::ifmr_mode value = amct::ifmr_mode::bounded;
        static constexpr std::size_t rows = 300;
    };

    TEST_CASE_TEMPLATE_INVOKE(merge_test, exact_mode, bounded_mode, bounded_histogram_mode);
}

TEST_SUITE("arq")
{
    TEST_CASE("16-bit ARQ (extension): small ranges keep their scale")
    {
        const xt::xarray<float> w = {{1e-6f, -1e-5f, 5e-7f}, {0.0f, 0.0f, 0.0f}};
        amct::arq_params p;
        p.channel_wise = true;
        const auto r8 = amct::arq(w, p);
        CHECK(r8.scale == std::vector<float>{1.0f, 1.0f});  // AMCT: 1e-5 / 128 < FLT_EPS -> 1
        p.num_bits = 16;
        const auto r16 = amct::arq(w, p);
        CHECK(r16.scale[0] == 1e-5f / 32768.0f);  // |min| > |max|: 2^15 levels
        CHECK(r16.scale[1] == 1.0f);              // an all-zero row
        const auto q = amct::quantize_weight(w, r16);
        CHECK(q.q.size() == 0);
        CHECK(xt::amax(xt::abs(q.fake - w))() <= r16.scale[0] / 2);
    }

    TEST_CASE("vectors of amct-algorithms.md 13.1 and weight layouts")
    {
        xt::xtensor<float, 2> w = xt::zeros<float>({4, 12});
        for (std::size_t j = 0; j < 12; ++j)
        {
            w(0, j) = -1.0f;
            w(2, j) = 1.0f;
            w(3, j) = static_cast<float>(static_cast<int>(j % 3) - 1);
        }
        amct::arq_params p;
        p.channel_wise = false;
        const auto t = amct::arq(w, p);
        CHECK_EQ(t.scale, std::vector<float>{1.0f / 127.0f});
        CHECK_EQ(t.offset, std::vector<std::int32_t>{0});
        p.channel_wise = true;
        const auto c = amct::arq(w, p, amct::weight_layout::out_in, 1, "conv1");
        CHECK_EQ(c.scale, std::vector<float>{1.0f / 127.0f, 1.0f, 1.0f / 127.0f, 1.0f / 127.0f});
        const auto qw = amct::quantize_weight(w, c);
        CHECK_EQ(qw.q(0, 0), -127);
        CHECK_EQ(qw.q(3, 2), 127);
        CHECK(xt::amax(xt::abs(qw.fake - w))() <= 1e-2f);

        // The same weight in every layout gives the same per-channel scales.
        xt::xtensor<float, 4> oihw =
          xt::reshape_view(xt::sin(xt::arange<float>(0.0f, 6.0f * 2 * 3 * 3))
                             * xt::arange<float>(1.0f, 1.0f + 6 * 2 * 3 * 3) * 0.01f,
                           {6, 2, 3, 3});
        const auto ref = amct::arq(oihw, p);
        xt::xtensor<float, 4> hwio = xt::transpose(oihw, {2, 3, 1, 0});
        CHECK_EQ(amct::arq(hwio, p, amct::weight_layout::hwio).scale, ref.scale);
        xt::xtensor<float, 4> hwoi = xt::transpose(oihw, {2, 3, 0, 1});
        CHECK_EQ(amct::arq(hwoi, p, amct::weight_layout::hw_out_in).scale, ref.scale);
        // ConvTranspose [C_in, C_out/g, k, k] with g = 2: output channel c = g_index * 3 + j
        xt::xtensor<float, 4> iohw = xt::xtensor<float, 4>::from_shape({4, 3, 3, 3});
        for (std::size_t g = 0; g < 2; ++g)
            for (std::size_t i = 0; i < 2; ++i)
                for (std::size_t j = 0; j < 3; ++j)
                    for (std::size_t k = 0; k < 9; ++k)
                        iohw(g * 2 + i, j, k / 3, k % 3) = oihw(g * 3 + j, i, k / 3, k % 3);
        CHECK_EQ(amct::arq(iohw, p, amct::weight_layout::in_out_grouped, 2).scale, ref.scale);
        const auto qt = amct::quantize_weight(iohw,
                                              amct::arq(iohw, p, amct::weight_layout::in_out_grouped, 2),
                                              amct::weight_layout::in_out_grouped,
                                              2);
        const auto qo = amct::quantize_weight(oihw, ref);
        CHECK_EQ(qt.q(3, 2, 1, 1), qo.q(5, 1, 1, 1));  // same element in both layouts
        // depthwise TF [kh, kw, C_in, M]: channels C_in * M
        xt::xtensor<float, 4> dw = xt::reshape_view(xt::arange<float>(-36.0f, 36.0f), {3, 3, 4, 2});
        CHECK_EQ(amct::arq(dw, p, amct::weight_layout::hw_depthwise).scale.size(), 8u);
        // MatMul [K, N]: per column
        xt::xtensor<float, 2> kn = {{1.0f, -4.0f}, {2.0f, 0.5f}};
        CHECK_EQ(amct::arq(kn, p, amct::weight_layout::in_out).scale,
                 std::vector<float>{2.0f / 127.0f, 4.0f / 128.0f});
        // [K, N] quantized in place (channel axis 1) equals its transpose quantized as [N, K], int8 and fake,
        // per channel and per tensor, at 8 and 16 bits; a layer wider than one vector and with odd sizes
        for (const bool channel_wise : {true, false})
        {
            for (const int bits : {8, 16})
            {
                amct::arq_params pk;
                pk.channel_wise = channel_wise;
                pk.num_bits = bits;
                const xt::xtensor<float, 2> big =
                  xt::reshape_view(xt::sin(xt::arange<float>(0.0f, 37.0f * 19.0f))
                                     * xt::arange<float>(1.0f, 1.0f + 37.0f * 19.0f),
                                   {37, 19});
                const xt::xtensor<float, 2> big_t = xt::transpose(big);
                const auto r_kn = amct::arq(big, pk, amct::weight_layout::in_out);
                const auto q_kn = amct::quantize_weight(big, r_kn, amct::weight_layout::in_out);
                const auto q_nk =
                  amct::quantize_weight(big_t, amct::arq(big_t, pk), amct::weight_layout::out_in);
                CHECK(q_kn.fake == xt::xarray<float>(xt::transpose(q_nk.fake)));
                CHECK_EQ(q_kn.q.size(), bits == 8 ? big.size() : 0u);
                if (bits == 8)
                {
                    CHECK(q_kn.q == xt::xarray<std::int8_t>(xt::transpose(q_nk.q)));
                }
                CHECK(amct::fake_quantize_weight(big, r_kn, amct::weight_layout::in_out) == q_kn.fake);
            }
        }

        for (int bits : {4, 6, 7})
        {
            p.num_bits = bits;
            const auto r = amct::arq(w, p);
            const float levels = static_cast<float>((1 << (bits - 1)) - 1);
            CHECK_EQ(r.scale[0], 1.0f / levels);
            CHECK(xt::amax(xt::abs(amct::quantize_weight(w, r).q))() <= (1 << (bits - 1)));
        }
        p.num_bits = 5;
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::arq(w, p, amct::weight_layout::out_in, 1, "fc");
                   }),
                 "amct: value error: layer \"fc\": weight num_bits = 5 must be 4, 6, 7, 8 or 16");
        p.num_bits = 8;
        w(1, 1) = std::nanf("");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::arq(w, p, amct::weight_layout::out_in, 1, "fc");
                   }),
                 "amct: value error: layer \"fc\": weight element 13 is not finite");
    }

    TEST_CASE("layer-type rules (AMCT's CHANNEL_WISE_TYPES, TF and ONNX spellings)")
    {
        CHECK(amct::arq_rule("Conv2d").channel_wise_default);
        CHECK(amct::arq_rule("Conv").layout == amct::weight_layout::out_in);
        CHECK(amct::arq_rule("ConvTranspose").layout == amct::weight_layout::in_out_grouped);
        CHECK(amct::arq_rule("DepthwiseConv2dNative").layout == amct::weight_layout::hw_depthwise);
        CHECK(amct::arq_rule("Conv2D").layout == amct::weight_layout::hwio);
        CHECK(amct::arq_rule("Conv2DBackpropInput").layout == amct::weight_layout::hw_out_in);
        CHECK_FALSE(amct::arq_rule("Linear").channel_wise_allowed);
        CHECK(amct::arq_rule("Gemm", true).layout == amct::weight_layout::out_in);
        CHECK(amct::arq_rule("Gemm", false).layout == amct::weight_layout::in_out);
        CHECK(amct::arq_rule("MatMul").layout == amct::weight_layout::in_out);
        CHECK_FALSE(amct::arq_rule("AvgPool2d").has_weight);
        CHECK_EQ(error_of(
                   []
                   {
                       amct::arq_rule("Relu");
                   }),
                 "amct: unsupported: ARQ has no weight rule for layer type \"Relu\"");
    }
}

TEST_SUITE("max")
{
    TEST_CASE("per tensor and per channel, merge, save/load")
    {
        xt::xtensor<float, 4> a = xt::reshape_view(xt::arange<float>(-24.0f, 24.0f) * 0.5f, {2, 3, 2, 4});
        amct::max_params p;
        p.asymmetric = false;
        amct::max_observer t(p, "x");
        t.observe(a);
        CHECK_EQ(t.compute().scale[0], 12.0f / 128.0f);
        p.channels = {true, 1};
        amct::max_observer c(p, "x"), c2(p, "x");
        c.observe(xt::view(a, xt::range(0, 1)));
        c2.observe(xt::view(a, xt::range(1, 2)));
        c.merge(c2);
        const auto r = c.compute();
        REQUIRE_EQ(r.scale.size(), 3u);
        const auto ranges = amct::channel_ranges(a, 1);
        for (std::size_t ch = 0; ch < 3; ++ch)
        {
            CHECK_EQ(r.scale[ch],
                     amct::choose_qparams<amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>>(
                       {ranges.min(ch), ranges.max(ch)})
                       .scale);
        }
        CHECK_EQ(amct::max_observer::load(c.save()).compute().scale, r.scale);
        xt::xtensor<float, 2> other = xt::ones<float>({2, 5});
        CHECK_EQ(error_of(
                   [&]
                   {
                       c.observe(other);
                   }),
                 "amct: shape error: layer \"x\": the batch has 5 channels, earlier batches had 3");
        CHECK_EQ(c.batches(), 2u);
    }
}

TEST_SUITE("hfmg")
{
    TEST_CASE("PyTorch HistogramObserver cross-check (scripts/gen_algo_golden.py, 'histfix' records)")
    {
        std::ifstream in(AMCT_TEST_DATA_DIR "/algo/hfmg_torch_golden.txt");
        REQUIRE(in);
        std::string line;
        int checked = 0;
        while (std::getline(in, line))
        {
            if (line.rfind("histfix ", 0) != 0)
            {
                continue;
            }
            std::istringstream s(line);
            std::string tag, dataset, min_hex, max_hex, smin_hex, smax_hex, ascale_hex;
            int bins = 0, batches = 0, azp = 0;
            s >> tag >> dataset >> bins >> batches >> min_hex >> max_hex >> smin_hex >> smax_hex >> ascale_hex
              >> azp;
            CAPTURE(line);
            const auto x = amct_test::read_f32(AMCT_TEST_DATA_DIR "/algo/" + dataset + ".f32");
            amct::hfmg_params p;
            p.num_of_bins = bins;
            amct::hfmg_observer o(p, dataset);
            const std::size_t n = x.size() / static_cast<std::size_t>(batches);
            for (int b = 0; b < batches; ++b)
            {
                o.observe(x.data() + static_cast<std::size_t>(b) * n, n);
            }
            const auto r = o.compute();
            const auto [l, rr] = amct::detail::hfmg_search(o.histogram(), 8);
            const double w = (double(o.histogram().max) - o.histogram().min) / bins;
            const double smin = o.histogram().min + double(l) * w,
                         smax = o.histogram().min + double(rr + 1) * w;
            const double tmin = amct_test::parse_float(smin_hex), tmax = amct_test::parse_float(smax_hex);
            // One batch: the same histogram range and the same L2-optimal clip. Four batches: PyTorch widens
            // its range when merging (upsampling), amct re-bins to the data range (AMCT 4.1): within 2% of
            // the range.
            const double tol = batches == 1 ? 1e-6 * (tmax - tmin) : 0.02 * (tmax - tmin);
            CHECK(std::fabs(smin - tmin) <= tol);
            CHECK(std::fabs(smax - tmax) <= tol);
            // quint8 affine vs amct's int8 asymmetric: same scale, zero point shifted by 128
            CHECK_EQ(r.scale[0],
                     doctest::Approx(amct_test::parse_float(ascale_hex)).epsilon(batches == 1 ? 1e-5 : 0.02));
            if (batches == 1)
            {
                CHECK_EQ(r.offset[0] + 128, azp);
            }
            ++checked;
        }
        CHECK_EQ(checked, 12);
    }

    TEST_CASE("histc: the vector body equals the scalar placement")
    {
        std::mt19937 gen(5);
        std::student_t_distribution<float> t(3.0f);
        for (std::size_t n : {0u, 1u, 7u, 16u, 33u, 1000u, 100003u})
        {
            std::vector<float> x(n);
            for (auto& v : x)
                v = t(gen);
            if (n > 2)
            {
                x[1] = 5.0f;  // the maximum lands in the last bin
                x[2] = -5.0f;
            }
            for (std::size_t bins : {1024u, 4096u})
            {
                std::vector<std::int64_t> fast(bins, 0), slow(bins, 0);
                amct::detail::histc(x.data(), n, -5.0f, 5.0f, fast);
                for (float v : x)
                {
                    const float pos = (v + 5.0f) / 10.0f * static_cast<float>(bins);
                    const std::size_t b = pos <= 0.0f ? 0 : static_cast<std::size_t>(pos);
                    ++slow[std::min(b, bins - 1)];
                }
                CHECK_EQ(fast, slow);
            }
        }
    }

    TEST_CASE("histogram re-binning, merge with a reserved range, save/load")
    {
        amct::hfmg_params p;
        p.num_of_bins = 1024;
        std::mt19937 gen(3);
        std::normal_distribution<float> d(0.0f, 2.0f);
        std::vector<std::vector<float>> batches(4, std::vector<float>(5000));
        for (auto& b : batches)
            for (auto& v : b)
                v = d(gen);
        // unreserved: each batch widens the range; counts are conserved by re-binning
        amct::hfmg_observer seq(p, "l");
        for (const auto& b : batches)
            seq.observe(b.data(), b.size());
        std::int64_t total = 0;
        for (auto c : seq.histogram().counts)
            total += c;
        CHECK_EQ(total, 20000);
        // reserved range: split observation merges to exactly the one-pass histogram
        amct::hfmg_observer one(p, "l"), a(p, "l"), b(p, "l");
        for (auto* o : {&one, &a, &b})
            o->reserve_range(-10.0f, 10.0f);
        for (std::size_t i = 0; i < batches.size(); ++i)
        {
            one.observe(batches[i].data(), batches[i].size());
            (i < 2 ? a : b).observe(batches[i].data(), batches[i].size());
        }
        a.merge(b);
        CHECK_EQ(a.histogram().counts, one.histogram().counts);
        CHECK_EQ(a.compute().scale, one.compute().scale);
        CHECK_EQ(amct::hfmg_observer::load(a.save()).compute().scale, one.compute().scale);
        p.num_of_bins = 1000;
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::hfmg_observer(p, "l");
                   }),
                 "amct: value error: layer \"l\": num_of_bins = 1000 must be 1024, 2048, 4096 or 8192");
    }
}

TEST_SUITE("histogram methods")
{
    TEST_CASE("KL: TensorRT's search on hand-computed histograms")
    {
        // thresholds i in [levels, bins), as TensorRT's range(128, 2048)
        // [4, 2, 0, 1], 2 levels: KL(i=2) = 0.0196, KL(i=3) = 0.906 (smoothed, see kl.hpp)
        CHECK_EQ(amct::detail::kl_threshold_bin({4.0, 2.0, 0.0, 1.0}, 2), 2u);
        // [1, 1, 1, 1]: KL(i=2) = 0.1308, KL(i=3) = 0.0589
        CHECK_EQ(amct::detail::kl_threshold_bin({1.0, 1.0, 1.0, 1.0}, 2), 3u);
        std::vector<double> p = {0.0, 2.0, 0.0, 6.0};
        REQUIRE(amct::detail::normalize_and_smooth(p));
        CHECK_EQ(p[0], doctest::Approx(1e-4));
        CHECK_EQ(p[1], doctest::Approx(0.25 - 1e-4));
        CHECK_EQ(p[0] + p[1] + p[2] + p[3], doctest::Approx(1.0));
    }

    TEST_CASE("percentile, KL and MSE choose sensible clips; merges are exact; per channel works")
    {
        std::mt19937 gen(11);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::vector<float> x(40000);
        for (auto& v : x)
            v = normal(gen);
        x[17] = 40.0f;  // one outlier
        const xt::xtensor<float, 1> data = xt::adapt(x, {x.size()});

        amct::percentile_params pp;
        pp.max_percentile = 0.99;
        pp.asymmetric = false;
        amct::percentile_observer po(pp, "p");
        po.observe(data);
        const float t99 = po.compute().clip_max[0];
        CHECK(t99 > 2.3f);  // |N(0,1)| 99th percentile is 2.576
        CHECK(t99 < 2.8f);

        amct::kl_observer ko(amct::kl_params{}, "k");
        ko.observe(data);
        const auto kr = ko.compute();
        CHECK(kr.clip_max[0] > 2.0f);
        CHECK(kr.clip_max[0] < 20.0f);  // the outlier is clipped

        amct::mse_params mp;
        mp.asymmetric = false;
        amct::mse_observer mo(mp, "m");
        mo.observe(data);
        const float t_mse =
          mo.compute().clip_max[0];  // keeping the outlier in range costs less than clipping it
        // against the exact error on the raw data: the chosen candidate is within 2% of the best's error
        using spec = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
        auto raw_error = [&](float t)
        {
            const auto qp = amct::choose_qparams<spec>({-t, t});
            return static_cast<double>(xt::sum(xt::square(amct::fake_quantize(data, qp) - data))());
        };
        double best = 1e300;
        for (int j = 1; j <= mp.num_candidates; ++j)
            best = std::min(best,
                            raw_error(40.0f * static_cast<float>(j) / static_cast<float>(mp.num_candidates)));
        CHECK(raw_error(t_mse) <= best * 1.02);

        // exact merges: any split gives identical histograms and results
        amct::kl_observer a(amct::kl_params{}, "k"), b(amct::kl_params{}, "k");
        a.observe(xt::view(data, xt::range(0, 12345)));
        b.observe(xt::view(data, xt::range(12345, 40000)));
        b.merge(a);
        CHECK_EQ(b.histograms()[0].counts(), ko.histograms()[0].counts());
        CHECK_EQ(b.compute().scale, kr.scale);
        CHECK_EQ(amct::kl_observer::load(b.save()).compute().scale, kr.scale);

        // per channel: channel c of [4, 3, 100] data scaled by (c + 1)
        xt::xtensor<float, 3> pc = xt::xtensor<float, 3>::from_shape({4, 3, 100});
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t c = 0; c < 3; ++c)
                for (std::size_t k = 0; k < 100; ++k)
                    pc(i, c, k) = normal(gen) * static_cast<float>(c + 1);
        amct::percentile_params pcp;
        pcp.channels = {true, 1};
        pcp.max_percentile = 1.0;
        pcp.min_percentile = 1.0;
        amct::percentile_observer pco(pcp, "pc");
        pco.observe(pc);
        const auto pcr = pco.compute();
        REQUIRE_EQ(pcr.scale.size(), 3u);
        const auto ranges = amct::channel_ranges(pc, 1);
        for (std::size_t c = 0; c < 3; ++c)
        {
            CHECK_EQ(pcr.clip_max[c], doctest::Approx(ranges.max(c)).epsilon(0.01));
        }
    }
}

TEST_SUITE("registry")
{
    TEST_CASE("every algorithm by name: observe, merge, save/load through any_observer")
    {
        for (std::string_view name : amct::algorithm_names)
        {
            CAPTURE(name);
            const auto params = amct::default_params(name);
            CHECK_EQ(amct::algorithm_name(params), name);
            if (name == "arq_quantize")
            {
                CHECK_EQ(error_of(
                           [&]
                           {
                               amct::any_observer(params, "conv1");
                           }),
                         "amct: unsupported: arq_quantize calibrates weights, not activations (layer "
                         "\"conv1\"); use "
                         "amct::arq");
                continue;
            }
            xt::xtensor<float, 4> x =
              xt::reshape_view(xt::sin(xt::arange<float>(0.0f, 2 * 3 * 8 * 8)) * 3.0f, {2, 3, 8, 8});
            amct::any_observer one(params, "conv1"), half(params, "conv1"), other(params, "conv1");
            one.observe(x);
            half.observe(xt::view(x, xt::range(0, 1)));
            other.observe(xt::view(x, xt::range(1, 2)));
            half.merge(other);
            const auto r = one.compute();
            CHECK_EQ(half.batches(), 2u);
            if (name != "hfmg")  // HFMG re-bins when a later batch widens the range (AMCT 4.1)
            {
                CHECK_EQ(half.compute().scale, r.scale);
            }
            const auto loaded = amct::any_observer::load(one.save());
            CHECK_EQ(loaded.algorithm(), name);
            CHECK_EQ(loaded.layer(), "conv1");
            CHECK_EQ(loaded.compute().scale, r.scale);
            CHECK_EQ(loaded.compute().offset, r.offset);
        }
        CHECK_EQ(error_of(
                   []
                   {
                       amct::default_params("entropy");
                   }),
                 "amct: unsupported: calibration algorithm \"entropy\" (known: ifmr, hfmg, arq_quantize, "
                 "max, percentile, "
                 "kl, mse)");
        amct::any_observer a(amct::default_params("max"), "l"), b(amct::default_params("kl"), "l");
        CHECK_EQ(error_of(
                   [&]
                   {
                       a.merge(b);
                   }),
                 "amct: value error: layer \"l\": cannot merge a \"kl\" observer into a \"max\" observer");
    }
}

TEST_SUITE("robustness")
{
    TEST_CASE("IFMR state saved before compute() loads to the same result")
    {
        amct::ifmr_params p = ifmr_defaults(false);
        p.max_percentile = 0.8;
        amct::ifmr_observer o(p, "l");
        o.observe(xt::xtensor<float, 1>{3.0f, -0.5f, 0.1f, 1.0f, 0.2f, 0.8f, 0.3f, 0.6f, 0.4f, 0.0f});
        const auto loaded = amct::ifmr_observer::load(o.save());
        CHECK_EQ(loaded.compute().scale, o.compute().scale);
    }

    TEST_CASE("grid histograms: tiny or constant first batches, any split gives the same grid")
    {
        for (const auto& first :
             {std::vector<float>{0.0f, 0.0f}, std::vector<float>{1e-10f}, std::vector<float>{1000.0f}})
        {
            CAPTURE(first[0]);
            const std::vector<float> second = {0.0f, 3.0f, 1e4f, 7.0f, 1000.01f, 1000.05f, -2.0f};
            std::vector<float> all = first;
            all.insert(all.end(), second.begin(), second.end());
            amct::kl_observer split(amct::kl_params{}, "k"), one(amct::kl_params{}, "k");
            split.observe(xt::adapt(first, {first.size()}));
            split.observe(xt::adapt(second, {second.size()}));
            one.observe(xt::adapt(all, {all.size()}));
            CHECK_EQ(split.histograms()[0].counts(), one.histograms()[0].counts());
            CHECK_EQ(split.histograms()[0].bin_width(), one.histograms()[0].bin_width());
            CHECK_EQ(split.compute().scale, one.compute().scale);
            amct::percentile_observer ps(amct::percentile_params{}, "p");
            ps.observe(xt::adapt(first, {first.size()}));
            ps.observe(xt::adapt(second, {second.size()}));
            CHECK(std::isfinite(ps.compute().scale[0]));
        }
    }

    TEST_CASE("crafted states with huge lengths are state errors, not allocations")
    {
        amct::max_observer m(amct::max_params{}, "l");
        m.observe(xt::xtensor<float, 1>{1.0f, 2.0f});
        amct::state_writer w;
        w.str("l");
        w.u64(1);
        w.boolean(true);
        w.u32(8);
        w.boolean(false);
        w.i64(1);
        w.u64(std::uint64_t{1} << 40);  // ranges
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::max_observer::load(w.finish("max", 1));
                   }),
                 "amct: state error: a length of 1099511627776 elements exceeds the payload");
        amct::state_writer f;
        f.str("l");
        f.u64(1);
        f.u64(std::uint64_t{1} << 62);  // f32s length
        const std::string bytes = f.finish("x", 1);
        amct::state_reader r(bytes, "x", 1);
        r.str();
        r.u64();
        CHECK_THROWS_AS(r.f32s(), amct::state_error);
    }

    TEST_CASE("IFMR rejects a search that would have an absurd number of candidates")
    {
        amct::ifmr_params p;
        p.search_step = 1e-8;
        CHECK_EQ(
          error_of(
            [&]
            {
                amct::ifmr_observer(p, "c");
            }),
          "amct: value error: layer \"c\": search_step = 1e-08 must be large enough for at most 100000 "
          "candidates (it gives 60000001)");
    }

    TEST_CASE("ranges beyond FLT_MAX give finite scales")
    {
        const xt::xtensor<float, 1> wide = {-3e38f, 1.0f, 3e38f};
        amct::hfmg_observer h(amct::hfmg_params{}, "h");
        h.observe(wide);
        CHECK(std::isfinite(h.compute().scale[0]));
        amct::ifmr_observer i(ifmr_defaults(true), "i");
        i.observe(wide);
        CHECK(std::isfinite(i.compute().scale[0]));
        amct::ifmr_observer is(ifmr_defaults(false), "i");
        is.observe(wide);
        CHECK(std::isfinite(is.compute().scale[0]));
    }

    TEST_CASE("KL stays within the data; HFMG's right walk stops at the advanced left index")
    {
        const xt::xtensor<float, 1> uniform = xt::linspace<float>(-1.0f, 1.0f, 20001);
        amct::kl_observer k(amct::kl_params{}, "k");
        k.observe(uniform);
        CHECK(k.compute().clip_max[0] <= 1.001f);
        amct::hfmg_histogram h{10.0f, 10.002f, std::vector<std::int64_t>(1024, 0)};
        h.counts[0] = 1;
        h.counts[1023] = 1;
        const auto lr = amct::detail::hfmg_search(h, 8);
        CHECK_EQ(lr.first, 0u);
        CHECK_EQ(lr.second, 1u);
    }
}

namespace
{
/// Batches whose ranges move now and then: some widen the range, some stay inside it, some move an edge by
/// less than FLT_EPS (4.1 keeps the range then), as calibration data does. Batch b has (300 + 37 b) * scale
/// values.
std::vector<std::vector<float>> moving_batches(std::size_t n, std::uint32_t seed, std::size_t scale = 1)
{
    std::mt19937 gen(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::uniform_int_distribution<int> kind(0, 3);
    std::vector<std::vector<float>> out;
    float top = 1.0f;
    for (std::size_t b = 0; b < n; ++b)
    {
        std::vector<float> x((300 + 37 * b) * scale);
        for (auto& v : x)
        {
            v = d(gen);
        }
        const int k = kind(gen);
        if (k == 0)  // a new maximum
        {
            top *= 1.7f;
            x[b] = top;
        }
        else if (k == 1)  // a maximum just above the running one: within FLT_EPS
        {
            x[b] = top + 2e-8f;
        }
        out.push_back(std::move(x));
    }
    return out;
}

/// Sequential reference: one observer fed every batch in order.
amct::any_observer in_order(const amct::algorithm_params& p,
                            const std::vector<std::vector<float>>& batches,
                            const std::string& layer = "l")
{
    amct::any_observer o(p, layer);
    for (const auto& b : batches)
    {
        o.observe(b.data(), {b.size()});
    }
    return o;
}

/// Every activation algorithm by name with its defaults, and IFMR's bounded mode on larger batches (it then
/// merges histograms).
struct algorithm_case
{
    std::string name;
    amct::algorithm_params params;
    std::size_t scale = 1;
};

std::vector<algorithm_case> algorithm_cases()
{
    std::vector<algorithm_case> cases;
    for (std::string_view name : amct::algorithm_names)
    {
        if (name != "arq_quantize")
        {
            cases.push_back({std::string(name), amct::default_params(name)});
        }
    }
    amct::ifmr_params bounded;
    bounded.mode = amct::ifmr_mode::bounded;
    cases.push_back({"ifmr bounded", bounded, 4});
    return cases;
}

/// moving_batches for a case; bounded IFMR's hold more values than its exact fallback takes.
std::vector<std::vector<float>> case_batches(const algorithm_case& c, std::size_t n, std::uint32_t seed)
{
    auto batches = moving_batches(n, seed, c.scale);
    std::size_t values = 0;
    for (const auto& b : batches)
    {
        values += b.size();
    }
    if (c.scale > 1)
    {
        REQUIRE_GT(values, amct::ifmr_observer::bounded_exact_limit);
    }
    return batches;
}

void check_same_result(const amct::any_observer& a, const amct::any_observer& b)
{
    const auto ra = a.compute(), rb = b.compute();
    REQUIRE_EQ(ra.scale.size(), rb.scale.size());
    for (std::size_t c = 0; c < ra.scale.size(); ++c)
    {
        CHECK_EQ(amct_test::bits(ra.scale[c]), amct_test::bits(rb.scale[c]));
    }
    CHECK_EQ(ra.offset, rb.offset);
    CHECK_EQ(a.batches(), b.batches());
    if (a.algorithm()
        != "ifmr")  // IFMR's state keeps values in arrival order; its result does not depend on it
    {
        CHECK_EQ(a.save(), b.save());
    }
}
}  // namespace

TEST_SUITE("indexed observer")
{
    TEST_CASE("HFMG segments: any split and order of the batches gives the sequential histogram")
    {
        amct::hfmg_params p;
        p.num_of_bins = 1024;
        bool naive_differs = false;
        for (std::uint32_t seed = 1; seed <= 6; ++seed)
        {
            CAPTURE(seed);
            const auto batches = moving_batches(24, seed);
            amct::hfmg_observer seq(p, "l");
            for (const auto& b : batches)
            {
                seq.observe(b.data(), b.size());
            }
            // three holders with random batches each, learning the ranges in random order
            std::mt19937 gen(seed);
            std::vector<std::size_t> owner(batches.size());
            for (auto& o : owner)
            {
                o = gen() % 3;
            }
            std::vector<amct::hfmg_segments> holders(3, amct::hfmg_segments(p, "l", batches.size()));
            std::vector<amct::hfmg_observer> naive(3, amct::hfmg_observer(p, "l"));
            std::vector<std::size_t> order(batches.size());
            std::iota(order.begin(), order.end(), std::size_t{0});
            std::shuffle(order.begin(), order.end(), gen);
            for (std::size_t k : order)
            {
                amct::kernel::minmax_result r;
                amct::kernel::minmax(batches[k].data(), batches[k].size(), r);
                for (auto& h : holders)
                {
                    h.add_range(k, r.min, r.max);
                }
                naive[owner[k]].observe(batches[k].data(), batches[k].size());
            }
            std::size_t segments = 0;
            for (std::size_t k = 0; k < batches.size(); ++k)
            {
                const auto& place = holders[owner[k]].place(k);
                segments += place.segment == k;
                std::vector<std::int64_t> counts(1024, 0);
                amct::detail::histc(
                  batches[k].data(), batches[k].size(), place.step.min, place.step.max, counts);
                holders[owner[k]].add(place.segment, std::move(counts));
            }
            CHECK_GT(segments, 2u);  // the range moved: re-binning matters
            holders[2].merge(holders[0]);
            holders[1].merge(holders[2]);
            const amct::hfmg_observer all = holders[1].result();
            CHECK_EQ(all.histogram().min, seq.histogram().min);
            CHECK_EQ(all.histogram().max, seq.histogram().max);
            CHECK_EQ(all.histogram().counts, seq.histogram().counts);
            CHECK_EQ(all.save(), seq.save());
            // save/load of segments round-trips
            amct::state_writer w;
            holders[1].save(w);
            const std::string bytes = w.finish("segments", 1);
            amct::state_reader r(bytes, "segments", 1);
            CHECK_EQ(amct::hfmg_segments::load(r, "l").result().save(), seq.save());
            // the observers' own merge re-bins in another order and is off
            naive[0].merge(naive[1]);
            naive[0].merge(naive[2]);
            naive_differs = naive_differs || naive[0].histogram().counts != seq.histogram().counts;
        }
        CHECK(naive_differs);
    }

    TEST_CASE("every algorithm: threads and any batch order give the in-order result bit for bit")
    {
        for (const algorithm_case& c : algorithm_cases())
        {
            CAPTURE(c.name);
            const amct::algorithm_params& p = c.params;
            const auto batches = case_batches(c, 16, 9);
            const amct::any_observer expected = in_order(p, batches);
            for (int round = 0; round < 3; ++round)
            {
                amct::indexed_observer obs(p, "l", batches.size());
                std::vector<std::size_t> order(batches.size());
                std::iota(order.begin(), order.end(), std::size_t{0});
                std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<std::uint32_t>(round)));
                std::vector<std::thread> threads;
                for (std::size_t t = 0; t < 4; ++t)
                {
                    threads.emplace_back(
                      [&, t]
                      {
                          for (std::size_t i = t; i < order.size(); i += 4)
                          {
                              const auto& b = batches[order[i]];
                              obs.observe(order[i], b.data(), {b.size()});
                          }
                      });
                }
                for (auto& t : threads)
                {
                    t.join();
                }
                CHECK_EQ(obs.observed(), batches.size());
                CHECK_EQ(obs.waiting(), 0u);
                check_same_result(obs.result(), expected);
                CHECK_EQ(amct_test::bits(obs.compute().scale[0]),
                         amct_test::bits(expected.compute().scale[0]));
                check_same_result(amct::indexed_observer::load(obs.save()).result(), expected);
            }
        }
    }

    TEST_CASE("processes: shards saved, merged in any order, with or without shared ranges")
    {
        for (const algorithm_case& c : algorithm_cases())
        {
            CAPTURE(c.name);
            const std::string& name = c.name;
            const amct::algorithm_params& p = c.params;
            const auto batches = case_batches(c, 12, 4);
            const amct::any_observer expected = in_order(p, batches);
            for (bool share : {false, true})
            {
                CAPTURE(share);
                std::vector<amct::indexed_observer> ranks;
                for (int r = 0; r < 3; ++r)
                {
                    ranks.emplace_back(p, "l", batches.size());
                }
                for (std::size_t k = batches.size(); k-- > 0;)  // backwards: HFMG batches wait
                {
                    ranks[k % 3].observe(k, batches[k].data(), {batches[k].size()});
                }
                if (name == "hfmg")
                {
                    CHECK_GT(ranks[1].waiting(), 0u);
                }
                if (share)
                {
                    std::vector<std::vector<amct::batch_range>> sent;
                    for (auto& r : ranks)
                    {
                        sent.push_back(r.take_ranges());
                        CHECK(r.take_ranges().empty());  // each range is given once
                    }
                    for (std::size_t r = 0; r < 3; ++r)
                    {
                        for (std::size_t from = 0; from < 3; ++from)
                        {
                            if (from != r)
                            {
                                ranks[r].add_ranges(sent[from]);
                            }
                        }
                        CHECK_EQ(ranks[r].waiting(), 0u);
                    }
                }
                // a tree: 2 into 1, then 1 into 0, each through its saved state
                ranks[1].merge(amct::indexed_observer::load(ranks[2].save()));
                ranks[0].merge(amct::indexed_observer::load(ranks[1].save()));
                CHECK_EQ(ranks[0].observed(), batches.size());
                check_same_result(ranks[0].result(), expected);
            }
        }
    }

    TEST_CASE("bad use is refused with the layer and batch named; nothing changes")
    {
        const auto batches = moving_batches(3, 2);
        amct::indexed_observer a(amct::default_params("hfmg"), "conv1", 3),
          b(amct::default_params("hfmg"), "conv1", 3);
        a.observe(1, batches[1].data(), {batches[1].size()});
        CHECK_EQ(a.waiting(), 1u);
        CHECK_EQ(error_of(
                   [&]
                   {
                       a.observe(1, batches[1].data(), {batches[1].size()});
                   }),
                 "amct: value error: layer \"conv1\", batch 1: this batch was observed before");
        CHECK_EQ(error_of(
                   [&]
                   {
                       a.observe(3, batches[1].data(), {batches[1].size()});
                   }),
                 "amct: value error: layer \"conv1\", batch 3: beyond the 3 batches");
        std::vector<float> nan = batches[0];
        nan[5] = std::nanf("");
        CHECK_EQ(error_of(
                   [&]
                   {
                       a.observe(0, nan.data(), {nan.size()});
                   }),
                 "amct: value error: layer \"conv1\", batch 0: element 5 is NaN; the batch was not observed");
        CHECK_EQ(a.observed(), 1u);
        b.observe(1, batches[2].data(), {batches[2].size()});  // batch 1 again, elsewhere, other data
        CHECK_EQ(error_of(
                   [&]
                   {
                       a.merge(b);
                   }),
                 "amct: value error: layer \"conv1\", batch 1: observed in both (each batch belongs to one "
                 "process)");
        CHECK(error_of(
                [&]
                {
                    a.add_ranges(b.take_ranges());
                })
                .find("layer \"conv1\", batch 1: observed twice, with different ranges")
              != std::string::npos);
        CHECK_EQ(error_of(
                   [&]
                   {
                       a.result();
                   }),
                 "amct: value error: layer \"conv1\" has 1 of 3 batches");
        amct::indexed_observer m(amct::default_params("max"), "conv1", 3);
        CHECK_EQ(error_of(
                   [&]
                   {
                       m.add_ranges({{0, 0.0f, 1.0f}});
                   }),
                 "amct: value error: layer \"conv1\": max does not take batch ranges");
        CHECK_EQ(error_of(
                   [&]
                   {
                       m.merge(a);
                   }),
                 "amct: value error: layer \"conv1\": cannot merge hfmg over 3 batches into max over 3");
        a.observe(0, batches[0].data(), {batches[0].size()});
        a.observe(2, batches[2].data(), {batches[2].size()});
        CHECK_EQ(a.waiting(), 0u);
        check_same_result(a.result(), in_order(amct::default_params("hfmg"), batches, "conv1"));
    }

    TEST_CASE("executors run every task once; the error of the lowest failing index wins")
    {
        for (const amct::executor& exec : {amct::executor{}, amct::thread_executor(3)})
        {
            std::vector<std::atomic<int>> runs(100);
            const std::string e = error_of<std::runtime_error>(
              [&]
              {
                  amct::detail::run_tasks(exec,
                                          runs.size(),
                                          [&](std::size_t i)
                                          {
                                              ++runs[i];
                                              if (i % 30 == 29)
                                              {
                                                  throw std::runtime_error("task " + std::to_string(i));
                                              }
                                          });
              });
            CHECK_EQ(e, "task 29");
            for (const auto& r : runs)
            {
                CHECK_EQ(r.load(), 1);
            }
            std::vector<std::size_t> backwards(runs.size());  // run in another order: the same error
            std::iota(backwards.rbegin(), backwards.rend(), std::size_t{0});
            CHECK_EQ(error_of<std::runtime_error>(
                       [&]
                       {
                           amct::detail::run_tasks(exec,
                                                   backwards,
                                                   [&](std::size_t i)
                                                   {
                                                       ++runs[i];
                                                       if (i % 30 == 29)
                                                       {
                                                           throw std::runtime_error("task "
                                                                                    + std::to_string(i));
                                                       }
                                                   });
                       }),
                     "task 29");
            for (const auto& r : runs)
            {
                CHECK_EQ(r.load(), 2);
            }
        }
    }
}
