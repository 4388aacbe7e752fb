// amct/config/check_config.hpp: config.json against the model's layer types, at line and column.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/config/check_config.hpp>

#include "test_support.hpp"

TEST_SUITE("config.json against the model")
{
    TEST_CASE("every disagreement with the model's layer types, at its line and column")
    {
        const std::string text = R"({
    "version": 1,
    "skip_fusion_layers": ["conv1", "fc", "nope"],
    "conv1": {"activation_quant_params": {"num_bits": 16}, "weight_quant_params": {"num_bits": 7}},
    "c3d": {"activation_quant_params": {"num_bits": 16, "asymmetric": true}},
    "fc": {"weight_quant_params": {"channel_wise": true, "num_bits": 6}},
    "relu": {"quant_enable": false},
    "ghost": {}
})";
        const std::vector<amct::layer_info> layers = {
          {"conv1", "Conv2d"}, {"c3d", "Conv3d"}, {"fc", "Gemm"}, {"relu", "Relu"}};
        CHECK_EQ(amct::read_config_json(text).layers.size(), 5u);  // without the model: well formed
        CHECK_EQ(
          amct_test::config_error_of(
            [&]
            {
                amct::read_config_json(text, "config.json", layers);
            }),
          "config.json:3:37: skip_fusion_layers: \"fc\" is of type Gemm; only convolutions are fused "
          "with BatchNorm\n"
          "config.json:3:43: skip_fusion_layers: \"nope\" is not a layer of the model\n"
          "config.json:5:53: layer \"c3d\": activation_quant_params.num_bits = 16, but layer type Conv3d "
          "takes INT8 activations only\n"
          "config.json:5:71: layer \"c3d\": activation_quant_params.asymmetric = true, but layer type "
          "Conv3d is quantized symmetrically only\n"
          "config.json:6:52: layer \"fc\": weight_quant_params.channel_wise = true, but layer type Gemm "
          "has no channels\n"
          "config.json:6:70: layer \"fc\": weight_quant_params.num_bits = 6, but only Conv2d layers take "
          "INT6/INT7 weights, not Gemm\n"
          "config.json:7:5: layer \"relu\": layer type Relu is not quantizable\n"
          "config.json:8:5: layer \"ghost\": not a layer of the model");
        // the same rules on a configuration in memory, located by JSON path
        auto cfg = amct::read_config_json(text);
        cfg.skip_fusion_layers.clear();
        cfg.layers.resize(1);
        cfg.layers[0].second.weight_quant_params.set_num_bits(6);
        cfg.layers[0].second.activation_quant_params.set_num_bits(16);
        amct::check_config(cfg, layers);  // Conv2d takes both
        cfg.layers[0].second.weight_quant_params.set_channel_wise(true);
        {
            const std::vector<amct::layer_info> gemm = {{"conv1", "Gemm"}};
            CHECK_EQ(
              amct_test::config_error_of(
                [&]
                {
                    amct::check_config(cfg, gemm);
                }),
              "#/conv1/weight_quant_params/channel_wise: layer \"conv1\": weight_quant_params.channel_wise "
              "= true, but layer type Gemm has no channels\n"
              "#/conv1/weight_quant_params/num_bits: layer \"conv1\": weight_quant_params.num_bits = 6, but "
              "only Conv2d layers take INT6/INT7 weights, not Gemm");
        }
    }
}
