// amct/simd/minmax_kernel.hpp: minmax equals a scalar fold (built once per instruction set, as
// test_quantize_kernel.cpp).
#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include <amct/simd/minmax_kernel.hpp>

TEST_CASE("kernel: minmax equals a scalar fold and flags NaN")
{
    for (std::size_t n : {1u, 2u, 7u, 8u, 9u, 16u, 31u, 32u, 33u, 64u, 100u, 257u, 1000u})
    {
        std::mt19937 gen(static_cast<std::uint32_t>(n));
        std::normal_distribution<float> d(0.0f, 3.0f);
        std::vector<float> v(n);
        for (auto& x : v)
        {
            x = d(gen);
        }
        v[n / 2] = 1e6f;
        v[(n * 3) / 4] = -2e6f;
        amct::kernel::minmax_result r;
        amct::kernel::minmax(v.data(), n, r);
        float lo = v[0], hi = v[0];
        for (float x : v)
        {
            lo = std::min(lo, x);
            hi = std::max(hi, x);
        }
        CHECK_EQ(r.min, lo);
        CHECK_EQ(r.max, hi);
        CHECK_FALSE(r.has_nan);
        v[n - 1] = std::numeric_limits<float>::quiet_NaN();
        amct::kernel::minmax_result rn;
        amct::kernel::minmax(v.data(), n, rn);
        CHECK(rn.has_nan);
    }
}
