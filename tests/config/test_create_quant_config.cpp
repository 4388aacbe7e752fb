// amct/config/create_quant_config.hpp: AMCT's default config.json for a model's layers, and from a
// quant.cfg (config_definition).
#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/config/config_json.hpp>
#include <amct/config/create_quant_config.hpp>

#include "test_support.hpp"

TEST_SUITE("create_quant_config")
{
    TEST_CASE("AMCT's defaults for the quantizable layers, skipped layers disabled, others left out")
    {
        const std::vector<amct::layer_info> layers = {{"conv1", "Conv2d"},
                                                      {"relu1", "ReLU"},
                                                      {"c3d", "Conv3d"},
                                                      {"dw", "DepthwiseConv2dNative"},
                                                      {"fc", "Linear"},
                                                      {"pool", "AveragePool"},
                                                      {"gemm", "Gemm"}};
        amct::create_quant_config_options o;
        o.skip_layers = {"fc"};
        o.batch_num = 4;
        const auto cfg = amct::create_quant_config(layers, o);
        CHECK_EQ(cfg.batch_num, 4);
        REQUIRE_EQ(cfg.layers.size(), 6u);  // ReLU is not quantizable
        const auto& conv = cfg.layers[0].second;
        CHECK_EQ(cfg.layers[0].first, "conv1");
        CHECK(conv.quant_enable);
        CHECK(conv.activation_quant_params.is_set("search_range"));
        CHECK_EQ(conv.activation_quant_params.get<amct::ifmr_params>().search_range_start, 0.7);
        CHECK_EQ(conv.activation_quant_params.get<amct::ifmr_params>().search_range_end, 1.3);
        CHECK(conv.activation_quant_params.is_set("search_step"));
        CHECK_EQ(conv.activation_quant_params.get<amct::ifmr_params>().search_step, 0.01);
        CHECK_EQ(conv.activation_quant_params.asymmetric(), true);
        CHECK_EQ(conv.weight_quant_params.channel_wise(), true);
        CHECK_EQ(cfg.layers[1].first, "c3d");
        CHECK_EQ(cfg.layers[1].second.activation_quant_params.asymmetric(), false);  // Conv3d: symmetric only
        CHECK_EQ(cfg.layers[2].second.weight_quant_params.channel_wise(), true);     // TF depthwise
        CHECK_EQ(cfg.layers[3].first, "fc");
        CHECK_FALSE(cfg.layers[3].second.quant_enable);
        CHECK_EQ(cfg.layers[3].second.weight_quant_params.channel_wise(), false);  // Linear: per tensor
        CHECK_EQ(cfg.layers[4].second.weight_quant_params.channel_wise(), false);  // AveragePool
        CHECK_EQ(amct::read_config_json(amct::write_config_json(cfg)), cfg);

        o.skip_layers = {"fc", "nope"};
        o.batch_num = 0;
        CHECK_THROWS_WITH_AS(amct::create_quant_config(layers, o),
                             "create_quant_config: skip_layers: \"nope\" is not a layer of the model\n"
                             "create_quant_config: batch_num = 0 must be in [1, 2147483647]",
                             amct::config_error);
    }
}

TEST_SUITE("quant.cfg resolution")
{
    TEST_CASE("create_quant_config with config_definition resolves the quant.cfg file")
    {
        const std::string path = "amct_test_config_definition.cfg";
        {
            std::ofstream out(path);
            out << "batch_num: 3\nskip_layers: \"fc\"\noverride_layer_types { layer_type: \"Conv2d\" "
                   "calibration_config { ifmr_quantize { search_step: 0.05 } } }\n";
        }
        const std::vector<amct::layer_info> layers = {{"conv", "Conv2d"}, {"fc", "Linear"}};
        amct::create_quant_config_options o;
        o.config_definition = path;
        amct::resolution why;
        const auto q = amct::create_quant_config(layers, o, &why);
        CHECK_EQ(q.batch_num, 3);
        CHECK(q.layers[0].second.activation_quant_params.is_set("search_step"));
        CHECK_EQ(q.layers[0].second.activation_quant_params.get<amct::ifmr_params>().search_step, 0.05);
        CHECK_FALSE(q.layers[1].second.quant_enable);
        CHECK_EQ(q, amct::resolve_quant_cfg(amct::dsl::load_quant_cfg(path), layers));
        CHECK_FALSE(why.notes.empty());
        o.batch_num = 2;  // AMCT ignores it silently; amct says where it belongs
        CHECK_EQ(amct_test::config_error_of(
                   [&]
                   {
                       amct::create_quant_config(layers, o);
                   }),
                 "create_quant_config: skip_layers, batch_num and activation_offset are taken from "
                 "config_definition \""
                   + path + "\"; set them there");
        std::remove(path.c_str());
        o.batch_num = 1;
        CHECK_EQ(amct_test::config_error_of(
                   [&]
                   {
                       amct::create_quant_config(layers, o);
                   }),
                 path + ": cannot read the file");
    }
}
