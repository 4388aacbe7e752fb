// amct/config/resolve.hpp: quant.cfg resolved into config.json (precedence, explanations, errors at their
// position).
#include <array>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/resolve.hpp>
#include <amct/dsl/quant_cfg.hpp>

#include "config_support.hpp"
#include "test_support.hpp"

namespace
{
using amct_test::cfg_errors;
}  // namespace

TEST_SUITE("quant.cfg: ifmr_mode (extension)")
{
    TEST_CASE(
      "EXACT or BOUNDED in ifmr_quantize, resolved into config.json's ifmr_mode; errors at their position")
    {
        const auto c = amct::dsl::read_quant_cfg("common_config { ifmr_quantize { ifmr_mode: BOUNDED } }\n"
                                                 "override_layer_configs { layer_name: \"fc\" "
                                                 "calibration_config { ifmr_quantize { ifmr_mode: EXACT } } "
                                                 "}\n"
                                                 "override_layer_types { layer_type: \"Conv3d\" "
                                                 "calibration_config { ifmr_quantize { search_step: 0.02 } "
                                                 "} }\n");
        CHECK(c.common_config->activations->holds<amct::ifmr_params>());
        CHECK(c.common_config->activations->is_set("ifmr_mode"));
        CHECK_EQ(c.common_config->activations->get<amct::ifmr_params>().mode, amct::ifmr_mode::bounded);
        const std::vector<amct::layer_info> layers = {
          {"conv", "Conv2d"}, {"fc", "Linear"}, {"c3d", "Conv3d"}};
        const amct::quant_config q = amct::resolve_quant_cfg(c, layers);
        CHECK(q.layers[0].second.activation_quant_params.is_set("ifmr_mode"));  // common_config
        CHECK_EQ(q.layers[0].second.activation_quant_params.get<amct::ifmr_params>().mode,
                 amct::ifmr_mode::bounded);
        CHECK(q.layers[1].second.activation_quant_params.is_set("ifmr_mode"));  // by name
        CHECK_EQ(q.layers[1].second.activation_quant_params.get<amct::ifmr_params>().mode,
                 amct::ifmr_mode::exact);
        // the most specific config is taken whole: its unset ifmr_mode is AMCT's exact mode
        CHECK_FALSE(q.layers[2].second.activation_quant_params.is_set("ifmr_mode"));
        CHECK_EQ(amct::read_config_json(amct::write_config_json(q)), q);

        CHECK_EQ(
          cfg_errors("common_config { ifmr_quantize { ifmr_mode: FAST } }\n"
                     "common_config { hfmg_quantize { ifmr_mode: EXACT } }\n"),
          "quant.cfg:1:44: \"ifmr_mode\" = FAST must be one of EXACT, BOUNDED\n"
          "quant.cfg:2:1: \"common_config\" is given twice (first at 1:1); it is not a repeated field\n"
          "quant.cfg:2:33: unknown field \"ifmr_mode\" in HFMGQuantize");
    }
}

