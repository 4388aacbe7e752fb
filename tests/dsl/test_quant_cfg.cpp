// amct/dsl/quant_cfg.hpp: quant.cfg in the protobuf text format (Spirit X3, amct/dsl/text_format.hpp) with
// AMCTConfig's schema rules, and file:line:column errors.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include <amct/dsl/quant_cfg.hpp>
#include <amct/dsl/text_format.hpp>

#include "config_support.hpp"
#include "test_support.hpp"

namespace
{
/// The example quant.cfg of docs/configuration.md#quantcfg-example, verbatim in structure.
const char* example_cfg = R"(# global quantize parameter
activation_offset : true
skip_layers : "Opname"
skip_layer_types:"Optype"
do_fusion: true
skip_fusion_layers : "Opname"
common_config : {
arq_quantize : {
channel_wise : true
}
ifmr_quantize : {
search_range_start : 0.7
search_range_end : 1.3
search_step : 0.01
max_percentile : 0.999999
min_percentile : 0.999999
asymmetric : true
}
}
override_layer_types : {
layer_type : "Optype"
calibration_config : {
arq_quantize : {
channel_wise : false
}
ifmr_quantize : {
search_range_start : 0.8
search_range_end : 1.2
search_step : 0.02
max_percentile : 0.999999
min_percentile : 0.999999
asymmetric : true
}
}
}
override_layer_configs : {
layer_name : "Opname"
calibration_config : {
arq_quantize : {
channel_wise : true
}
ifmr_quantize : {
search_range_start : 0.8
search_range_end : 1.2
search_step : 0.02
max_percentile : 0.999999
min_percentile : 0.999999
asymmetric : true
}
}
}
)";

using amct_test::cfg_errors;
}  // namespace

