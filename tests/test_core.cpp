// Quantizer core: AMCT's scale/offset rules, parameter validation, quantize over expressions and views,
// per-channel on every axis, and the runtime descriptor.
#include <cfloat>
#include <limits>
#include <string>

#include <doctest/doctest.h>

#include <amct/amct.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
using sym8 = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
using asym8 = amct::quant_spec<amct::int8, amct::asymmetric, amct::per_tensor>;
using sym8c = amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>;
using asym8c = amct::quant_spec<amct::int8, amct::asymmetric, amct::per_channel>;
using asymu8 = amct::quant_spec<amct::uint8, amct::asymmetric, amct::per_tensor>;
using asymu8c = amct::quant_spec<amct::uint8, amct::asymmetric, amct::per_channel>;
using sym16 = amct::quant_spec<amct::int16, amct::symmetric, amct::per_tensor>;
using sym4 = amct::quant_spec<amct::int4, amct::symmetric, amct::per_tensor>;

static_assert(amct::int8::bits == 8 && amct::int4::bits == 4 && amct::int6::bits == 6
              && amct::int7::bits == 7);
static_assert(amct::int16::bits == 16 && amct::uint8::bits == 8);
static_assert(amct::int7::qmin == -64 && amct::int7::qmax == 63);
static_assert(std::is_same_v<amct::with_granularity_t<sym8, amct::per_channel>, sym8c>);

/// ARQ test weight of amct-algorithms.md 13.1: rows [-1]*12, [0]*12, [1]*12, [-1,0,1]*4.
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

    TEST_CASE("ARQ vectors of amct-algorithms.md 13.1")
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

TEST_SUITE("quantize over expressions")
{
    /// Reference by element: reference::quantize with the parameters of x's channel.
    template <class Spec, class E>
    void check_against_reference(const E& x, const amct::qparams<Spec>& qp)
    {
        const xt::xarray<float> xe = x;
        const auto q = amct::quantize(x, qp);
        const auto fq = amct::fake_quantize(x, qp);
        const auto dq = amct::dequantize(q, qp);
        REQUIRE(q.shape().size() == xe.dimension());
        const std::size_t rank = xe.dimension();
        std::size_t axis = 0;
        if constexpr (Spec::is_per_channel)
        {
            axis =
              static_cast<std::size_t>(qp.axis < 0 ? qp.axis + static_cast<std::ptrdiff_t>(rank) : qp.axis);
        }
        std::size_t i = 0;
        for (auto it = xe.begin(); it != xe.end(); ++it, ++i)
        {
            // the channel of flat index i in row-major order
            std::size_t c = 0;
            if constexpr (Spec::is_per_channel)
            {
                std::size_t inner = 1;
                for (std::size_t d = axis + 1; d < rank; ++d)
                {
                    inner *= xe.shape()[d];
                }
                c = (i / inner) % xe.shape()[axis];
            }
            amct::element_params p;
            if constexpr (Spec::is_per_channel)
            {
                p = amct::make_element_params<Spec>(qp.scale(c), qp.offset(c));
            }
            else
            {
                p = amct::make_element_params<Spec>(qp.scale, qp.offset);
            }
            REQUIRE_EQ(static_cast<int>(q.data()[i]),
                       static_cast<int>(amct::reference::quantize<Spec>(*it, p)));
            REQUIRE_EQ(amct_test::bits(fq.data()[i]),
                       amct_test::bits(amct::reference::fake_quantize<Spec>(*it, p)));
            REQUIRE_EQ(amct_test::bits(dq.data()[i]), amct_test::bits(fq.data()[i]));
        }
    }

    TEST_CASE("containers, strided and non-contiguous views, any rank")
    {
        xt::xtensor<float, 3> x = xt::reshape_view(xt::arange<float>(-60.0f, 60.0f) * 0.37f, {4, 5, 6});
        const amct::qparams<asym8> qp{0.2f, -3};
        check_against_reference(x, qp);
        check_against_reference(xt::view(x, xt::all(), 1, xt::all()), qp);                // strided
        check_against_reference(xt::view(x, xt::range(1, 3), xt::all(), xt::all()), qp);  // contiguous slice
        check_against_reference(xt::view(x, xt::all(), xt::range(0, 5, 2), xt::range(1, 6, 2)), qp);
        check_against_reference(xt::transpose(x), qp);
        check_against_reference(x * 2.0f + 1.0f, qp);  // a lazy expression
        xt::xarray<float> dyn = x;
        check_against_reference(dyn, qp);
        xt::xtensor<double, 2> d = {{0.1, -0.7}, {3.3, 1e9}};  // converted to float32 first
        check_against_reference(d, qp);
        xt::xtensor<float, 0> scalar = 2.5f;
        check_against_reference(scalar, qp);
        xt::xtensor<float, 1> empty = xt::xtensor<float, 1>::from_shape({0});
        CHECK_EQ(amct::quantize(empty, qp).size(), 0u);
        // static rank is kept; dynamic rank gives xarray
        static_assert(std::is_same_v<decltype(amct::quantize(x, qp)), xt::xtensor<std::int8_t, 3>>);
        static_assert(std::is_same_v<decltype(amct::fake_quantize(dyn, qp)), xt::xarray<float>>);
    }

    TEST_CASE("into preallocated outputs, in place, and output shape errors")
    {
        xt::xtensor<float, 2> x = xt::reshape_view(xt::arange<float>(-24.0f, 24.0f) * 0.3f, {6, 8});
        const auto qp = amct::minmax_qparams<sym8c>(x, 1);
        xt::xtensor<std::int8_t, 2> q = xt::xtensor<std::int8_t, 2>::from_shape({6, 8});
        amct::quantize(x, qp, q);
        CHECK(xt::all(xt::equal(q, amct::quantize(x, qp))));
        xt::xtensor<float, 2> dq = xt::xtensor<float, 2>::from_shape({6, 8});
        amct::dequantize(q, qp, dq);
        const auto expected = amct::fake_quantize(x, qp);
        CHECK(xt::all(xt::equal(dq, expected)));
        xt::xtensor<float, 2> inplace = x;
        amct::fake_quantize(inplace, qp, inplace);
        CHECK(xt::all(xt::equal(inplace, expected)));
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::dequantize(xt::xtensor<int, 1>{200, -1}, amct::qparams<sym8>{0.5f, 0});
                   }),
                 "amct: value error: dequantize: element 0 = 200 is not an integer in [-128, 127]");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::dequantize(xt::xtensor<float, 1>{1.0f, 2.5f}, amct::qparams<sym8>{0.5f, 0});
                   }),
                 "amct: value error: dequantize: element 1 = 2.5 is not an integer in [-128, 127]");
        CHECK(
          xt::all(xt::equal(amct::dequantize(xt::xtensor<int, 1>{-128, 127}, amct::qparams<sym8>{0.5f, 0}),
                            xt::xtensor<float, 1>{-64.0f, 63.5f})));
        // a range wider than FLT_MAX still gives a finite scale
        CHECK(std::isfinite(amct::choose_qparams<asym8>({-3e38f, 3e38f}).scale));
        // expressions that claim a data interface they cannot provide are evaluated instead
        xt::xtensor<float, 2> cm = {{1.0f, 2.0f}, {3.0f, 4.0f}};
        CHECK(xt::all(xt::equal(
          amct::fake_quantize(xt::ravel<xt::layout_type::column_major>(cm), amct::qparams<sym8>{1.0f, 0}),
          xt::xtensor<float, 1>{1.0f, 3.0f, 2.0f, 4.0f})));
        xt::xtensor<std::int8_t, 2> wrong = xt::xtensor<std::int8_t, 2>::from_shape({8, 6});
        CHECK_EQ(
          error_of(
            [&]
            {
                amct::quantize(x, qp, wrong);
            }),
          "amct: shape error: the output must be a row-major contiguous tensor with the input's shape");
    }

    TEST_CASE("per_channel on every axis, negative axes, narrow and wide inner extents")
    {
        xt::xtensor<float, 4> x =
          xt::reshape_view(xt::arange<float>(0.0f, 2.0f * 3 * 20 * 5) * 0.011f - 3.0f, {2, 3, 20, 5});
        for (std::ptrdiff_t axis : {0, 1, 2, 3, -1, -4})
        {
            const auto r = amct::channel_ranges(x, axis);
            check_against_reference(x, amct::choose_qparams<asym8c>(r.min, r.max, axis));
            check_against_reference(x, amct::choose_qparams<sym8c>(r.min, r.max, axis));
            check_against_reference(
              xt::view(x, xt::all(), xt::all(), xt::range(0, 20, 3), xt::all()),
              amct::minmax_qparams<asymu8c>(
                xt::eval(xt::view(x, xt::all(), xt::all(), xt::range(0, 20, 3), xt::all())), axis));
        }
        // channel ranges equal the reducers of xtensor
        const auto r = amct::channel_ranges(x, 2);
        CHECK(xt::all(xt::equal(r.min, xt::amin(x, {0, 1, 3}))));
        CHECK(xt::all(xt::equal(r.max, xt::amax(x, {0, 1, 3}))));
    }
}

