// amct/core/qparams.hpp: parameter validation, with messages that say which parameter and why.
#include <cmath>
#include <limits>

#include <doctest/doctest.h>

#include <amct/base/error.hpp>
#include <amct/core/policies.hpp>
#include <amct/core/qparams.hpp>
#include <amct/tensor/quantize.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
using sym8 = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
using asym8 = amct::quant_spec<amct::int8, amct::asymmetric, amct::per_tensor>;
using sym8c = amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>;
using asymu8 = amct::quant_spec<amct::uint8, amct::asymmetric, amct::per_tensor>;
}  // namespace

TEST_SUITE("qparams validation")
{
    TEST_CASE("scale, offset and axis errors say which and why")
    {
        xt::xtensor<float, 2> x = xt::ones<float>({2, 3});
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::quantize(x, amct::qparams<sym8>{0.0f, 0});
                   }),
                 "amct: value error: scale = 0 must be finite and greater than 0");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::quantize(x, amct::qparams<sym8>{-1.0f, 0});
                   }),
                 "amct: value error: scale = -1 must be finite and greater than 0");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::quantize(x, amct::qparams<sym8>{std::numeric_limits<float>::infinity(), 0});
                   }),
                 "amct: value error: scale = inf must be finite and greater than 0");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::quantize(x, amct::qparams<sym8>{std::nanf(""), 0});
                   }),
                 "amct: value error: scale = nan must be finite and greater than 0");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::quantize(x, amct::qparams<asym8>{1.0f, 128});
                   }),
                 "amct: value error: offset = 128 must be in [-128, 127]");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::quantize(x, amct::qparams<sym8>{1.0f, 3});
                   }),
                 "amct: value error: offset = 3 must be 0 for a symmetric quantizer");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::dequantize(xt::xtensor<std::uint8_t, 1>{1}, amct::qparams<asymu8>{1.0f, -1});
                   }),
                 "amct: value error: offset = -1 must be in [0, 255]");

        amct::qparams<sym8c> pc{{1.0f, 1.0f, 1.0f}, {0, 0, 0}, 2};
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::quantize(x, pc);
                   }),
                 "amct: shape error: per_channel axis 2 is out of range for a rank-2 tensor");
        pc.axis = -3;
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::quantize(x, pc);
                   }),
                 "amct: shape error: per_channel axis -3 is out of range for a rank-2 tensor");
        pc.axis = 0;
        CHECK_EQ(
          error_of(
            [&]
            {
                amct::quantize(x, pc);
            }),
          "amct: shape error: per_channel parameters have 3 scales and 3 offsets, but axis 0 has 2 channels");
        pc.axis = -1;
        pc.scale(1) = -2.0f;
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::quantize(x, pc);
                   }),
                 "amct: value error: scale[1] = -2 must be finite and greater than 0");
        pc.scale(1) = 1.0f;
        CHECK_NOTHROW(amct::quantize(x, pc));
        using recip = amct::quant_spec<amct::int8,
                                       amct::symmetric,
                                       amct::per_tensor,
                                       amct::round_half_to_even,
                                       amct::multiply_by_reciprocal>;
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::quantize(x, amct::qparams<recip>{1e-39f, 0});
                   }),
                 "amct: value error: scale = 1.00000022e-39 has no finite float32 reciprocal "
                 "(multiply_by_reciprocal "
                 "needs one)");
    }
}
