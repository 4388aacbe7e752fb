// amct/algo/hfmg.hpp: HFMG against PyTorch's HistogramObserver; histc; re-binning, merge, save/load.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/algo/hfmg.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
}  // namespace

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
            // its range when merging (upsampling), amct re-bins to the data range
            // (docs/algorithms.md#hfmg-histogram): within 2% of the range.
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
