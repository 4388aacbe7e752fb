// amct/config/layer_params.hpp: the algorithm parameters of a layer's config.json entry.
#include <array>

#include <doctest/doctest.h>

#include <amct/config/config_json.hpp>
#include <amct/config/layer_params.hpp>

#include "test_support.hpp"

TEST_SUITE("pipeline")
{
    TEST_CASE("layer parameters from config.json")
    {
        amct::activation_quant_config a;
        a.search_range = std::array<double, 2>{0.8, 1.2};
        a.search_step = 0.02;
        a.max_percentile = 0.9999;
        const auto ifmr = std::get<amct::ifmr_params>(amct::activation_params(a, false));
        CHECK(ifmr.search_range_start == 0.8);
        CHECK(ifmr.search_range_end == 1.2);
        CHECK(ifmr.search_step == 0.02);
        CHECK(ifmr.max_percentile == 0.9999);
        CHECK(ifmr.min_percentile == 0.999999);
        CHECK_FALSE(ifmr.asymmetric);
        a = {};
        a.act_algo = "hfmg";
        a.num_of_bins = 2048;
        a.num_bits = 16;
        a.asymmetric = false;
        const auto hfmg = std::get<amct::hfmg_params>(amct::activation_params(a, true));
        CHECK(hfmg.num_of_bins == 2048);
        CHECK(hfmg.num_bits == 16);
        CHECK_FALSE(hfmg.asymmetric);
        a = {};
        a.act_algo = "mse";
        a.num_candidates = 50;
        const auto mse = std::get<amct::mse_params>(amct::activation_params(a, true));
        CHECK(mse.num_candidates == 50);
        CHECK(mse.asymmetric);

        amct::weight_quant_config w;
        CHECK(amct::weight_params(w, "Conv").channel_wise);
        CHECK_FALSE(amct::weight_params(w, "Gemm").channel_wise);
        w.channel_wise = false;
        w.num_bits = 4;
        CHECK_FALSE(amct::weight_params(w, "Conv").channel_wise);
        CHECK(amct::weight_params(w, "Conv").num_bits == 4);
    }
}
