// Calibration algorithms: IFMR, and the observer contract (merge, save/load, bad batches).
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include <amct/amct.hpp>

#include "test_support.hpp"

namespace
{
template <class F>
std::string error_of(F&& f)
{
    try
    {
        f();
    }
    catch (const amct::error& e)
    {
        return e.what();
    }
    return "(no error)";
}

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

TEST_SUITE("ifmr bounded mode")
{
    /// Same candidate as exact IFMR in >= 95 % of cases over broad synthetic data, within one step otherwise.
    TEST_CASE("agrees with exact IFMR across distributions and sizes")
    {
        std::mt19937 gen(2024);
        int same = 0, within_one = 0, total = 0;
        for (int dist = 0; dist < 8; ++dist)
        {
            for (std::size_t n : {100u, 1000u, 10000u, 100000u})
            {
                std::vector<float> x(n);
                std::normal_distribution<float> normal(0.4f, 1.3f);
                std::uniform_real_distribution<float> uni(-0.7f, 2.5f);
                std::student_t_distribution<float> t3(3.0f), t1(1.0f);
                std::exponential_distribution<float> expo(2.0f);
                std::lognormal_distribution<float> logn(0.0f, 0.8f);
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
                        default:
                            v = std::round(normal(gen) * 8.0f) / 8.0f;
                            break;  // few distinct values
                    }
                }
                for (bool asym : {false, true})
                {
                    amct::ifmr_params p = ifmr_defaults(asym);
                    amct::ifmr_search exact, bounded;
                    run_ifmr(x, p, &exact);
                    p.mode = amct::ifmr_mode::bounded;
                    run_ifmr(x, p, &bounded);
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
            xt::xtensor<float, 2> x = xt::xtensor<float, 2>::from_shape({17, 33});
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
                 "amct: state error: \"ifmr\" state version 99, this amct reads version 1");
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
    };

    struct bounded_mode
    {
        static constexpr amct::ifmr_mode value = amct::ifmr_mode::bounded;
    };

    TEST_CASE_TEMPLATE_INVOKE(merge_test, exact_mode, bounded_mode);
}
