// amct/algo/bit_histogram.hpp: the exact histogram of float bit patterns: counts, merges, save/load,
// non-finite batches.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/algo/bit_histogram.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
}  // namespace

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
