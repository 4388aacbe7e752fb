// amct/model/layer_types.hpp: ARQ's weight rule of each layer type (AMCT's CHANNEL_WISE_TYPES, TF and ONNX
// spellings).

#include <doctest/doctest.h>

#include <amct/base/error.hpp>
#include <amct/model/layer_types.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
}  // namespace

TEST_SUITE("arq")
{
    TEST_CASE("layer-type rules (AMCT's CHANNEL_WISE_TYPES, TF and ONNX spellings)")
    {
        CHECK(amct::arq_rule("Conv2d").channel_wise_default);
        CHECK(amct::arq_rule("Conv").layout == amct::weight_layout::out_in);
        CHECK(amct::arq_rule("ConvTranspose").layout == amct::weight_layout::in_out_grouped);
        CHECK(amct::arq_rule("DepthwiseConv2dNative").layout == amct::weight_layout::hw_depthwise);
        CHECK(amct::arq_rule("Conv2D").layout == amct::weight_layout::hwio);
        CHECK(amct::arq_rule("Conv2DBackpropInput").layout == amct::weight_layout::hw_out_in);
        CHECK_FALSE(amct::arq_rule("Linear").channel_wise_allowed);
        CHECK(amct::arq_rule("Gemm", true).layout == amct::weight_layout::out_in);
        CHECK(amct::arq_rule("Gemm", false).layout == amct::weight_layout::in_out);
        CHECK(amct::arq_rule("MatMul").layout == amct::weight_layout::in_out);
        CHECK_FALSE(amct::arq_rule("AvgPool2d").has_weight);
        CHECK_EQ(error_of(
                   []
                   {
                       amct::arq_rule("Relu");
                   }),
                 "amct: unsupported: ARQ has no weight rule for layer type \"Relu\"");
    }
}