TEST_SUITE("descriptor")
{
    TEST_CASE("dispatch picks the compiled spec once")
    {
        auto describe = [](auto spec)
        {
            using S = decltype(spec);
            return std::to_string(S::bits) + (S::is_symmetric ? "s" : "a") + (S::is_per_channel ? "c" : "t")
                   + std::to_string(S::qmin);
        };
        CHECK_EQ(amct::dispatch({8, false, true}, describe), "8sc-128");
        CHECK_EQ(amct::dispatch({8, true, false}, describe), "8at-128");
        CHECK_EQ(amct::dispatch({4, false, false}, describe), "4st-8");
        CHECK_EQ(amct::dispatch({6, false, true}, describe), "6sc-32");
        CHECK_EQ(amct::dispatch({7, false, true}, describe), "7sc-64");
        CHECK_EQ(amct::dispatch({16, true, true}, describe), "16ac-32768");
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::dispatch({12, false, false}, describe);
                   }),
                 "amct: unsupported: num_bits = 12 (supported: 4, 6, 7, 8, 16)");
        CHECK_EQ(amct::to_string({16, true, true}), "int16 asymmetric per_channel");

        // the dispatched quantizer equals the statically chosen one
        xt::xtensor<float, 2> w = {{0.5f, -1.25f, 2.0f}, {0.1f, 0.2f, -0.3f}};
        const auto via_dispatch =
          amct::dispatch({8, false, true},
                         [&](auto spec) -> xt::xtensor<float, 2>
                         {
                             using S = decltype(spec);
                             if constexpr (S::is_per_channel)
                             {
                                 return amct::fake_quantize(w, amct::minmax_qparams<S>(w, 0));
                             }
                             else
                             {
                                 return amct::fake_quantize(w, amct::minmax_qparams<S>(w));
                             }
                         });
        CHECK(xt::all(xt::equal(via_dispatch, amct::fake_quantize(w, amct::minmax_qparams<sym8c>(w, 0)))));
    }
}
