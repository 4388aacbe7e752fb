// The observer contract (amct/algo/observer.hpp) on every algorithm: bad batches, merge, save/load; and the
// robustness cases (crafted states, absurd searches, extreme ranges).
#include <cfloat>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/algo/hfmg.hpp>
#include <amct/algo/ifmr.hpp>
#include <amct/algo/kl.hpp>
#include <amct/algo/observer.hpp>
#include <amct/algo/registry.hpp>
#include <amct/algo/state_io.hpp>

#include "algo_support.hpp"
#include "test_support.hpp"

namespace
{
using amct_test::error_of;
using amct_test::ifmr_defaults;
}  // namespace

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
                 "amct: value error: layer \"conv1\", batch 1: element 2 is NaN; the batch was not observed");
        bad(1, 0) = -std::numeric_limits<float>::infinity();
        CHECK_EQ(error_of(
                   [&]
                   {
                       o.observe(bad);
                   }),
                 "amct: value error: layer \"conv1\", batch 1: element 2 is infinite; the batch was not "
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

    TEST_CASE("grid histograms: the widest float range fits in a bounded number of doublings, a non-finite "
              "one is refused (docs/algorithms.md)")
    {
        for (const std::size_t capacity : {std::size_t{2}, std::size_t{3}, std::size_t{8192}})
        {
            CAPTURE(capacity);
            amct::grid_histogram h(capacity);
            const float x[] = {-FLT_MAX, FLT_MAX, 0.0f, FLT_TRUE_MIN, -FLT_TRUE_MIN};
            h.add(x + 2, 3);  // a grid of subnormal bins
            h.add(x, 2);      // grown to one spanning the float range
            CHECK(h.counts().size() <= capacity);
            CHECK(h.total() == 5);
            const float bad[] = {1.0f, std::numeric_limits<float>::infinity()};
            CHECK(amct_test::error_of<amct::value_error>(
                    [&]
                    {
                        h.add(bad, 2);
                    })
                    .find("is not finite")
                  != std::string::npos);
            CHECK(h.total() == 5);
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
