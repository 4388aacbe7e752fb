// amct/tensor/range.hpp: ranges of tensors and channels, min/max parameters (AMCT's ARQ vectors).
#include <cmath>

#include <doctest/doctest.h>

#include <amct/base/error.hpp>
#include <amct/core/policies.hpp>
#include <amct/tensor/quantize.hpp>
#include <amct/tensor/range.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
using sym8 = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
using sym8c = amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>;
using asym8c = amct::quant_spec<amct::int8, amct::asymmetric, amct::per_channel>;

/// ARQ test weight of docs/algorithms.md#arq-test-vectors: rows [-1]*12, [0]*12, [1]*12, [-1,0,1]*4.
xt::xtensor<float, 2> arq_weight()
{
    xt::xtensor<float, 2> w = xt::zeros<float>({4, 12});
    for (std::size_t j = 0; j < 12; ++j)
    {
        w(0, j) = -1.0f;
        w(2, j) = 1.0f;
        w(3, j) = static_cast<float>(static_cast<int>(j % 3) - 1);
    }
    return w;
}
}  // namespace

TEST_SUITE("choose_qparams")
{
    TEST_CASE("ARQ test vectors (docs/algorithms.md#arq-test-vectors)")
    {
        const auto w = arq_weight();
        const auto t = amct::minmax_qparams<sym8>(w);
        CHECK(std::fabs(t.scale - 0.007844f) <= 1e-4f);  // test_arq.py's tolerance
        CHECK_EQ(t.scale, 1.0f / 127.0f);
        CHECK_EQ(t.offset, 0);

        const auto c = amct::minmax_qparams<sym8c>(w, 0);
        CHECK_EQ(c.scale(0), 1.0f / 127.0f);  // row [-1]*12: |max| == |min|, a tie, so L = 127
        CHECK(std::fabs(c.scale(0) - 0.007844f) <= 1e-4f);
        CHECK_EQ(c.scale(1), 1.0f);
        CHECK_EQ(c.scale(2), 1.0f / 127.0f);
        CHECK_EQ(c.scale(3), 1.0f / 127.0f);
        CHECK(xt::all(xt::equal(c.offset, 0)));

        const auto a = amct::minmax_qparams<asym8c>(w, 0);
        CHECK_EQ(a.scale(0), 1.0f / 255.0f);
        CHECK_EQ(a.scale(1), 1.0f);
        CHECK_EQ(a.scale(2), 1.0f / 255.0f);
        CHECK_EQ(a.scale(3), 2.0f / 255.0f);
        CHECK_EQ(a.offset(0), 127);
        CHECK_EQ(a.offset(1), -128);
        CHECK_EQ(a.offset(2), -128);
        CHECK_EQ(a.offset(3), -1);

        const auto q = amct::quantize(w, a);
        for (std::size_t j = 0; j < 12; ++j)
        {
            CHECK_EQ(q(0, j), -128);
            CHECK_EQ(q(1, j), -128);
            CHECK_EQ(q(2, j), 127);
            CHECK_EQ(q(3, j), (j % 3 == 0 ? -128 : (j % 3 == 1 ? -1 : 126)));
        }
        for (const auto* qp : {&c})
        {
            const auto fq = amct::fake_quantize(w, *qp);
            CHECK(xt::amax(xt::abs(fq - w))() <= 1e-2f);
        }
        CHECK(xt::amax(xt::abs(amct::fake_quantize(w, a) - w))() <= 1e-2f);
        CHECK(xt::amax(xt::abs(amct::fake_quantize(w, t) - w))() <= 1e-2f);
    }
}

TEST_SUITE("qparams validation")
{
    TEST_CASE("NaN in data is rejected when taking ranges, naming the channel")
    {
        xt::xtensor<float, 2> x = xt::ones<float>({3, 4});
        x(2, 1) = std::nanf("");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::tensor_range(x);
                   }),
                 "amct: value error: tensor contains NaN");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::channel_ranges(x, 0);
                   }),
                 "amct: value error: channel 2 of axis 0 contains NaN");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::tensor_range(xt::xtensor<float, 1>::from_shape({0}));
                   }),
                 "amct: value error: cannot take the range of an empty tensor");
    }
}
