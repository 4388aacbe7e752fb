// amct/algo/kl.hpp: TensorRT's KL search on hand-computed histograms.
#include <vector>

#include <doctest/doctest.h>

#include <amct/algo/kl.hpp>

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
}
