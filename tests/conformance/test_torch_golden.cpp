// Conformance against PyTorch 1.13's fake_quantize_per_tensor_affine / fake_quantize_per_channel_affine on
// golden data written by scripts/gen_torch_golden.py (tests/data/torch_fake_quant.txt), bit for bit.

#include <doctest/doctest.h>

#include <amct/core/policies.hpp>
#include <amct/core/qparams.hpp>
#include <amct/tensor/quantize.hpp>

#include "test_support.hpp"

#ifndef AMCT_TEST_DATA_DIR
#error "AMCT_TEST_DATA_DIR must name tests/data"
#endif

namespace
{
using amct_test::bits;

template <class Precision, class Granularity>
using torch_spec = amct::quant_spec<Precision,
                                    amct::asymmetric,
                                    Granularity,
                                    amct::round_half_to_even,
                                    amct::multiply_by_reciprocal>;

template <class Precision>
xt::xarray<float> torch_case_fake_quantize(const amct_test::golden_case& c, const xt::xarray<float>& x)
{
    if (c.per_channel)
    {
        amct::qparams<torch_spec<Precision, amct::per_channel>> qp;
        qp.axis = c.axis;
        qp.scale = xt::adapt(c.scales, {c.scales.size()});
        qp.offset = xt::adapt(c.offsets, {c.offsets.size()});
        return amct::fake_quantize(x, qp);
    }
    return amct::fake_quantize(
      x, amct::qparams<torch_spec<Precision, amct::per_tensor>>{c.scales[0], c.offsets[0]});
}
}  // namespace

TEST_CASE("PyTorch fake_quantize_per_tensor_affine / per_channel_affine golden data")
{
    const auto cases = amct_test::read_golden(AMCT_TEST_DATA_DIR "/torch_fake_quant.txt");
    REQUIRE_GE(cases.size(), 70u);
    std::size_t elements = 0, per_channel = 0;
    for (const auto& c : cases)
    {
        CAPTURE(c.name);
        xt::xarray<float> x = xt::adapt(c.input, c.shape);
        xt::xarray<float> y;
        if (c.qmin == -128 && c.qmax == 127)
        {
            y = torch_case_fake_quantize<amct::int8>(c, x);
        }
        else if (c.qmin == 0 && c.qmax == 255)
        {
            y = torch_case_fake_quantize<amct::uint8>(c, x);
        }
        else if (c.qmin == -8 && c.qmax == 7)
        {
            y = torch_case_fake_quantize<amct::int4>(c, x);
        }
        else
        {
            REQUIRE((c.qmin == -32768 && c.qmax == 32767));
            y = torch_case_fake_quantize<amct::int16>(c, x);
        }
        REQUIRE_EQ(y.size(), c.output.size());
        const bool overflow_case = c.name.rfind("ovf_", 0) == 0;
        for (std::size_t i = 0; i < y.size(); ++i)
        {
            if (bits(y.data()[i]) == bits(c.output[i]))
            {
                continue;
            }
            // torch converts x/scale beyond int64 to INT64_MIN (undefined behaviour) and so maps +inf and
            // huge positive values to quant_min; amct saturates them to quant_max. Nothing else may differ.
            INFO("i=", i, " x=", c.input[i], " torch=", c.output[i], " amct=", y.data()[i]);
            CHECK(overflow_case);
            CHECK_GT(c.input[i], 0.0f);
            const float scale = c.per_channel ? -1.0f : c.scales[0];
            CHECK_EQ(y.data()[i], static_cast<float>(c.qmax - c.offsets[0]) * scale);
        }
        elements += y.size();
        per_channel += c.per_channel ? 1 : 0;
    }
    CHECK_GE(per_channel, 10u);
    CHECK_GE(elements, 3000u);
}
