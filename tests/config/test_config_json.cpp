// AMCT's config.json: typed structs, Boost.JSON reading and writing, and diagnostics with file:line:column.
#include <array>
#include <string>

#include <doctest/doctest.h>

#include <amct/config/config_json.hpp>
#include <amct/config/layer_params.hpp>
#include <amct/config/quant_config.hpp>

#include "test_support.hpp"

namespace
{
/// The per-layer example of AMCT's documentation (OSS-DOC create_quant_config), with two layers, without its
/// "dmq_balancer_param": 0.5 (DMQ is not implemented by amct: an error, tested below).
const char* amct_example = R"({
    "version":1,
    "batch_num":2,
    "activation_offset":true,
    "do_fusion":true,
    "skip_fusion_layers":[],
    "conv1":{
        "quant_enable":true,
        "activation_quant_params":{
            "num_bits":8,
            "max_percentile":0.999999,
            "min_percentile":0.999999,
            "search_range":[0.7,1.3],
            "search_step":0.01,
            "act_algo":"ifmr",
            "asymmetric":false
        },
        "weight_quant_params":{
            "num_bits":8,
            "wts_algo":"arq_quantize",
            "channel_wise":true
        }
    },
    "fc":{
        "quant_enable":false,
        "activation_quant_params":{
            "num_bits":8,
            "num_of_bins":4096,
            "act_algo":"hfmg"
        },
        "weight_quant_params":{
            "num_bits":8,
            "wts_algo":"arq_quantize",
            "channel_wise":false
        }
    }
})";

std::string config_errors(const std::string& text)
{
    return amct_test::config_error_of(
      [&]
      {
          amct::read_config_json(text, "config.json");
      });
}
}  // namespace

