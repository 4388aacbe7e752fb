// amct/analysis/precision_config.hpp: HMCT's quant_config, on its own and against a model.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/analysis/precision_config.hpp>
#include <amct/config/check_config.hpp>
#include <amct/config/create_quant_config.hpp>
#include <amct/config/layer_params.hpp>

#include "test_support.hpp"

namespace
{
using amct::metric;

const std::vector<amct::layer_info> model_layers = {{"conv1", "Conv"},
                                                    {"conv2", "Conv"},
                                                    {"pool", "AveragePool"},
                                                    {"head/fc", "Gemm"},
                                                    {"relu", "Relu"}};

std::string precision_errors(const std::string& text, const std::vector<amct::layer_info>* layers = nullptr)
{
    return amct_test::config_error_of(
      [&]
      {
          if (layers)
          {
              amct::read_precision_config(text, "quant_config.json", *layers);
          }
          else
          {
              amct::read_precision_config(text, "quant_config.json");
          }
      });
}
}  // namespace

TEST_SUITE("analysis: HMCT quant_config")
{
    TEST_CASE("every supported field, comments, a round trip")
    {
        const std::string text = R"({
    // the model's default precision
    "model_config": {
        "all_node_type": "int16",
        "modelwise_search": {"metric": "sqnr", "similarity": 0.995},
        "layerwise_search": {"metric": "chebyshev", "topk": 3, "qtype": "int16"}, /* HMCT's names */
        "weight": {"bias_correction": {"num_sample": 8, "metric": "cosine-similarity"}}
    },
    "op_config": {"Gemm": {"qtype": "float16"}},
    "node_config": {"conv1": {"qtype": "float"}, "a//b /*c*/": {"qtype": "int8"}}
})";
        const auto cfg = amct::read_precision_config(text);
        CHECK_EQ(cfg.all_node_type, amct::qtype::int16);
        REQUIRE(cfg.modelwise_search);
        CHECK_EQ(cfg.modelwise_search->metric, metric::sqnr);
        CHECK_EQ(cfg.modelwise_search->similarity, 0.995);
        REQUIRE(cfg.layerwise_search);
        CHECK_EQ(cfg.layerwise_search->metric, metric::max_abs_error);
        CHECK_EQ(cfg.layerwise_search->topk, 3);
        CHECK_EQ(cfg.layerwise_search->qtype, amct::qtype::int16);
        REQUIRE(cfg.bias_correction);
        CHECK_EQ(cfg.bias_correction->num_sample, 8);
        CHECK_EQ(cfg.bias_correction->metric, metric::cosine);
        CHECK_EQ(cfg.op_config,
                 std::vector<std::pair<std::string, amct::qtype>>{{"Gemm", amct::qtype::float16}});
        CHECK_EQ(cfg.node_config,
                 std::vector<std::pair<std::string, amct::qtype>>{{"conv1", amct::qtype::float32},
                                                                  {"a//b /*c*/", amct::qtype::int8}});
        const std::string written = amct::write_precision_config(cfg);
        CHECK_EQ(written,
                 R"({
    "model_config": {
        "all_node_type": "int16",
        "modelwise_search": {
            "metric": "sqnr",
            "similarity": 0.995
        },
        "layerwise_search": {
            "metric": "max-abs-error",
            "topk": 3,
            "qtype": "int16"
        },
        "weight": {
            "bias_correction": {
                "num_sample": 8,
                "metric": "cosine-similarity"
            }
        }
    },
    "op_config": {
        "Gemm": {
            "qtype": "float16"
        }
    },
    "node_config": {
        "conv1": {
            "qtype": "float32"
        },
        "a//b /*c*/": {
            "qtype": "int8"
        }
    }
}
)");
        CHECK_EQ(amct::read_precision_config(written), cfg);
        CHECK_EQ(boost::json::value_to<amct::precision_config>(boost::json::value_from(cfg)), cfg);
        CHECK_EQ(amct::read_precision_config("{}"), amct::precision_config{});
    }

    TEST_CASE("every problem at once, at its line and column (comments keep the positions)")
    {
        const std::string text = R"({
    /* a comment
       over lines */ "model_config": {
        "all_node_type": "int4",
        "activation": {"calibration_type": "kl"},
        "modelwise_search": {"metric": "mse", "similarity": "high"},
        "layerwise_search": {"topk": 0, "order": 1},
        "weight": {"max_percentile": 0.99, "bias_correction": {"num_sample": 0}},
        "search": {}
    },
    "op_config": {"Conv": "int8", "Gemm": {}},
    "node_config": {"conv1": {"qtype": "int8", "InputType": "int16"}, "conv2": {"qtype": "int8"}},
    "subgraph_config": {},
    "extra": 1, "extra": 2
})";
        CHECK_EQ(
          precision_errors(text),
          "quant_config.json:4:26: model_config.all_node_type = \"int4\" must be int8, int16, float16 or "
          "float32 "
          "(or float)\n"
          "quant_config.json:5:9: model_config.activation is not supported by amct: set the activation "
          "calibration "
          "in config.json or quant.cfg\n"
          "quant_config.json:6:40: model_config.modelwise_search.metric: unknown metric \"mse\" (amct has "
          "rmse, "
          "which ranks as mse does); known: cosine-similarity, max-abs-error, mean-abs-error, rmse, "
          "max-relative-error, mean-relative-error, accumulated-relative-error, relative-euclidean-distance, "
          "kl-divergence, sqnr\n"
          "quant_config.json:6:61: model_config.modelwise_search.similarity = \"high\" must be a number\n"
          "quant_config.json:7:38: model_config.layerwise_search.topk = 0 must be at least 1\n"
          "quant_config.json:7:41: unknown key \"order\" in model_config.layerwise_search (expected metric, "
          "topk, "
          "qtype)\n"
          "quant_config.json:8:20: model_config.weight.max_percentile is not supported by amct: amct "
          "calibrates "
          "weights with ARQ (config.json weight_quant_params)\n"
          "quant_config.json:8:78: model_config.weight.bias_correction.num_sample = 0 must be at least 1\n"
          "quant_config.json:9:9: model_config.search is not supported by amct: write "
          "model_config.layerwise_search {metric, topk, qtype}\n"
          "quant_config.json:11:27: op_config \"Conv\" must be an object such as {\"qtype\": \"int16\"}\n"
          "quant_config.json:11:43: op_config \"Gemm\" has no qtype\n"
          "quant_config.json:12:48: node_config \"conv1\".InputType is not supported by amct: amct sets a "
          "layer's "
          "precision with qtype\n"
          "quant_config.json:13:5: subgraph_config (HMCT 2.8) is not supported by amct; use node_config\n"
          "quant_config.json:14:17: duplicate key \"extra\" (first given at 14:5)\n"
          "quant_config.json:14:17: unknown key \"extra\" (expected model_config, op_config, node_config)");
        CHECK_EQ(precision_errors("{\n  // unterminated\n  /* comment\n}"),
                 "quant_config.json:3:3: syntax error: syntax error");
        CHECK_EQ(precision_errors("[1]"), "quant_config.json:1:1: the quant_config must be a JSON object");
    }
}

