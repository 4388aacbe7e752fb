// amct/pipeline/deploy.hpp: deployable factors by hand.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include <amct/pipeline/deploy.hpp>

#include "test_support.hpp"

TEST_SUITE("pipeline")
{
    TEST_CASE("deployable factors by hand")
    {
        // deq = 0.5f * 0.25f = 0.125; bias 1.0 / 0.125 = 8; -0.1875 / 0.125 = -1.5 -> -2 (ties to even)
        std::vector<float> sw = {0.25f, 0.25f};
        const float bias[] = {1.0f, -0.1875f};
        const auto q = amct::quantize_bias(bias, 2, 0.5f, sw, "l");
        CHECK(q.bias == std::vector<std::int32_t>{8, -2});
        CHECK(q.deq_scale == std::vector<float>{0.125f, 0.125f});
        CHECK(q.notes.empty());
        // per tensor: one scale for all channels, raised for the channel that needs most
        std::vector<float> one = {1e-12f};
        const float big[] = {1.0f, -3.0f, 0.5f};
        const auto f = amct::quantize_bias(big, 3, 1e-3f, one, "fc");
        REQUIRE(f.notes.size() == 2);  // channel 0 overflows, then channel 1 needs more still
        CHECK(f.notes[0].find("layer \"fc\": the int32 bias of output channel 0") == 0);
        CHECK(f.notes[1].find("layer \"fc\": the int32 bias of output channel 1") == 0);
        CHECK(one[0] > 1e-12f);
        for (std::size_t c = 0; c < 3; ++c)
        {
            const double quotient = std::nearbyint(static_cast<double>(big[c]) / f.deq_scale[c]);
            CHECK((quotient >= -2147483648.0 && quotient <= 2147483647.0));
            CHECK(f.bias[c] == quotient);
        }
        CHECK(std::fabs(std::nearbyint(-3.0 / static_cast<double>(1e-3f * std::nextafter(one[0], 0.0f))))
              > 2147483647.0);
        CHECK(amct::quantize_bias(nullptr, 3, 1e-3f, one, "fc").bias.empty());

        CHECK(amct::pack_deq_scale(1.0f, 0) == 0x3F800000u);
        CHECK(amct::pack_deq_scale(0.5f, -1) == 0xFF3F000000ull);

        // AscendQuant multiplies by the float32 reciprocal: 1/0.1f = 10.0f; 0.35f * 10 = 3.5f -> 4 (ties to
        // even), where 0.35f / 0.1f = 3.4999998 would give 3. Offset -3 shifts the saturation bounds.
        const xt::xarray<float> x = {0.25f, 0.35f, -20.0f, 20.0f, 0.0f};
        const auto y = amct::fake_quantize_activation(x, 0.1f, -3);
        CHECK(y(0) == 2.0f * 0.1f);
        CHECK(y(1) == 4.0f * 0.1f);
        CHECK(y(2) == -125.0f * 0.1f);
        CHECK(y(3) == 130.0f * 0.1f);
        CHECK(y(4) == 0.0f);
        // in place: the same values; an invalid scale is refused with the data unchanged
        xt::xarray<float> z = x;
        amct::fake_quantize_activation(z.data(), z.size(), 0.1f, -3);
        CHECK(z == y);
        xt::xarray<float> bad = x;
        CHECK_THROWS_AS(amct::fake_quantize_activation(bad.data(), bad.size(), 0.0f, 0), amct::value_error);
        CHECK(bad == x);
    }

    TEST_CASE("the int32-bias floor search: the ulp walk's answer in at most 32 steps, refusals named "
              "(docs/model.md#deployable-outputs)")
    {
        // the reference: the walk this search replaces, one float32 ulp at a time from the same start
        const auto walk = [](float b, float scale_d, float current, long cap) -> float
        {
            const double need =
              std::fabs(static_cast<double>(b)) / (static_cast<double>(scale_d) * 2147483647.0);
            float s = static_cast<float>(need);
            s = s < current ? current : s;
            for (long k = 0; !amct::detail::fits_int32(amct::detail::bias_quotient(b, scale_d * s)); ++k)
            {
                if (k == cap)
                {
                    return -1.0f;  // too long to compare
                }
                s = std::nextafter(s, std::numeric_limits<float>::infinity());
            }
            return s;
        };
        std::mt19937 gen(18);
        std::uniform_real_distribution<float> exponent(-30.0f, 30.0f), sign(-1.0f, 1.0f);
        int compared = 0;
        for (int i = 0; i < 20000; ++i)
        {
            const float b = std::copysign(std::pow(10.0f, exponent(gen) / 3.0f), sign(gen));
            const float scale_d = std::pow(10.0f, exponent(gen) / 3.0f);
            const float current = std::pow(10.0f, exponent(gen));
            const float expected = walk(b, scale_d, current, 100000);
            if (expected < 0.0f)
            {
                continue;
            }
            CAPTURE(b);
            CAPTURE(scale_d);
            CAPTURE(current);
            CHECK(amct_test::bits(amct::detail::bias_floor_scale(b, scale_d, current))
                  == amct_test::bits(expected));
            ++compared;
        }
        CHECK(compared > 19000);
        // where the walk took millions of steps: |b| / INT32_MAX below the smallest subnormal product
        const float tiny = amct::detail::bias_floor_scale(1e-37f, 1e-10f, 0.0f);
        CHECK(amct::detail::fits_int32(amct::detail::bias_quotient(1e-37f, 1e-10f * tiny)));
        CHECK(!amct::detail::fits_int32(
          amct::detail::bias_quotient(1e-37f, 1e-10f * std::nextafter(tiny, 0.0f))));
        // no finite scale: +infinity, and quantize_bias refuses with the layer and channel
        const float inf = std::numeric_limits<float>::infinity(),
                    nan = std::numeric_limits<float>::quiet_NaN();
        CHECK(amct::detail::bias_floor_scale(3e38f, 1e-45f, 1.0f) == inf);
        CHECK(amct::detail::bias_floor_scale(nan, 1.0f, 1.0f) == inf);
        CHECK(amct::detail::bias_floor_scale(inf, 1.0f, 1.0f) == inf);
        CHECK(amct::detail::bias_floor_scale(1.0f, 0.0f, 1.0f) == inf);
        std::vector<float> sw = {1.0f, 1.0f};
        const float huge[] = {0.5f, 3e38f};
        CHECK(amct_test::error_of<amct::value_error>(
                [&]
                {
                    amct::quantize_bias(huge, 2, 1e-45f, sw, "fc");
                })
              == "amct: value error: layer \"fc\": the int32 bias of output channel 1 (bias 3.00000001e+38, "
                 "scale_d 1.40129846e-45) overflows for every finite weight scale");
        CHECK(sw
              == std::vector<float>{1.0f, 1.0f});  // unchanged, though channel 0 was raised before the error
        const float not_finite[] = {0.5f, nan};
        CHECK(amct_test::error_of<amct::value_error>(
                [&]
                {
                    amct::quantize_bias(not_finite, 2, 0.5f, sw, "fc");
                })
              == "amct: value error: layer \"fc\": bias of output channel 1 is nan");
        CHECK(sw == std::vector<float>{1.0f, 1.0f});
    }
}