TEST_SUITE("config.json")
{
    TEST_CASE("AMCT's example parses to the expected structs and round-trips")
    {
        const amct::quant_config c = amct::read_config_json(amct_example);
        CHECK_EQ(c.version, 1);
        CHECK_EQ(c.batch_num, 2);
        CHECK(c.activation_offset);
        CHECK(c.do_fusion);
        REQUIRE_EQ(c.layers.size(), 2u);
        CHECK_EQ(c.layers[0].first, "conv1");
        const auto& conv = c.layers[0].second;
        CHECK(conv.quant_enable);
        CHECK_FALSE(conv.dmq_balancer_param.has_value());
        const auto& ca = conv.activation_quant_params;
        CHECK_EQ(ca.algorithm(), "ifmr");
        CHECK(ca.is_set("max_percentile"));
        CHECK_EQ(ca.get<amct::ifmr_params>().max_percentile, 0.999999);
        CHECK(ca.is_set("search_range"));
        CHECK_EQ(ca.get<amct::ifmr_params>().search_range_start, 0.7);
        CHECK_EQ(ca.get<amct::ifmr_params>().search_range_end, 1.3);
        CHECK(ca.is_set("search_step"));
        CHECK_EQ(ca.get<amct::ifmr_params>().search_step, 0.01);
        CHECK_EQ(ca.asymmetric(), false);
        CHECK_FALSE(ca.is_set("num_of_bins"));
        CHECK_EQ(conv.weight_quant_params.channel_wise(), true);
        const auto& fc = c.layers[1].second;
        CHECK_FALSE(fc.quant_enable);
        CHECK_EQ(fc.activation_quant_params.algorithm(), "hfmg");
        CHECK(fc.activation_quant_params.is_set("num_of_bins"));
        CHECK_EQ(fc.activation_quant_params.get<amct::hfmg_params>().num_of_bins, 4096);
        CHECK_FALSE(fc.activation_quant_params.asymmetric().has_value());
        CHECK_EQ(fc.weight_quant_params.channel_wise(), false);

        const std::string written = amct::write_config_json(c);
        CHECK_EQ(amct::read_config_json(written), c);
        CHECK(written.find("\"search_range\": [0.7, 1.3]") != std::string::npos);
        CHECK(written.find("fakequant_precision_mode")
              == std::string::npos);  // DEFAULT is left out, as AMCT does

        // the same through Boost.JSON's customization points
        const boost::json::value jv = boost::json::value_from(c);
        CHECK_EQ(boost::json::value_to<amct::quant_config>(jv), c);
    }

    TEST_CASE("every error of a file at once, each with line:column and the JSON path")
    {
        const std::string text =
          "{\n"
          "    \"version\": 2,\n"
          "    \"batch_num\": \"2\",\n"
          "    \"conv1\": {\n"
          "        \"quant_enable\": 1,\n"
          "        \"activation_quant_params\": {\n"
          "            \"search_range\": [0.7, 1.3],\n"
          "            \"search_step\": 0.9,\n"
          "            \"max_percentile\": 0.5,\n"
          "            \"search_step\": 0.02,\n"
          "            \"bins\": 3\n"
          "        },\n"
          "        \"weight_quant_params\": {\"num_bits\": 5, \"channel_wise\": \"yes\"}\n"
          "    },\n"
          "    \"fc\": {\"activation_quant_params\": {\"search_step\": 0.01, \"num_of_bins\": 2048}},\n"
          "    \"oops\": 3\n"
          "}\n";
        CHECK_EQ(config_errors(text),
                 "config.json:2:16: version = 2 must be 1 (the only version)\n"
                 "config.json:3:18: batch_num = \"2\" must be an integer\n"
                 "config.json:5:25: layer \"conv1\": quant_enable = 1 must be true or false\n"
                 "config.json:9:31: layer \"conv1\": activation_quant_params.max_percentile = 0.5 must be in "
                 "(0.5, 1]\n"
                 "config.json:10:13: layer \"conv1\": duplicate key \"search_step\" in "
                 "activation_quant_params (first "
                 "given at 8:13)\n"
                 "config.json:11:13: layer \"conv1\": unknown key \"bins\" in activation_quant_params\n"
                 "config.json:13:45: layer \"conv1\": weight_quant_params.num_bits = 5 must be 4, 6, 7 or 8\n"
                 "config.json:13:64: layer \"conv1\": weight_quant_params.channel_wise = \"yes\" must be "
                 "true or false\n"
                 "config.json:15:39: layer \"fc\": activation_quant_params has IFMR (search_step) and HFMG "
                 "(num_of_bins) parameters; a layer takes one algorithm\n"
                 "config.json:16:5: unknown key \"oops\" (a layer's configuration must be an object)");
    }

    TEST_CASE("a bad value's message with its position; syntax errors; unreadable files")
    {
        std::string text = "{";
        for (int i = 0; i < 12; ++i)
        {
            text += "\n";
        }
        text += "\"conv1\": {\"activation_quant_params\":\n    {\"search_step\": 0.9}}}";
        CHECK_EQ(config_errors(text),
                 "config.json:14:21: layer \"conv1\": activation_quant_params.search_step = 0.9 must be in "
                 "(0, 0.6]");
        CHECK_EQ(config_errors("{\n  \"version\": 1,\n  \"batch_num\": }"),
                 "config.json:3:16: syntax error: syntax error");
        CHECK_EQ(
          config_errors("{\"batch_num\": 4294967296, \"conv1\": {\"activation_quant_params\": "
                        "{\"act_algo\": \"hfmg\", \"num_of_bins\": 99999999999}}}"),
          "config.json:1:15: batch_num = 4294967296 must be in [1, 2147483647]\n"
          "config.json:1:100: layer \"conv1\": activation_quant_params.num_of_bins = 99999999999 is out "
          "of range (a 32-bit integer)");
        CHECK_EQ(config_errors("{\"batch_num\": 4294967295}"),
                 "config.json:1:15: batch_num = 4294967295 must be in [1, 2147483647]");
        CHECK_EQ(config_errors("{\"batch_num\": -1}"),
                 "config.json:1:15: batch_num = -1 must be in [1, 2147483647]");
        CHECK_EQ(config_errors("{\"batch_num\": 2.5}"),
                 "config.json:1:15: batch_num = 2.5 must be an integer");
        // non-finite literals: JSON numbers are finite (RFC 8259 section 6); Boost.JSON stops at them
        CHECK_EQ(config_errors("{\"conv1\": {\"activation_quant_params\": {\"search_step\": NaN}}}"),
                 "config.json:1:55: syntax error: NaN is not a JSON number");
        CHECK_EQ(config_errors("{\"conv1\": {\"activation_quant_params\": {\"search_step\": nan}}}"),
                 "config.json:1:55: syntax error: nan is not a JSON number");
        CHECK_EQ(config_errors("{\"conv1\": {\"activation_quant_params\": {\"search_step\": -Infinity}}}"),
                 "config.json:1:55: syntax error: -Infinity is not a JSON number");
        CHECK_EQ(config_errors("{\"conv1\": {\"activation_quant_params\": {\"search_step\": inf}}}"),
                 "config.json:1:55: syntax error: inf is not a JSON number");
        CHECK_EQ(config_errors("{\"batch_num\": nul}"), "config.json:1:15: syntax error: syntax error");
        // a byte-order mark: named (protobuf's TextFormat refuses it in quant.cfg; amct refuses both)
        CHECK_EQ(
          config_errors("\xEF\xBB\xBF{\"batch_num\": 1}"),
          "config.json:1:1: syntax error: the file starts with a UTF-8 byte-order mark (EF BB BF); save it "
          "without one");
        // settings amct does not implement: errors at their positions, never ignored
        CHECK_EQ(
          config_errors("{\"fakequant_precision_mode\": \"FORCE_FP16_QUANT\",\n"
                        " \"conv1\": {\"dmq_balancer_param\": 0.5}}"),
          "config.json:1:30: fakequant_precision_mode FORCE_FP16_QUANT is not implemented by amct (it "
          "does not round deq_scale to the device's s19 format)\n"
          "config.json:2:12: layer \"conv1\": dmq_balancer_param: dmq_balancer is not implemented by amct");
        // INT4 activations: AMCT's record has no INT4 act_type (docs/model.md#read-time-validation)
        CHECK_EQ(
          config_errors("{\"conv1\": {\"activation_quant_params\": {\"num_bits\": 4}}}"),
          "config.json:1:52: layer \"conv1\": activation_quant_params.num_bits = 4 must be 8 or 16 (the "
          "record's act_type is INT8 or INT16)");
        CHECK_THROWS_WITH_AS(amct::load_config_json("/nonexistent/config.json"),
                             "/nonexistent/config.json: cannot read the file",
                             amct::config_error);
    }
}

