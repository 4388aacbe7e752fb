// amct/core/choose_qparams.hpp: AMCT's scale/offset rules from a range.
#include <cfloat>
#include <limits>

#include <doctest/doctest.h>

#include <amct/base/error.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/core/policies.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
using sym8 = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
using asym8 = amct::quant_spec<amct::int8, amct::asymmetric, amct::per_tensor>;
using sym8c = amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>;
using asymu8 = amct::quant_spec<amct::uint8, amct::asymmetric, amct::per_tensor>;
using sym16 = amct::quant_spec<amct::int16, amct::symmetric, amct::per_tensor>;
using sym4 = amct::quant_spec<amct::int4, amct::symmetric, amct::per_tensor>;
}  // namespace

TEST_SUITE("choose_qparams")
{
    TEST_CASE("symmetric: L is 127, or 128 when |min| > |max| strictly; a tie gives 127")
    {
        CHECK_EQ(amct::choose_qparams<sym8>({-1.0f, 2.54f}).scale, 2.54f / 127.0f);
        CHECK_EQ(amct::choose_qparams<sym8>({-2.56f, 1.0f}).scale, 2.56f / 128.0f);
        CHECK_EQ(amct::choose_qparams<sym8>({-1.0f, 1.0f}).scale, 1.0f / 127.0f);
        CHECK_EQ(amct::choose_qparams<sym8>({-1.0f, 1.0f}).offset, 0);
        CHECK_EQ(amct::choose_qparams<sym16>({-3.0f, 1.0f}).scale, 3.0f / 32768.0f);
        CHECK_EQ(amct::choose_qparams<sym4>({-0.5f, 0.7f}).scale, 0.7f / 7.0f);
        // all-negative data: |max| < |min|, so L = 128; a constant row is a tie (AMCT uses the raw range)
        CHECK_EQ(amct::choose_qparams<sym8>({-4.0f, -1.0f}).scale, 4.0f / 128.0f);
        CHECK_EQ(amct::choose_qparams<sym8>({-1.0f, -1.0f}).scale, 1.0f / 127.0f);
        CHECK_EQ(amct::choose_qparams<sym8>({0.5f, 2.0f}).scale, 2.0f / 127.0f);
    }

    TEST_CASE("asymmetric: the range is widened to contain 0 and the offset is round(qmin - min/scale)")
    {
        const auto relu = amct::choose_qparams<asym8>({0.0f, 1.0f});  // record.md example
        CHECK_EQ(relu.scale, 1.0f / 255.0f);
        CHECK_EQ(relu.offset, -128);
        const auto pos = amct::choose_qparams<asym8>({0.25f, 1.0f});  // min widened to 0
        CHECK_EQ(pos.scale, 1.0f / 255.0f);
        CHECK_EQ(pos.offset, -128);
        const auto neg = amct::choose_qparams<asym8>({-2.0f, -1.0f});  // all negative: offset 127
        CHECK_EQ(neg.scale, 2.0f / 255.0f);
        CHECK_EQ(neg.offset, 127);
        // 13.2's asymmetric IFMR answer: clip [-0.5, 3.75] gives 4.25/255 and offset -98
        const auto ifmr = amct::choose_qparams<asym8>({-0.5f, 3.75f});
        CHECK_EQ(ifmr.scale, 4.25f / 255.0f);
        CHECK_EQ(ifmr.offset, -98);
        // ONNX DynamicQuantizeLinear (uint8) is the same rule with qmin = 0
        const auto u = amct::choose_qparams<asymu8>({-3.0f, 2.0f});
        CHECK_EQ(u.scale, 5.0f / 255.0f);
        CHECK_EQ(u.offset, 153);
    }

    TEST_CASE("degenerate ranges: all-zero gives scale 1; a scale below FLT_EPS becomes 1")
    {
        CHECK_EQ(amct::choose_qparams<sym8>({0.0f, 0.0f}).scale, 1.0f);
        CHECK_EQ(amct::choose_qparams<sym8>({0.0f, 0.0f}).offset, 0);
        CHECK_EQ(amct::choose_qparams<asym8>({0.0f, 0.0f}).scale, 1.0f);
        CHECK_EQ(amct::choose_qparams<asym8>({0.0f, 0.0f}).offset, -128);
        CHECK_EQ(amct::choose_qparams<sym8>({-1e-6f, 1e-6f}).scale, 1.0f);  // 1e-6/127 < FLT_EPS
        CHECK_EQ(amct::choose_qparams<asym8>({-1e-6f, 1e-6f}).scale, 1.0f);
        CHECK_EQ(amct::choose_qparams<asym8>({-1e-6f, 1e-6f}).offset, -128);
        const float just_above = 127.0f * FLT_EPSILON * 2.0f;
        CHECK_EQ(amct::choose_qparams<sym8>({0.0f, just_above}).scale, just_above / 127.0f);
        CHECK_EQ(amct::flt_eps, FLT_EPSILON);
    }

    TEST_CASE("invalid ranges are rejected with the reason")
    {
        const float inf = std::numeric_limits<float>::infinity();
        const float nan = std::numeric_limits<float>::quiet_NaN();
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::choose_qparams<sym8>({-inf, 1.0f});
                   }),
                 "amct: value error: range [-inf, 1] is not finite");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::choose_qparams<sym8>({0.0f, nan});
                   }),
                 "amct: value error: range [0, nan] is not finite");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::choose_qparams<sym8>({2.0f, 1.0f});
                   }),
                 "amct: value error: range has min 2 greater than max 1");
        xt::xtensor<float, 1> mins = {0.0f, -1.0f}, maxs = {1.0f, -2.0f};
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::choose_qparams<sym8c>(mins, maxs, 0);
                   }),
                 "amct: value error: range[1] has min -1 greater than max -2");
        xt::xtensor<float, 1> three = {1.0f, 2.0f, 3.0f};
        CHECK_THROWS_AS(amct::choose_qparams<sym8c>(mins, three, 0), amct::shape_error);
    }
}
