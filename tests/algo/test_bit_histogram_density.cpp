// amct/algo/bit_histogram_density.hpp: IFMR's error sums over a bit histogram.
#include <array>
#include <cmath>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include <amct/algo/bit_histogram_density.hpp>

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
