// amct/algo/indexed_observer.hpp: threads, any batch order and shards over processes against one observer fed
// the batches in order.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include <amct/algo/indexed_observer.hpp>
#include <amct/algo/registry.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;

/// Batches whose ranges move now and then: some widen the range, some stay inside it, some move an edge by
/// less than FLT_EPS (docs/algorithms.md#hfmg-histogram keeps the range then), as calibration data does.
/// Batch b has (300 + 37 b) * scale values.
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
}