TEST_SUITE("analysis: HMCT quant_config against a model")
{
    TEST_CASE("precedence node_config > op_config > all_node_type > int8, with the deciding rule")
    {
        amct::precision_config cfg;
        std::vector<amct::resolution_note> notes;
        auto q = amct::resolve_qtypes(cfg, model_layers, &notes);
        for (const auto& l : model_layers)
        {
            CHECK_EQ(q.at(l.name), amct::qtype::int8);
        }
        CHECK_EQ(notes.size(), model_layers.size());
        CHECK_EQ(notes[0].rule, "default");
        cfg.all_node_type = amct::qtype::int16;
        cfg.op_config = {{"Conv", amct::qtype::float16}};
        cfg.node_config = {{"conv2", amct::qtype::int16}};
        notes.clear();
        q = amct::resolve_qtypes(cfg, model_layers, &notes);
        CHECK_EQ(q.at("conv1"), amct::qtype::float16);
        CHECK_EQ(q.at("conv2"), amct::qtype::int16);
        CHECK_EQ(q.at("pool"), amct::qtype::int8);  // pooling takes 8-bit activations only
        CHECK_EQ(q.at("head/fc"), amct::qtype::int16);
        CHECK_EQ(q.at("relu"), amct::qtype::int8);  // not quantizable: int16 does not apply
        CHECK_EQ(notes[4].rule, "model_config.all_node_type (int16; amct does not quantize layer type Relu)");
        REQUIRE_EQ(notes.size(), 5u);
        CHECK_EQ(notes[0].rule, "op_config \"Conv\"");
        CHECK_EQ(notes[1].rule, "node_config \"conv2\"");
        CHECK_EQ(notes[2].rule,
                 "model_config.all_node_type (int16; layer type AveragePool takes 8-bit activations only)");
        CHECK_EQ(notes[3].rule, "model_config.all_node_type");
        cfg.all_node_type = amct::qtype::float32;
        CHECK_EQ(amct::resolve_qtypes(cfg, model_layers).at("pool"), amct::qtype::float32);
    }

    TEST_CASE("unknown nodes and op types, int16 where the type cannot take it")
    {
        const std::string text = R"({
    "op_config": {"AveragePool": {"qtype": "int16"}, "Softmax": {"qtype": "float16"}},
    "node_config": {"ghost": {"qtype": "int8"}, "relu": {"qtype": "int16"}, "conv1": {"qtype": "int16"}}
})";
        CHECK_EQ(precision_errors(text), "(no error)");  // well formed without the model
        auto layers = model_layers;
        layers.push_back({"pool2", "AveragePool"});  // one problem per op type, not per layer
        CHECK_EQ(
          precision_errors(text, &layers),
          "quant_config.json:2:44: op_config \"AveragePool\": qtype int16, but layer type AveragePool "
          "takes 8-bit activations only\n"
          "quant_config.json:2:54: op_config \"Softmax\": no layer of the model has this type\n"
          "quant_config.json:3:21: node_config \"ghost\" is not a layer of the model\n"
          "quant_config.json:3:67: node_config \"relu\": qtype int16, but amct does not quantize layer "
          "type Relu");
        const auto cfg = amct::read_precision_config(text);
        CHECK_EQ(
          amct_test::config_error_of(
            [&]
            {
                amct::resolve_qtypes(cfg, layers);
            }),
          "#/node_config/ghost: node_config \"ghost\" is not a layer of the model\n"
          "#/node_config/relu/qtype: node_config \"relu\": qtype int16, but amct does not quantize layer "
          "type Relu\n"
          "#/op_config/AveragePool/qtype: op_config \"AveragePool\": qtype int16, but layer type "
          "AveragePool takes 8-bit activations only\n"
          "#/op_config/Softmax: op_config \"Softmax\": no layer of the model has this type");
    }

    TEST_CASE("apply_qtypes: int16 is 16-bit activations for the calibration, float layers are disabled")
    {
        const std::vector<amct::layer_info> layers = {
          {"conv1", "Conv"}, {"conv2", "Conv"}, {"pool", "AveragePool"}, {"head/fc", "Gemm"}};
        amct::quant_config qc = amct::create_quant_config(layers);
        qc.layers[1].second.quant_enable = false;  // disabled by the user: stays disabled
        amct::precision_config pc;
        pc.all_node_type = amct::qtype::int16;
        pc.node_config = {{"head/fc", amct::qtype::float16}};
        const auto q = amct::resolve_qtypes(pc, layers);
        amct::apply_qtypes(qc, q);
        REQUIRE_EQ(qc.layers.size(), 4u);
        CHECK_EQ(qc.layers[0].second.activation_quant_params.num_bits(), 16);
        CHECK(qc.layers[0].second.quant_enable);
        CHECK_EQ(qc.layers[0].second.weight_quant_params.num_bits(), 8);
        CHECK_FALSE(qc.layers[1].second.quant_enable);
        CHECK_EQ(qc.layers[2].second.activation_quant_params.num_bits(), 8);  // pool: int8
        CHECK_FALSE(qc.layers[3].second.quant_enable);
        amct::check_config(qc, layers);  // AMCT's rules accept the result
        // the activation observer of an int16 layer is the same algorithm at 16 bits
        const auto params = amct::resolved_params(qc.layers[0].second.activation_quant_params, true);
        CHECK_EQ(std::get<amct::ifmr_params>(params).num_bits, 16);
    }

    TEST_CASE("with_qtypes writes the fewest entries that resolve back to the same qtypes")
    {
        const amct::qtype_map want = {{"conv1", amct::qtype::int16},
                                      {"conv2", amct::qtype::int16},
                                      {"pool", amct::qtype::int8},
                                      {"head/fc", amct::qtype::float32},
                                      {"relu", amct::qtype::int16}};
        amct::precision_config base;
        base.modelwise_search = amct::modelwise_search_config{};
        base.op_config = {{"Conv", amct::qtype::float16}};
        const auto tuned = amct::with_qtypes(base, want);
        CHECK_EQ(tuned.all_node_type, amct::qtype::int16);
        CHECK(tuned.modelwise_search);
        CHECK(tuned.op_config.empty());
        CHECK_EQ(tuned.node_config,
                 std::vector<std::pair<std::string, amct::qtype>>{{"head/fc", amct::qtype::float32},
                                                                  {"pool", amct::qtype::int8}});
        const std::vector<amct::layer_info> layers = {{"conv1", "Conv"},
                                                      {"conv2", "Conv"},
                                                      {"pool", "AveragePool"},
                                                      {"head/fc", "Gemm"},
                                                      {"relu", "Gemm"}};
        CHECK_EQ(
          amct::resolve_qtypes(amct::read_precision_config(amct::write_precision_config(tuned)), layers),
          want);
        const auto all_int8 = amct::with_qtypes({}, {{"a", amct::qtype::int8}});
        CHECK_FALSE(all_int8.all_node_type);
        CHECK(all_int8.node_config.empty());
    }
}
