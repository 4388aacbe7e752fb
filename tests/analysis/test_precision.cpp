// amct/analysis/precision.hpp: the float16 simulation against numpy, and the qtype names.
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/analysis/precision.hpp>

#include "test_support.hpp"

TEST_SUITE("analysis: float16")
{
    TEST_CASE("numpy's float32 -> float16 -> float32, reference and kernel")
    {
        std::ifstream in(AMCT_TEST_DATA_DIR "/analysis/float16_golden.txt");
        REQUIRE(in);
        std::vector<float> input, want;
        std::string line;
        while (std::getline(in, line))
        {
            if (line.empty() || line[0] == '#')
            {
                continue;
            }
            std::istringstream s(line);
            std::uint32_t a = 0, b = 0;
            s >> std::hex >> a >> b;
            input.push_back(amct::detail::bits_float(a));
            want.push_back(amct::detail::bits_float(b));
        }
        REQUIRE_EQ(input.size(), 1460u);
        std::vector<float> kernel(input.size());
        amct::round_to_float16(input.data(), kernel.data(), input.size());
        std::size_t nan_count = 0;
        for (std::size_t i = 0; i < input.size(); ++i)
        {
            CAPTURE(i);
            CAPTURE(amct_test::bits(input[i]));
            nan_count += std::isnan(want[i]) ? 1u : 0u;
            // bit for bit, NaN payloads too (numpy's software conversion: top 10 payload bits, non-zero)
            CHECK_EQ(amct_test::bits(amct::round_to_float16(input[i])), amct_test::bits(want[i]));
            CHECK_EQ(amct_test::bits(kernel[i]), amct_test::bits(want[i]));
        }
        CHECK_EQ(nan_count, 4u);
    }

    TEST_CASE("hand-picked values: ties to even, overflow, subnormals, signs")
    {
        CHECK_EQ(amct::round_to_float16(1.0f + 0x1p-11f), 1.0f);                // tie, even stays
        CHECK_EQ(amct::round_to_float16(1.0f + 3 * 0x1p-11f), 1.0f + 0x1p-9f);  // tie, odd rounds up
        CHECK_EQ(amct::round_to_float16(65504.0f), 65504.0f);                   // the largest half
        CHECK_EQ(amct::round_to_float16(65519.996f), 65504.0f);                 // below the tie
        CHECK_EQ(amct::round_to_float16(65520.0f), std::numeric_limits<float>::infinity());  // tie to "65536"
        CHECK_EQ(amct::round_to_float16(-1e6f), -std::numeric_limits<float>::infinity());
        CHECK_EQ(amct::round_to_float16(0x1p-24f), 0x1p-24f);  // the smallest subnormal
        CHECK_EQ(amct::round_to_float16(0x1p-25f), 0.0f);      // tie to even 0
        CHECK_EQ(amct::round_to_float16(0x1.000002p-25f), 0x1p-24f);
        CHECK_EQ(amct::round_to_float16(3 * 0x1p-25f), 0x1p-23f);                 // 1.5 -> 2 (even)
        CHECK_EQ(amct_test::bits(amct::round_to_float16(-1e-30f)), 0x80000000u);  // -0 keeps its sign
        CHECK_EQ(amct::float16_bits(1.0f), 0x3c00u);
        CHECK_EQ(amct::float16_bits(-2.0f), 0xc000u);
        CHECK_EQ(amct::float16_value(0x7bffu), 65504.0f);
        CHECK_EQ(amct::float16_value(0x0001u), 0x1p-24f);
    }

    TEST_CASE("the branch-free kernel equals the reference over every exponent and mantissa class")
    {
        // every value of the top 16 bits (sign, exponent, 7 mantissa bits) with low halves that cover the
        // rounding cases of both paths: exact, just below/at/above the tie, odd and even kept bits
        const std::uint32_t lows[] = {0x0000,
                                      0x0001,
                                      0x0fff,
                                      0x1000,
                                      0x1001,
                                      0x1fff,
                                      0x2000,
                                      0x3000,
                                      0x7fff,
                                      0x8000,
                                      0xa5a5,
                                      0xefff,
                                      0xf000,
                                      0xffff};
        std::vector<float> in;
        for (std::uint32_t hi = 0; hi < 0x10000u; ++hi)
        {
            for (std::uint32_t lo : lows)
            {
                in.push_back(amct::detail::bits_float(hi << 16 | lo));
            }
        }
        std::vector<float> out(in.size());
        amct::round_to_float16(in.data(), out.data(), in.size());
        std::size_t mismatches = 0;
        for (std::size_t i = 0; i < in.size(); ++i)
        {
            mismatches += amct_test::bits(out[i]) != amct_test::bits(amct::round_to_float16(in[i])) ? 1u : 0u;
        }
        CHECK_EQ(mismatches, 0u);
        // in place, and through xtensor with the shape kept
        xt::xtensor<float, 2> x = {{1.0f + 0x1p-11f, 70000.0f}, {0.1f, -3.0f}};
        const auto r = amct::round_to_float16(x);
        CHECK_EQ(r.shape(), x.shape());
        CHECK_EQ(r(0, 1), std::numeric_limits<float>::infinity());
        CHECK_EQ(r(1, 0), 0.0999755859375f);  // 0x1.998p-4, the half nearest 0.1
        amct::round_to_float16(x.data(), x.data(), x.size());
        CHECK_EQ(x, r);
    }

    TEST_CASE("qtype names")
    {
        for (amct::qtype q : amct::all_qtypes)
        {
            CHECK_EQ(amct::parse_qtype(amct::qtype_name(q)), q);
        }
        CHECK_EQ(amct::parse_qtype("float"), amct::qtype::float32);
        CHECK(amct::quantized(amct::qtype::int16));
        CHECK_FALSE(amct::quantized(amct::qtype::float16));
        CHECK_EQ(
          amct_test::error_of<amct::value_error>(
            []
            {
                amct::parse_qtype("int4");
            }),
          "amct: value error: unknown qtype \"int4\"; known: int8, int16, float16, float32 (or float)");
    }
}
