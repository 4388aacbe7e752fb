// amct/tensor/quantize.hpp: quantize, dequantize and fake_quantize over expressions and views, per channel
// on every axis.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include <amct/base/error.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/core/policies.hpp>
#include <amct/core/qparams.hpp>
#include <amct/core/reference.hpp>
#include <amct/tensor/quantize.hpp>
#include <amct/tensor/range.hpp>

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
}  // namespace

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

    TEST_CASE("the pointer forms equal the expression forms and validate against the given shape")
    {
        xt::xtensor<float, 2> x = xt::reshape_view(xt::arange<float>(-24.0f, 24.0f) * 0.3f, {6, 8});
        const std::vector<std::size_t> shape{6, 8};
        const auto qp = amct::minmax_qparams<sym8c>(x, 1);
        std::vector<std::int8_t> q(x.size());
        amct::quantize_n(x.data(), shape, qp, q.data());
        const auto q_expr = amct::quantize(x, qp);
        CHECK(std::equal(q.begin(), q.end(), q_expr.begin()));
        std::vector<float> dq(x.size());
        amct::dequantize_n(q.data(), shape, qp, dq.data());
        const auto fake = amct::fake_quantize(x, qp);
        CHECK(std::equal(dq.begin(), dq.end(), fake.begin()));
        std::vector<float> fq(x.size());
        amct::fake_quantize_n(x.data(), shape, qp, fq.data());
        CHECK(std::equal(fq.begin(), fq.end(), fake.begin()));
        CHECK_EQ(error_of(
                   [&]
                   {
                       amct::quantize_n(x.data(), {8, 6}, qp, q.data());
                   }),
                 error_of(
                   [&]
                   {
                       amct::quantize(xt::xtensor<float, 2>::from_shape({8, 6}), qp);
                   }));
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
