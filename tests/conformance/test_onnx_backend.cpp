// Conformance against ONNX's own QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear backend cases
// (Debian libonnx-testdata), per-axis cases included, bit for bit.
#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/core/policies.hpp>
#include <amct/core/qparams.hpp>
#include <amct/tensor/quantize.hpp>
#include <amct/tensor/range.hpp>

#include "onnx_case.hpp"
#include "test_support.hpp"

namespace
{
using amct_test::bits;
using u8t = amct::quant_spec<amct::uint8, amct::asymmetric, amct::per_tensor>;
using u8c = amct::quant_spec<amct::uint8, amct::asymmetric, amct::per_channel>;

xt::xarray<float> to_float_array(const amct_test::onnx_tensor& t)
{
    std::vector<std::size_t> shape(t.dims.begin(), t.dims.end());
    xt::xarray<float> a = xt::xarray<float>::from_shape(shape);
    REQUIRE_EQ(t.floats.size(), a.size());
    std::copy(t.floats.begin(), t.floats.end(), a.begin());
    return a;
}

xt::xarray<std::uint8_t> to_u8_array(const amct_test::onnx_tensor& t)
{
    std::vector<std::size_t> shape(t.dims.begin(), t.dims.end());
    xt::xarray<std::uint8_t> a = xt::xarray<std::uint8_t>::from_shape(shape);
    REQUIRE_EQ(t.ints.size(), a.size());
    std::transform(t.ints.begin(),
                   t.ints.end(),
                   a.begin(),
                   [](std::int64_t v)
                   {
                       return static_cast<std::uint8_t>(v);
                   });
    return a;
}

/// ONNX (De)QuantizeLinear parameters: per-tensor for scalar scales, else per-axis (attribute `axis`, default
/// 1).
template <class F>
void with_onnx_params(const amct_test::onnx_case& c, F&& f)
{
    const auto& scale = c.inputs.at(1);
    const auto& zp = c.inputs.at(2);
    REQUIRE_EQ(zp.data_type, amct_test::onnx_dtype::uint8);
    if (scale.floats.size() == 1 && scale.dims.empty())
    {
        f(amct::qparams<u8t>{scale.floats[0], static_cast<std::int32_t>(zp.ints[0])});
        return;
    }
    amct::qparams<u8c> qp;
    const auto* axis = c.nodes.at(0).attribute("axis");
    qp.axis = axis ? axis->i : 1;
    qp.scale = xt::adapt(scale.floats, {scale.floats.size()});
    qp.offset = xt::xtensor<std::int32_t, 1>::from_shape({zp.ints.size()});
    std::transform(zp.ints.begin(),
                   zp.ints.end(),
                   qp.offset.begin(),
                   [](std::int64_t v)
                   {
                       return static_cast<std::int32_t>(v);
                   });
    f(qp);
}
}  // namespace

TEST_CASE("ONNX backend cases: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear")
{
    const std::string root = amct_test::onnx_testdata_root();
    int checked = 0;
    for (const char* name : {"test_quantizelinear",
                             "test_quantizelinear_axis",
                             "test_dequantizelinear",
                             "test_dequantizelinear_axis",
                             "test_dynamicquantizelinear",
                             "test_dynamicquantizelinear_expanded",
                             "test_dynamicquantizelinear_max_adjusted",
                             "test_dynamicquantizelinear_max_adjusted_expanded",
                             "test_dynamicquantizelinear_min_adjusted",
                             "test_dynamicquantizelinear_min_adjusted_expanded"})
    {
        CAPTURE(name);
        const auto c = amct_test::load_onnx_case(root + "/" + name);
        const std::string op = std::string(name).find("dynamic") != std::string::npos
                                 ? "DynamicQuantizeLinear"
                                 : c.nodes.at(0).op_type;
        if (op == "QuantizeLinear")
        {
            const auto x = to_float_array(c.inputs.at(0));
            const auto expected = to_u8_array(c.outputs.at(0));
            with_onnx_params(c,
                             [&](const auto& qp)
                             {
                                 CHECK(xt::all(xt::equal(amct::quantize(x, qp), expected)));
                             });
        }
        else if (op == "DequantizeLinear")
        {
            const auto q = to_u8_array(c.inputs.at(0));
            const auto expected = to_float_array(c.outputs.at(0));
            with_onnx_params(c,
                             [&](const auto& qp)
                             {
                                 const auto y = amct::dequantize(q, qp);
                                 REQUIRE_EQ(y.size(), expected.size());
                                 for (std::size_t i = 0; i < y.size(); ++i)
                                 {
                                     CHECK_EQ(bits(y.data()[i]), bits(expected.data()[i]));
                                 }
                             });
        }
        else
        {
            REQUIRE_EQ(op, "DynamicQuantizeLinear");
            const auto x = to_float_array(c.inputs.at(0));
            const auto qp = amct::minmax_qparams<u8t>(x);
            CHECK_EQ(bits(qp.scale), bits(c.outputs.at(1).floats.at(0)));
            CHECK_EQ(qp.offset, c.outputs.at(2).ints.at(0));
            CHECK(xt::all(xt::equal(amct::quantize(x, qp), to_u8_array(c.outputs.at(0)))));
        }
        ++checked;
    }
    CHECK_EQ(checked, 10);
}
