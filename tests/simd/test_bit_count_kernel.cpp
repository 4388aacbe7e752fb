// amct/simd/bit_count_kernel.hpp: count_bits against a scalar count (built once per instruction set, as
// test_quantize_kernel.cpp).
#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include <amct/simd/bit_count_kernel.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::bits;
}  // namespace

TEST_CASE("kernel: count_bits counts every key, spreads key 0, finds the extremes and NaN/Inf, and undoes")
{
    constexpr int shift = 13;
    constexpr std::uint32_t keys = 1u << (32 - shift), zero = keys;
    const auto key = [](float v)
    {
        return bits(v) >> shift;
    };
    for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 16u, 31u, 33u, 64u, 100u, 257u, 1000u})
    {
        std::mt19937 gen(static_cast<std::uint32_t>(n) + 1);
        std::normal_distribution<float> d(0.0f, 3.0f);
        std::vector<float> v(n);
        for (std::size_t i = 0; i < n; ++i)
        {
            // runs of zeros and of one value (the one-addition path), denormals, -0.0 and ordinary values
            v[i] = (i / 16) % 3 == 0 ? 0.0f : ((i / 16) % 3 == 1 && i % 5 ? 6.0f : d(gen));
        }
        if (n > 20)
        {
            v[3] = -0.0f;
            v[n - 2] = 1e-40f;
            v[n / 2] = -1e-3f;
        }
        std::vector<std::uint32_t> t(keys + 16 * amct::kernel::bit_count_zero_slots, 0u);
        amct::kernel::bit_count_stats s;
        amct::kernel::count_bits<shift>(v.data(), n, t.data(), zero, 1u, s);
        for (std::size_t j = 0; j < amct::kernel::bit_count_zero_slots; ++j)
        {
            t[0] += t[zero + 16 * j];
            t[zero + 16 * j] = 0;
        }
        std::map<std::uint32_t, std::uint32_t> expected;
        amct::kernel::bit_count_stats ref;
        for (float x : v)
        {
            ++expected[key(x)];
            ref.fold(x);
        }
        std::map<std::uint32_t, std::uint32_t> got;
        for (std::uint32_t k = 0; k < keys; ++k)
        {
            if (t[k])
            {
                got[k] = t[k];
            }
        }
        CHECK_EQ(got, expected);
        CHECK(s.finite);
        CHECK_EQ(bits(s.min), bits(ref.min));
        CHECK_EQ(bits(s.max), bits(ref.max));
        CHECK_EQ(bits(s.min_abs()), bits(ref.min_abs()));
        if (n > 20)
        {
            CHECK_EQ(s.min_abs(), 1e-40f);
        }
        // undo: the same values with delta 2^32 - 1
        amct::kernel::bit_count_stats ignored;
        std::vector<std::uint32_t> u(t);
        amct::kernel::count_bits<shift>(v.data(), n, u.data(), zero, ~0u, ignored);
        for (std::size_t j = 0; j < amct::kernel::bit_count_zero_slots; ++j)
        {
            u[0] += u[zero + 16 * j];
        }
        CHECK(std::all_of(u.begin(),
                          u.begin() + keys,
                          [](std::uint32_t c)
                          {
                              return c == 0;
                          }));
        for (const float bad : {std::numeric_limits<float>::quiet_NaN(),
                                std::numeric_limits<float>::infinity(),
                                -std::numeric_limits<float>::infinity()})
        {
            for (std::size_t at : {std::size_t{0}, n / 2, n - 1})
            {
                if (n == 0)
                {
                    continue;
                }
                std::vector<float> w = v;
                w[at] = bad;
                amct::kernel::bit_count_stats sb;
                std::vector<std::uint32_t> tb(t);
                amct::kernel::count_bits<shift>(w.data(), n, tb.data(), zero, 1u, sb);
                CHECK_FALSE(sb.finite);
            }
        }
    }
}
