// amct/core/descriptor.hpp: the runtime descriptor and dispatch to the compiled quant_spec.
#include <string>

#include <doctest/doctest.h>

#include <amct/base/error.hpp>
#include <amct/core/descriptor.hpp>
#include <amct/core/policies.hpp>
#include <amct/core/qparams.hpp>
#include <amct/tensor/quantize.hpp>
#include <amct/tensor/range.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
using sym8 = amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>;
using sym8c = amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>;
}  // namespace

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