TEST_SUITE("config.json: ifmr_mode (extension)")
{
    TEST_CASE("exact or bounded: read, written back, and the observer it selects")
    {
        const std::string text = R"({
    "version": 1,
    "conv1": {"activation_quant_params": {"act_algo": "ifmr", "ifmr_mode": "bounded"}},
    "conv2": {"activation_quant_params": {"ifmr_mode": "exact", "search_step": 0.02}},
    "conv3": {"activation_quant_params": {}}
})";
        const amct::quant_config c = amct::read_config_json(text);
        REQUIRE_EQ(c.layers.size(), 3u);
        CHECK(c.layers[0].second.activation_quant_params.is_set("ifmr_mode"));
        CHECK_EQ(c.layers[0].second.activation_quant_params.get<amct::ifmr_params>().mode,
                 amct::ifmr_mode::bounded);
        CHECK(c.layers[1].second.activation_quant_params.is_set("ifmr_mode"));
        CHECK_EQ(c.layers[1].second.activation_quant_params.get<amct::ifmr_params>().mode,
                 amct::ifmr_mode::exact);
        CHECK_FALSE(c.layers[2].second.activation_quant_params.is_set("ifmr_mode"));
        const std::string written = amct::write_config_json(c);
        CHECK(written.find("\"ifmr_mode\": \"bounded\"") != std::string::npos);
        CHECK_EQ(amct::read_config_json(written), c);
        CHECK_EQ(written.find("ifmr_mode", written.find("conv3")), std::string::npos);  // unset stays out

        const auto mode = [&](std::size_t i)
        {
            return std::get<amct::ifmr_params>(
                     amct::resolved_params(c.layers[i].second.activation_quant_params, true))
              .mode;
        };
        CHECK_EQ(mode(0), amct::ifmr_mode::bounded);
        CHECK_EQ(mode(1), amct::ifmr_mode::exact);
        CHECK_EQ(mode(2), amct::ifmr_mode::exact);  // AMCT's behaviour by default
    }

    TEST_CASE("a bad value, a wrong type, or an HFMG layer with it: errors at their positions")
    {
        const std::string text = "{\n"
                                 "    \"conv1\": {\"activation_quant_params\": {\"ifmr_mode\": \"fast\"}},\n"
                                 "    \"conv2\": {\"activation_quant_params\": {\"ifmr_mode\": 1}},\n"
                                 "    \"fc\": {\"activation_quant_params\": {\"act_algo\": \"hfmg\", "
                                 "\"ifmr_mode\": \"exact\"}},\n"
                                 "    \"fc2\": {\"activation_quant_params\": {\"ifmr_mode\": \"bounded\", "
                                 "\"num_of_bins\": 2048}}\n"
                                 "}\n";
        CHECK_EQ(config_errors(text),
                 "config.json:2:56: layer \"conv1\": activation_quant_params.ifmr_mode = \"fast\" must be "
                 "exact or bounded\n"
                 "config.json:3:56: layer \"conv2\": activation_quant_params.ifmr_mode = 1 must be a string\n"
                 "config.json:4:39: layer \"fc\": activation_quant_params: act_algo \"hfmg\" with the IFMR "
                 "parameter ifmr_mode\n"
                 "config.json:5:40: layer \"fc2\": activation_quant_params has IFMR (ifmr_mode) and HFMG "
                 "(num_of_bins) parameters; a layer takes one algorithm");
    }
}
