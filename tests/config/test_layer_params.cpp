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
        a.set(&amct::ifmr_params::search_range_start, 0.8);
        a.set(&amct::ifmr_params::search_range_end, 1.2);
        a.set(&amct::ifmr_params::search_step, 0.02);
        a.set(&amct::ifmr_params::max_percentile, 0.9999);
        const auto ifmr = std::get<amct::ifmr_params>(amct::resolved_params(a, false));
        CHECK(ifmr.search_range_start == 0.8);
        CHECK(ifmr.search_range_end == 1.2);
        CHECK(ifmr.search_step == 0.02);
        CHECK(ifmr.max_percentile == 0.9999);
        CHECK(ifmr.min_percentile == 0.999999);
        CHECK_FALSE(ifmr.asymmetric);
        a = {};
        a.select("hfmg");
        a.set(&amct::hfmg_params::num_of_bins, 2048);
        a.set_num_bits(16);
        a.set_asymmetric(false);
        const auto hfmg = std::get<amct::hfmg_params>(amct::resolved_params(a, true));
        CHECK(hfmg.num_of_bins == 2048);
        CHECK(hfmg.num_bits == 16);
        CHECK_FALSE(hfmg.asymmetric);
        a = {};
        a.select("mse");
        a.set(&amct::mse_params::num_candidates, 50);
        const auto mse = std::get<amct::mse_params>(amct::resolved_params(a, true));
        CHECK(mse.num_candidates == 50);
        CHECK(mse.asymmetric);

        amct::weight_quant_config w;
        CHECK(std::get<amct::arq_params>(amct::resolved_params(w, "Conv")).channel_wise);
        CHECK_FALSE(std::get<amct::arq_params>(amct::resolved_params(w, "Gemm")).channel_wise);
        w.set_channel_wise(false);
        w.set_num_bits(4);
        CHECK_FALSE(std::get<amct::arq_params>(amct::resolved_params(w, "Conv")).channel_wise);
        CHECK(std::get<amct::arq_params>(amct::resolved_params(w, "Conv")).num_bits == 4);
    }
}