TEST_SUITE("quant.cfg")
{
    TEST_CASE("the example of docs/configuration.md#quantcfg-example parses to the expected structs")
    {
        const auto c = amct::dsl::read_quant_cfg(example_cfg);
        CHECK_EQ(c.activation_offset, true);
        CHECK_EQ(c.skip_layers, std::vector<std::string>{"Opname"});
        CHECK_EQ(c.skip_layer_types, std::vector<std::string>{"Optype"});
        CHECK_EQ(c.do_fusion, true);
        CHECK_EQ(c.skip_fusion_layers, std::vector<std::string>{"Opname"});
        REQUIRE(c.common_config);
        CHECK_EQ(c.common_config->weights->flag("channel_wise"), true);
        const auto& common = *c.common_config->activations;
        CHECK(common.holds<amct::ifmr_params>());
        CHECK(common.is_set("search_range"));
        CHECK_EQ(common.get<amct::ifmr_params>().search_range_start, 0.7);
        CHECK(common.is_set("search_step"));
        CHECK_EQ(common.get<amct::ifmr_params>().search_step, 0.01);
        CHECK_EQ(common.flag("asymmetric"), true);
        REQUIRE_EQ(c.override_layer_types.size(), 1u);
        CHECK_EQ(c.override_layer_types[0].layer_type, "Optype");
        CHECK_EQ(c.override_layer_types[0].calibration_config.weights->flag("channel_wise"), false);
        const auto& by_type = *c.override_layer_types[0].calibration_config.activations;
        CHECK(by_type.holds<amct::ifmr_params>());
        CHECK(by_type.is_set("search_step"));
        CHECK_EQ(by_type.get<amct::ifmr_params>().search_step, 0.02);
        REQUIRE_EQ(c.override_layer_configs.size(), 1u);
        CHECK_EQ(c.override_layer_configs[0].layer_name, "Opname");
        const auto& by_name = *c.override_layer_configs[0].calibration_config.activations;
        CHECK(by_name.holds<amct::ifmr_params>());
        CHECK(by_name.is_set("search_range"));
        CHECK_EQ(by_name.get<amct::ifmr_params>().search_range_end, 1.2);
    }

    TEST_CASE("every spelling protobuf's TextFormat accepts")
    {
        const auto c = amct::dsl::read_quant_cfg(R"(
batch_num: 0x10;  # hex for an integer field
activation_offset: False,
do_fusion: t
skip_layers: ["a", 'b'] skip_layers: "c" "d"   # list, repetition, adjacent strings
skip_fusion_layers: 'q\'s\n'
common_config < ifmr_quantize: { search_range_start: .5 search_range_end: 1.5f search_step: 1e-1
                                 max_percentile: 1 min_percentile: 0.99 dst_type: INT16 } >
override_layer_types { layer_type: "Conv2d" calibration_config { hfmg_quantize { num_of_bins: 2048 asymmetric: 0 } } }
)");
        CHECK_EQ(c.batch_num, 16u);
        CHECK_EQ(c.activation_offset, false);
        CHECK_EQ(c.do_fusion, true);
        CHECK_EQ(c.skip_layers, std::vector<std::string>{"a", "b", "cd"});
        CHECK_EQ(c.skip_fusion_layers, std::vector<std::string>{"q's\n"});
        const auto& ifmr = *c.common_config->activations;
        CHECK(ifmr.holds<amct::ifmr_params>());
        CHECK(ifmr.is_set("search_range"));
        CHECK_EQ(ifmr.get<amct::ifmr_params>().search_range_start, 0.5);
        CHECK_EQ(ifmr.get<amct::ifmr_params>().search_range_end, 1.5);
        CHECK(ifmr.is_set("search_step"));
        CHECK_EQ(ifmr.get<amct::ifmr_params>().search_step, 0.1);
        CHECK(ifmr.is_set("max_percentile"));
        CHECK_EQ(ifmr.get<amct::ifmr_params>().max_percentile, 1.0);
        CHECK(ifmr.is_set("num_bits"));
        CHECK_EQ(ifmr.num_bits(), 16);
        const auto& hfmg = *c.override_layer_types[0].calibration_config.activations;
        CHECK(hfmg.holds<amct::hfmg_params>());
        CHECK(hfmg.is_set("num_of_bins"));
        CHECK_EQ(hfmg.get<amct::hfmg_params>().num_of_bins, 2048);
        CHECK_EQ(hfmg.flag("asymmetric"), false);
        // inf and nan are numbers to the syntax; the algorithm's rules refuse them, each at its position
        const std::string special =
          "common_config { ifmr_quantize { search_step: inf max_percentile: nan } }";
        const amct::dsl::text_field doc = amct::dsl::parse_text_format(special, "quant.cfg");
        REQUIRE_EQ(doc.fields.size(), 1u);
        REQUIRE_EQ(doc.fields[0].fields.size(), 1u);
        const auto& tokens = doc.fields[0].fields[0].fields;
        REQUIRE_EQ(tokens.size(), 2u);
        CHECK_EQ(tokens[0].name, "search_step");
        CHECK_EQ(tokens[0].text, "inf");
        CHECK_EQ(tokens[1].name, "max_percentile");
        CHECK_EQ(tokens[1].text, "nan");
        CHECK_EQ(cfg_errors(special),
                 "quant.cfg:1:46: \"search_step\" = inf must be in (0, 0.6]\n"
                 "quant.cfg:1:66: \"max_percentile\" = nan must be in (0.5, 1]");
    }

    TEST_CASE("schema errors, all at once, with line:column")
    {
        CHECK_EQ(cfg_errors("batch_num: -1\n"
                            "batch_num: 2\n"
                            "foo: 1\n"
                            "common_config { ifmr_quantize {search_step: 0x10} hfmg_quantize {} }\n"
                            "override_layer_configs { layer_name: 'x' }\n"
                            "activation_offset: yes\n"
                            "skip_layers: 3\n"),
                 "quant.cfg:1:12: \"batch_num\" = -1 must be an unsigned 32-bit integer\n"
                 "quant.cfg:2:1: \"batch_num\" is given twice (first at 1:1); it is not a repeated field\n"
                 "quant.cfg:3:1: unknown field \"foo\" in AMCTConfig\n"
                 "quant.cfg:4:45: \"search_step\" = 0x10 must be a number\n"
                 "quant.cfg:4:51: \"hfmg_quantize\" and \"ifmr_quantize\" (at 4:17) are members of one oneof "
                 "(acts); "
                 "give only one\n"
                 "quant.cfg:5:24: OverrideLayer is missing its required field \"calibration_config\"\n"
                 "quant.cfg:6:20: \"activation_offset\" = yes must be true or false\n"
                 "quant.cfg:7:14: \"skip_layers\" = 3 must be a quoted string");
    }

    TEST_CASE("every setting refused at its quant.cfg position, by config.json's rules")
    {
        // the algorithms' rules (amct/algo/param.hpp, the validator config.json uses)
        CHECK_EQ(cfg_errors("common_config {\n"
                            "  ifmr_quantize { search_step: 5 }\n"
                            "}\n"
                            "override_layer_types { layer_type: 'Conv2d' calibration_config {\n"
                            "  ifmr_quantize { max_percentile: 2 min_percentile: 0.1 }\n"
                            "} }\n"
                            "override_layer_configs { layer_name: 'a' calibration_config {\n"
                            "  ifmr_quantize { search_range_start: 1.3 search_range_end: 0.7 }\n"
                            "} }\n"
                            "override_layer_configs { layer_name: 'b' calibration_config {\n"
                            "  ifmr_quantize { search_step: nan search_range_end: inf }\n"
                            "} }\n"),
                 "quant.cfg:2:32: \"search_step\" = 5 must be in (0, 0.6]\n"
                 "quant.cfg:5:35: \"max_percentile\" = 2 must be in (0.5, 1]\n"
                 "quant.cfg:5:53: \"min_percentile\" = 0.1 must be in (0.5, 1]\n"
                 "quant.cfg:8:61: \"search_range_start\" and \"search_range_end\" = [1.3, 0.7] must be two "
                 "numbers with 0 < start < end\n"
                 "quant.cfg:11:32: \"search_step\" = nan must be a number, not NaN\n"
                 "quant.cfg:11:54: \"search_range_start\" and \"search_range_end\" = [0.7, inf] must be two "
                 "numbers with 0 < start < end");
        // the global settings: batch_num_rule, as config.json's batch_num
        CHECK_EQ(cfg_errors("batch_num: 0\n"), "quant.cfg:1:12: batch_num = 0 must be in [1, 2147483647]");
        CHECK_EQ(cfg_errors("batch_num: 4294967295\n"),
                 "quant.cfg:1:12: batch_num = 4294967295 must be in [1, 2147483647]");
        CHECK_EQ(amct::dsl::read_quant_cfg("batch_num: 2147483647").batch_num, 2147483647u);
        // settings amct does not implement
        CHECK_EQ(
          cfg_errors("fakequant_precision_mode: FORCE_FP16_QUANT\n"
                     "common_config { dmq_balancer { migration_strength: 0.3 } }\n"),
          "quant.cfg:1:27: fakequant_precision_mode FORCE_FP16_QUANT is not implemented by amct (it does "
          "not round deq_scale to the device's s19 format)\n"
          "quant.cfg:2:17: dmq_balancer is not implemented by amct");
        // a byte-order mark: protobuf's TextFormat refuses it too ("Interpreting non ascii codepoint 239")
        CHECK_EQ(
          cfg_errors("\xEF\xBB\xBF"
                     "batch_num: 1\n"),
          "quant.cfg:1:1: the file starts with a UTF-8 byte-order mark (EF BB BF); save it without one");
        // bytes of the file in messages are escaped: control characters and invalid UTF-8 as \xNN
        CHECK_EQ(cfg_errors("skip_layers: 1\x1B[31m\n"),
                 "quant.cfg:1:15: expected a field name\nskip_layers: 1\\x1B[31m\n              ^");
        CHECK_EQ(cfg_errors("activation_offset: \"\x1B]0;x\x07\xFF\"\n"),
                 "quant.cfg:1:20: \"activation_offset\" = \"\\x1B]0;x\\x07\\xFF\" must be true or false");
        CHECK_EQ(cfg_errors("\"\xC3\xA9\x01\" x"),
                 "quant.cfg:1:1: expected a field name\n\"\xC3\xA9\\x01\" x\n^");
        CHECK_EQ(cfg_errors("a: \"\xC3\xA9\x01\xFE\" }"),
                 "quant.cfg:1:11: expected a field name\na: \"\xC3\xA9\\x01\\xFE\" }\n"
                 "               ^");
    }

    TEST_CASE("syntax errors show the line and a caret")
    {
        CHECK_EQ(cfg_errors("common_config {\n  ifmr_quantize < search_step: 0.1\n}\n"),
                 "quant.cfg:3:1: expected '>'\n}\n^");
        CHECK_EQ(cfg_errors("a { b {\n c: 1 }\n\n"),
                 "quant.cfg:2:8: unexpected end of file: expected '}' to close \"a\" (opened at 1:1)\n c: 1 "
                 "}\n       ^");
        CHECK_EQ(cfg_errors("common_config {\n  arq_quantize { channel_wise true }\n}\n"),
                 "quant.cfg:2:31: expected ':' or '{'\n"
                 "  arq_quantize { channel_wise true }\n"
                 "                              ^");
        CHECK_EQ(
          cfg_errors("skip_layers: [\"a\" \"b\"\n"),
          "quant.cfg:1:22: unexpected end of file: expected ',' or ']'\nskip_layers: [\"a\" \"b\"\n          "
          "           ^");
        CHECK_EQ(
          cfg_errors("batch_num: \n"),
          "quant.cfg:1:11: unexpected end of file: expected a value, '{' or '['\nbatch_num: \n          ^");
        CHECK_EQ(cfg_errors("skip_layers: \"open\n"),
                 "quant.cfg:1:19: expected '\"'\nskip_layers: \"open\n                  ^");
    }

    TEST_CASE("messages nest at most 100 levels deep, protobuf's limit, whatever the depth of the file")
    {
        const auto nested = [](std::size_t depth, char open, char close)
        {
            std::string text;
            for (std::size_t i = 0; i < depth; ++i)
            {
                text += "a " + std::string(1, open) + " ";
            }
            return text + std::string(depth, close);
        };
        // 100 levels are read (the schema then refuses the unknown field; the syntax accepts it)
        const auto doc = amct::dsl::parse_text_format(nested(100, '{', '}'), "quant.cfg");
        const amct::dsl::text_field* f = &doc;
        std::size_t depth = 0;
        for (; !f->fields.empty(); f = &f->fields[0])
        {
            ++depth;
        }
        CHECK_EQ(depth, 100u);
        // the 101st '{' (or '<') is refused at its position: column 4 x 100 + 3
        const std::string deep =
          "quant.cfg:1:403: messages nested more than 100 levels deep (protobuf's limit)";
        for (const std::size_t levels : {101u, 40000u})
        {
            for (const auto& [open, close] : {std::pair{'{', '}'}, std::pair{'<', '>'}})
            {
                const std::string message = cfg_errors(nested(levels, open, close));
                CHECK_EQ(message.substr(0, deep.size()), deep);
            }
        }
        // in lists of messages too
        std::string in_list;
        for (int i = 0; i < 101; ++i)
        {
            in_list += "a: [{ ";
        }
        CHECK_EQ(cfg_errors(in_list).substr(0, 20), "quant.cfg:1:605: mes");
    }
}
