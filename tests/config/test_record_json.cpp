// amct/config/record_json.hpp: the record in JSON: round trip and errors at file:line:column.
#include <string>

#include <doctest/doctest.h>

#include <amct/config/config_json.hpp>
#include <amct/config/record_json.hpp>
#include <amct/dsl/record_txt.hpp>
#include <amct/model/record.hpp>

#include "test_support.hpp"

TEST_SUITE("pipeline")
{
    TEST_CASE("the record in JSON: round trip and errors at file:line:column")
    {
        amct::quant_record rec;
        amct::layer_record& r = rec["conv1"];
        r.scale_d = 0.00392156886f;
        r.offset_d = -128;
        r.scale_w = {0.00106807391f, 1e-30f, 3.4e38f};
        r.offset_w = {0, 0, 0};
        r.act_type = "INT8";
        r.wts_type = "INT8";
        rec["pool"].scale_d = 1.0f;
        rec["pool"].offset_d = 0;
        rec["pool"].scale_w = {1.0f};
        rec["pool"].offset_w = {0};
        const std::string text = amct::write_record_json(rec);
        CHECK(text.find("\"scale_d\": 0.003921569") != std::string::npos);
        CHECK(amct::read_record_json(text) == rec);
        CHECK(amct::dsl::read_record_txt(amct::dsl::write_record_txt(rec)) == rec);

        auto errors = [](const std::string& t)
        {
            return amct_test::config_error_of(
              [&]
              {
                  amct::read_record_json(t, "r.json");
              });
        };
        CHECK(
          errors("{\"record\": [{\"key\": \"a\", \"value\": {\"offset_d\": 300, \"scale_w\": [1, -2], "
                 "\"offset_w\": [0, 1]}}]}")
          == "r.json:1:48: record \"a\": offset_d = 300 must be in [-128, 127] for INT8 activations\n"
             "r.json:1:68: record \"a\": scale_w[1] = -2 must be a finite number > 0\n"
             "r.json:1:89: record \"a\": offset_w[1] = 1 must be 0 (weights are quantized symmetrically)");
        CHECK(
          errors(
            "{\"record\": [{\"key\": \"a\", \"value\": {\"scale\": 1}}, {\"key\": \"a\", \"value\": {}}]}")
          == "r.json:1:36: unknown field \"scale\" of a layer record\n"
             "r.json:1:58: record \"a\" is given twice (first as record[0])");
        CHECK(errors("{\"record\": {}}")
              == "r.json:1:12: record must be a list of {\"key\": ..., \"value\": {...}}");
        CHECK(errors("{\"record\": [{\"key\": \"a\", \"value\": {\"scale_d\": 1, \"scale_d\": 2}}]}")
                .find("duplicate key \"scale_d\"")
              != std::string::npos);
        CHECK(errors("{\"record\": [").find("r.json:1:13: syntax error") == 0);
        // JSON Pointer escapes do not leak into messages: a layer called "features/0"
        CHECK(amct_test::config_error_of(
                [&]
                {
                    amct::read_config_json(
                      "{\"features/0\": {\"quant_enable\": true, \"quant_enable\": false}}", "c.json");
                })
              == "c.json:1:39: layer \"features/0\": duplicate key \"quant_enable\" (first given at 1:17)");
    }
}
