// amct/algo/max.hpp: min/max calibration per tensor and per channel, merge, save/load.

#include <doctest/doctest.h>

#include <amct/algo/max.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/tensor/range.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
}  // namespace

TEST_SUITE("max")
{
    TEST_CASE("per tensor and per channel, merge, save/load")
    {
        xt::xtensor<float, 4> a = xt::reshape_view(xt::arange<float>(-24.0f, 24.0f) * 0.5f, {2, 3, 2, 4});
        amct::max_params p;
        p.asymmetric = false;
        amct::max_observer t(p, "x");
        t.observe(a);
        CHECK_EQ(t.compute().scale[0], 12.0f / 128.0f);
        p.channels = {true, 1};
        amct::max_observer c(p, "x"), c2(p, "x");
        c.observe(xt::view(a, xt::range(0, 1)));
        c2.observe(xt::view(a, xt::range(1, 2)));
        c.merge(c2);
        const auto r = c.compute();
        REQUIRE_EQ(r.scale.size(), 3u);
        const auto ranges = amct::channel_ranges(a, 1);
        for (std::size_t ch = 0; ch < 3; ++ch)
        {
            CHECK_EQ(r.scale[ch],
                     amct::choose_qparams<amct::quant_spec<amct::int8, amct::symmetric, amct::per_tensor>>(
                       {ranges.min(ch), ranges.max(ch)})
                       .scale);
        }
        CHECK_EQ(amct::max_observer::load(c.save()).compute().scale, r.scale);
        xt::xtensor<float, 2> other = xt::ones<float>({2, 5});
        CHECK_EQ(error_of(
                   [&]
                   {
                       c.observe(other);
                   }),
                 "amct: shape error: layer \"x\": the batch has 5 channels, earlier batches had 3");
        CHECK_EQ(c.batches(), 2u);
    }
}
