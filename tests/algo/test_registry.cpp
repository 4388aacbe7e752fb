// amct/algo/registry.hpp: every algorithm by name through any_observer: observe, merge, save/load.
#include <string_view>

#include <doctest/doctest.h>

#include <amct/algo/registry.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
}  // namespace

TEST_SUITE("registry")
{
    TEST_CASE("every algorithm by name: observe, merge, save/load through any_observer")
    {
        for (std::string_view name : amct::algorithm_names)
        {
            CAPTURE(name);
            const auto params = amct::default_params(name);
            CHECK_EQ(amct::algorithm_name(params), name);
            if (name == "arq_quantize")
            {
                CHECK_EQ(error_of(
                           [&]
                           {
                               amct::any_observer(params, "conv1");
                           }),
                         "amct: unsupported: arq_quantize calibrates weights, not activations (layer "
                         "\"conv1\"); use "
                         "amct::arq");
                continue;
            }
            xt::xtensor<float, 4> x =
              xt::reshape_view(xt::sin(xt::arange<float>(0.0f, 2 * 3 * 8 * 8)) * 3.0f, {2, 3, 8, 8});
            amct::any_observer one(params, "conv1"), half(params, "conv1"), other(params, "conv1");
            one.observe(x);
            half.observe(xt::view(x, xt::range(0, 1)));
            other.observe(xt::view(x, xt::range(1, 2)));
            half.merge(other);
            const auto r = one.compute();
            CHECK_EQ(half.batches(), 2u);
            if (name != "hfmg")  // HFMG re-bins when a later batch widens the range (docs/algorithms.md#hfmg)
            {
                CHECK_EQ(half.compute().scale, r.scale);
            }
            const auto loaded = amct::any_observer::load(one.save());
            CHECK_EQ(loaded.algorithm(), name);
            CHECK_EQ(loaded.layer(), "conv1");
            CHECK_EQ(loaded.compute().scale, r.scale);
            CHECK_EQ(loaded.compute().offset, r.offset);
        }
        CHECK_EQ(error_of(
                   []
                   {
                       amct::default_params("entropy");
                   }),
                 "amct: unsupported: calibration algorithm \"entropy\" (known: ifmr, hfmg, max, percentile, "
                 "kl, mse, "
                 "arq_quantize)");
        amct::any_observer a(amct::default_params("max"), "l"), b(amct::default_params("kl"), "l");
        CHECK_EQ(error_of(
                   [&]
                   {
                       a.merge(b);
                   }),
                 "amct: value error: layer \"l\": cannot merge a \"kl\" observer into a \"max\" observer");
    }
}
