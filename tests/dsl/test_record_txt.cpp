// AMCT's record.txt: the protobuf text of ScaleOffsetRecord, read with the schema and AMCT's read-time rules
// (docs/model.md#the-record-file), written as AMCT writes it.
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/dsl/record_txt.hpp>
#include <amct/model/record.hpp>

#include "test_support.hpp"

namespace
{
std::string record_errors(const std::string& text)
{
    return amct_test::config_error_of(
      [&]
      {
          amct::dsl::read_record_txt(text, "record.txt");
      });
}
}  // namespace

TEST_SUITE("record.txt")
{
    TEST_CASE("AMCT's documented example reads to the expected record")
    {
        // docs/model.md#example (OSS-DOC record.md; OSS-PY tests int8_record.txt)
        const auto rec = amct::dsl::read_record_txt(R"(record {
  key: "layer1.0.conv1"
  value {
    scale_d: 0.00392156886
    offset_d: -128
    scale_w: 0.00106807391
    scale_w: 0.00104224426
    offset_w: 0
    offset_w: 0
    dst_type: "INT8"
  }
}
)");
        REQUIRE_EQ(rec.layers.size(), 1u);
        CHECK_EQ(rec.layers[0].first, "layer1.0.conv1");
        const amct::layer_record& r = rec.layers[0].second;
        CHECK_EQ(r.scale_d, 0.00392156886f);
        CHECK_EQ(*r.scale_d, 1.0f / 255.0f);  // 9 significant digits give back the float
        CHECK_EQ(r.offset_d, -128);
        CHECK_EQ(r.scale_w, std::vector<float>{0.00106807391f, 0.00104224426f});
        CHECK_EQ(r.offset_w, std::vector<std::int32_t>{0, 0});
        CHECK_EQ(r.dst_type, "INT8");
        CHECK_EQ(r.activation_type(), "INT8");
        CHECK_FALSE(r.act_type.has_value());
        CHECK_EQ(rec.find("layer1.0.conv1"), &rec.layers[0].second);
        CHECK_EQ(rec.find("nope"), nullptr);
    }

    TEST_CASE("write then read gives the same record, every float bit for bit")
    {
        std::mt19937 gen(7);
        std::uniform_real_distribution<float> scale(1e-12f, 1e3f);
        amct::quant_record rec;
        for (int l = 0; l < 20; ++l)
        {
            amct::layer_record& r = rec["block_" + std::to_string(l) + "/conv \"q\"\\x"];
            r.scale_d = scale(gen);
            r.offset_d = l - 10;
            for (int c = 0; c < 17; ++c)
            {
                r.scale_w.push_back(scale(gen));
                r.offset_w.push_back(0);
            }
            r.act_type = l % 2 ? "INT16" : "INT8";
            r.wts_type = "INT8";
        }
        amct::layer_record& all = rec["all"];
        all.scale_d = std::numeric_limits<float>::denorm_min();
        all.offset_d = 127;
        all.scale_w = {std::numeric_limits<float>::max()};
        all.offset_w = {0};
        all.shift_bit = {1, 16};
        all.tensor_balance_factor = {0.5f, 2.0f};
        all.skip_fusion = true;
        all.dst_type = "INT8";
        all.fakequant_precision_mode = "FORCE_FP16_QUANT";
        all.scale_h = 0.25f;
        all.offset_h = -3;
        all.scale_r = {0.125f};
        all.offset_r = {0};
        amct::check_record(rec);
        const std::string text = amct::dsl::write_record_txt(rec);
        const amct::quant_record back = amct::dsl::read_record_txt(text);
        REQUIRE(back == rec);
        for (std::size_t l = 0; l < rec.layers.size(); ++l)
        {
            for (std::size_t c = 0; c < rec.layers[l].second.scale_w.size(); ++c)
            {
                CHECK_EQ(amct_test::bits(back.layers[l].second.scale_w[c]),
                         amct_test::bits(rec.layers[l].second.scale_w[c]));
            }
        }
        CHECK_EQ(amct::dsl::write_record_txt(back), text);
        // AMCT's layout: key, then the value's fields in proto order, two spaces per level
        CHECK_EQ(
          text.substr(text.find("record {\n  key: \"all\"")),
          "record {\n  key: \"all\"\n  value {\n    scale_d: 1.40129846e-45\n    offset_d: 127\n"
          "    scale_w: 3.40282347e+38\n    offset_w: 0\n    shift_bit: 1\n    shift_bit: 16\n"
          "    tensor_balance_factor: 0.5\n    tensor_balance_factor: 2\n    skip_fusion: true\n"
          "    dst_type: \"INT8\"\n    fakequant_precision_mode: \"FORCE_FP16_QUANT\"\n    scale_h: 0.25\n"
          "    offset_h: -3\n    scale_r: 0.125\n    offset_r: 0\n  }\n}\n");
    }

    TEST_CASE("a record nested deeper than protobuf's 100 levels is refused at the 101st brace, not a crash")
    {
        std::string text;
        for (int i = 0; i < 50000; ++i)
        {
            text += "record { ";
        }
        const std::string expected = "record.txt:1:908: messages nested more than 100 levels deep";
        CHECK_EQ(record_errors(text).substr(0, expected.size()), expected);
    }

    TEST_CASE("AMCT's read-time rules and the schema, every problem at its line and column")
    {
        CHECK_EQ(
          record_errors(R"(record {
  key: "conv1"
  value {
    scale_d: -0.5
    offset_d: 128
    scale_w: 0.1
    scale_w: inf
    offset_w: 0
    offset_w: 3
    shift_bit: 0
    shift_bit: 17
    act_type: "INT4"
  }
}
record { key: "conv2" value { offset_d: 200 act_type: "INT16" scale_d: 1 scale_d: 2 } }
record { key: "conv1" value { scale_w: 1 offset_w: [0, 0] } }
record { value { scale_d: "x" } unknown: 1 }
)"),
          "record.txt:4:14: record \"conv1\": scale_d = -0.5 must be a finite number > 0\n"
          "record.txt:5:15: record \"conv1\": offset_d = 128 must be in [-128, 127] for INT4 activations\n"
          "record.txt:7:14: record \"conv1\": scale_w[1] = inf must be a finite number > 0\n"
          "record.txt:9:15: record \"conv1\": offset_w[1] = 3 must be 0 (weights are quantized "
          "symmetrically)\n"
          "record.txt:10:16: record \"conv1\": shift_bit[0] = 0 must be in [1, 16] (or every shift_bit 0)\n"
          "record.txt:11:16: record \"conv1\": shift_bit[1] = 17 must be in [1, 16] (or every shift_bit 0)\n"
          "record.txt:12:15: record \"conv1\": act_type = \"INT4\" must be one of INT8, INT16\n"
          "record.txt:15:74: \"scale_d\" is given twice (first at 15:63); it is not a repeated field\n"
          "record.txt:16:8: record \"conv1\" is given twice (first at 1:8)\n"
          "record.txt:16:53: record \"conv1\": offset_w has 2 values and scale_w 1; they go per channel "
          "together\n"
          "record.txt:17:8: record is missing its key\n"
          "record.txt:17:27: \"scale_d\" = \"x\" must be a number\n"
          "record.txt:17:33: unknown field \"unknown\" in MapFiledEntry");
        // offset_d 200 is fine for INT16 activations; the INT8 range applies by default
        CHECK_EQ(
          record_errors("record { key: \"a\" value { offset_d: -129 } }"),
          "record.txt:1:37: record \"a\": offset_d = -129 must be in [-128, 127] for INT8 activations");
    }
}