TEST_SUITE("quant.cfg resolution")
{
    TEST_CASE("override_layer_configs > override_layer_types > common_config > activation_offset")
    {
        const auto cfg = amct::dsl::read_quant_cfg(R"(
activation_offset: false
skip_layers: "fc2"
skip_layer_types: "AvgPool2d"
common_config { arq_quantize { channel_wise: true quant_bits: INT6 } ifmr_quantize { search_step: 0.02 asymmetric: true } }
override_layer_types { layer_type: "Conv2d" calibration_config { ifmr_quantize { search_range_start: 0.8 search_range_end: 1.2 } } }
override_layer_configs { layer_name: "conv2" calibration_config { hfmg_quantize { num_of_bins: 2048 asymmetric: false } } }
override_layer_configs { layer_name: "ghost" calibration_config { arq_quantize {} } }
)");
        const std::vector<amct::layer_info> layers = {
          {"conv1", "Conv2d"}, {"conv2", "Conv2d"}, {"c3d", "Conv3d"}, {"fc", "Linear"}, {"relu", "ReLU"}};
        amct::resolution why;
        const auto q = amct::resolve_quant_cfg(cfg, layers, &why);
        REQUIRE_EQ(q.layers.size(), 4u);  // ReLU is not quantizable
        const auto& conv1 = q.layers[0].second.activation_quant_params;
        CHECK_EQ(conv1.algorithm(), "ifmr");
        CHECK(conv1.is_set("search_range"));  // override_layer_types
        CHECK_EQ(conv1.get<amct::ifmr_params>().search_range_start, 0.8);
        CHECK_EQ(conv1.get<amct::ifmr_params>().search_range_end, 1.2);
        CHECK(conv1.is_set("search_step"));  // the override's own default, not common_config's
        CHECK_EQ(conv1.get<amct::ifmr_params>().search_step, 0.01);
        CHECK_EQ(conv1.asymmetric(), true);  // override unset -> common_config
        // the override_layer_types config is taken whole: no arq_quantize, so Conv2d's defaults
        CHECK_EQ(q.layers[0].second.weight_quant_params.num_bits(), 8);
        CHECK_EQ(q.layers[0].second.weight_quant_params.channel_wise(), true);
        const auto& conv2 = q.layers[1].second.activation_quant_params;
        CHECK_EQ(conv2.algorithm(), "hfmg");
        CHECK(conv2.is_set("num_of_bins"));
        CHECK_EQ(conv2.get<amct::hfmg_params>().num_of_bins, 2048);
        CHECK_EQ(conv2.asymmetric(), false);
        const auto& c3d = q.layers[2].second;
        CHECK_EQ(c3d.activation_quant_params.asymmetric(), false);  // Conv3d: symmetric only
        CHECK(c3d.activation_quant_params.is_set("search_step"));   // common_config
        CHECK_EQ(c3d.activation_quant_params.get<amct::ifmr_params>().search_step, 0.02);
        CHECK_EQ(c3d.weight_quant_params.channel_wise(), true);
        CHECK_EQ(c3d.weight_quant_params.num_bits(), 8);  // INT6 is for Conv2d only
        // common_config reaches Linear as far as its type allows: no channels, INT8 weights
        const auto& fc = q.layers[3].second;
        CHECK_EQ(fc.weight_quant_params.channel_wise(), false);
        CHECK_EQ(fc.weight_quant_params.num_bits(), 8);
        CHECK_FALSE(q.activation_offset);
        auto rule_of = [&](const std::string& layer, const std::string& field)
        {
            for (const auto& n : why.notes)
            {
                if (n.layer == layer && n.field == field)
                {
                    return n.rule;
                }
            }
            return std::string("(none)");
        };
        CHECK_EQ(rule_of("conv1", "activation_quant_params.asymmetric"), "common_config");
        CHECK_EQ(rule_of("conv2", "activation_quant_params"), "override_layer_configs \"conv2\"");
        CHECK_EQ(rule_of("c3d", "activation_quant_params.asymmetric"), "layer type Conv3d (symmetric only)");
        CHECK_EQ(rule_of("fc", "weight_quant_params.channel_wise"),
                 "common_config does not apply: layer type Linear has no channels");
        CHECK_EQ(rule_of("fc", "weight_quant_params.num_bits"),
                 "common_config does not apply: INT6/INT7 weights are for Conv2d only");
        std::vector<std::string> unmatched;
        for (const auto& d : why.unmatched)
        {
            unmatched.push_back(d.to_string());
        }
        CHECK_EQ(unmatched,
                 std::vector<std::string>{
                   "quant.cfg:8:24: override_layer_configs \"ghost\" matches no quantizable layer",
                   "quant.cfg:3:14: skip_layers \"fc2\" matches no layer",
                   "quant.cfg:4:19: skip_layer_types \"AvgPool2d\" matches no layer"});
        CHECK_EQ(amct::read_config_json(amct::write_config_json(q)), q);
        amct::check_config(q, layers);  // the resolved configuration satisfies the model's rules
    }

    TEST_CASE("an override by name or type that its layer type cannot follow is an error at its position")
    {
        const auto cfg = amct::dsl::read_quant_cfg(R"(skip_fusion_layers: ["fc", "ghost", "conv"]
override_layer_types { layer_type: "Linear" calibration_config { arq_quantize { channel_wise: true } } }
override_layer_configs { layer_name: "c3d" calibration_config {
  ifmr_quantize { asymmetric: true dst_type: INT16 }
  arq_quantize { quant_bits: INT7 } } }
override_layer_configs { layer_name: "pool" calibration_config { hfmg_quantize { dst_type: INT16 } } }
)");
        const std::vector<amct::layer_info> layers = {
          {"conv", "Conv2d"}, {"c3d", "Conv3d"}, {"fc", "Linear"}, {"pool", "AveragePool"}};
        CHECK_EQ(
          amct_test::config_error_of(
            [&]
            {
                amct::resolve_quant_cfg(cfg, layers);
            }),
          "quant.cfg:4:3: layer \"c3d\": dst_type is INT16 (override_layer_configs \"c3d\"), but layer "
          "type Conv3d takes INT8 activations only\n"
          "quant.cfg:4:3: layer \"c3d\": asymmetric is true (override_layer_configs \"c3d\"), but layer "
          "type Conv3d is quantized symmetrically only\n"
          "quant.cfg:5:3: layer \"c3d\": quant_bits is INT7 (override_layer_configs \"c3d\"), but layer "
          "type Conv3d takes INT6/INT7 weights only for Conv2d\n"
          "quant.cfg:2:66: layer \"fc\": channel_wise is true (override_layer_types \"Linear\"), but "
          "layer type Linear has no channels\n"
          "quant.cfg:6:66: layer \"pool\": dst_type is INT16 (override_layer_configs \"pool\"), but "
          "layer type AveragePool takes INT8 activations only\n"
          "quant.cfg:1:22: skip_fusion_layers: \"fc\" is of type Linear; only convolutions are fused "
          "with BatchNorm\n"
          "quant.cfg:1:28: skip_fusion_layers: \"ghost\" is not a layer of the model");
    }

    TEST_CASE("two overrides of one layer or one type are an error naming the first")
    {
        CHECK_EQ(cfg_errors("override_layer_configs { layer_name: \"a\" calibration_config {} }\n"
                            "override_layer_configs { layer_name: \"a\" calibration_config {} }\n"),
                 "quant.cfg:2:24: override_layer_configs \"a\" is given twice (first at 1:24)");
        CHECK_EQ(cfg_errors("override_layer_types < layer_type: 'Conv2d' calibration_config {} >\n"
                            "override_layer_types < layer_type: 'Conv2d' calibration_config {} >\n"),
                 "quant.cfg:2:22: override_layer_types \"Conv2d\" is given twice (first at 1:22)");
    }
}
