// amct/pipeline/session.hpp and amct/config/check_config.hpp: what `amct-config check --layers` accepts, the
// session accepts, and what the session refuses, check refuses at the setting's position
// (docs/configuration.md#what-amct-reads-differently); the session's record reads back with amct's record
// readers for every bit width the configuration takes (docs/model.md#read-time-validation).
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/config/check_config.hpp>
#include <amct/config/record_json.hpp>
#include <amct/dsl/record_txt.hpp>
#include <amct/pipeline/session.hpp>

#include "pipeline_support.hpp"
#include "test_support.hpp"
#include "tiny_runtime.hpp"

namespace
{
amct::quant_config default_config(const amct::model_adapter& model)
{
    return amct::create_quant_config(amct::quantizable_layers(model), {});
}

/// "config.json:3:5: message" -> "message"; "#/conv1/x: message" -> "message" (one diagnostic).
std::string message_of(const std::string& diagnostic)
{
    const auto at = diagnostic.find(": ");
    return at == std::string::npos ? diagnostic : diagnostic.substr(at + 2);
}

/// One setting the session refuses: as config.json text (conv1 configured) and as a change in code.
struct refusal
{
    const char* name;
    std::string json;  ///< config.json text
    std::function<void(amct::quant_config&)> change;
    std::string message;  ///< the diagnostic, the same from every reader and from check_config
};

std::string conv1(const std::string& sections)
{
    return "{\n    \"version\": 1,\n    \"batch_num\": 1,\n    \"conv1\": {\n        " + sections
           + "\n    }\n}\n";
}

amct::layer_quant_config& layer0(amct::quant_config& c)
{
    return c.layers.front().second;
}

std::vector<refusal> refusals()
{
    const std::string who = "layer \"conv1\": ";
    return {
      {"kl's num_quantized_bins 1",
       conv1(R"("activation_quant_params": {"act_algo": "kl", "num_quantized_bins": 1})"),
       [](amct::quant_config& c)
       {
           auto& a = layer0(c).activation_quant_params;
           a.select("kl");
           a.set(&amct::kl_params::num_quantized_bins, 1);
       },
       who + "activation_quant_params.num_quantized_bins = 1 must be in [2, 2048]"},
      {"kl asymmetric",
       conv1(R"("activation_quant_params": {"act_algo": "kl", "asymmetric": true})"),
       [](amct::quant_config& c)
       {
           auto& a = layer0(c).activation_quant_params;
           a.select("kl");
           a.set_asymmetric(true);
       },
       who + "activation_quant_params.asymmetric = true must be false (kl is symmetric only)"},
      {"kl's bins out of range",
       conv1(R"("activation_quant_params": {"act_algo": "kl", "num_of_bins": 8, "num_quantized_bins": 4})"),
       [](amct::quant_config& c)
       {
           auto& a = layer0(c).activation_quant_params;
           a.select("kl");
           a.set(&amct::kl_params::num_of_bins, 8);
           a.set(&amct::kl_params::num_quantized_bins, 4);
       },
       who + "activation_quant_params.num_of_bins = 8 must be in [16, 2^20]"},
      {"mse's candidates out of range",
       conv1(R"("activation_quant_params": {"act_algo": "mse", "num_candidates": 0})"),
       [](amct::quant_config& c)
       {
           auto& a = layer0(c).activation_quant_params;
           a.select("mse");
           a.set(&amct::mse_params::num_candidates, 0);
       },
       who + "activation_quant_params.num_candidates = 0 must be in [1, 100000]"},
      {"hfmg at 4 bits",
       conv1(R"("activation_quant_params": {"act_algo": "hfmg", "num_bits": 4})"),
       [](amct::quant_config& c)
       {
           auto& a = layer0(c).activation_quant_params;
           a.select("hfmg");
           a.set_num_bits(4);
       },
       who + "activation_quant_params.num_bits = 4 must be 8 or 16 (the record's act_type is INT8 or INT16)"},
      {"INT4 activations",
       conv1(R"("activation_quant_params": {"num_bits": 4})"),
       [](amct::quant_config& c)
       {
           layer0(c).activation_quant_params.set_num_bits(4);
       },
       who + "activation_quant_params.num_bits = 4 must be 8 or 16 (the record's act_type is INT8 or INT16)"},
      {"IFMR's search_step beyond the range",
       conv1(R"("activation_quant_params": {"search_step": 5})"),
       [](amct::quant_config& c)
       {
           layer0(c).activation_quant_params.set(&amct::ifmr_params::search_step, 5.0);
       },
       who + "activation_quant_params.search_step = 5 must be in (0, 0.6]"},
      {"dmq_balancer",
       conv1(R"("dmq_balancer_param": 0.5)"),
       [](amct::quant_config& c)
       {
           layer0(c).dmq_balancer_param = 0.5;
       },
       who + "dmq_balancer_param: dmq_balancer is not implemented by amct"},
      {"FORCE_FP16_QUANT",
       "{\n    \"fakequant_precision_mode\": \"FORCE_FP16_QUANT\"\n}\n",
       [](amct::quant_config& c)
       {
           c.fakequant_precision_mode = amct::fakequant_precision::force_fp16_quant;
       },
       "fakequant_precision_mode FORCE_FP16_QUANT is not implemented by amct (it does not round deq_scale to "
       "the device's s19 format)"},
      {"batch_num 0",
       "{\n    \"batch_num\": 0\n}\n",
       [](amct::quant_config& c)
       {
           c.batch_num = 0;
       },
       "batch_num = 0 must be in [1, 2147483647]"},
    };
}
}  // namespace

TEST_SUITE("the session's configuration")
{
    TEST_CASE("each setting the session refuses, check refuses at its position, with one message")
    {
        const amct_test::golden_file g = amct_test::read_tensors("flow.txt");
        tiny::graph m = amct_test::flow_graph(g);
        tiny::tiny_adapter a(m);
        const auto layers = amct::quantizable_layers(a);
        for (const auto& r : refusals())
        {
            INFO(r.name);
            // config.json, with and without the model: at a line and column
            for (const bool with_model : {false, true})
            {
                const std::string e = amct_test::config_error_of(
                  [&]
                  {
                      if (with_model)
                      {
                          amct::read_config_json(r.json, "config.json", layers);
                      }
                      else
                      {
                          amct::read_config_json(r.json, "config.json");
                      }
                  });
                CHECK(e.rfind("config.json:", 0) == 0);
                CHECK(e.find('\n') == std::string::npos);
                CHECK(e.substr(0, e.find(": ")).find(":0") == std::string::npos);  // a line and column
                CHECK_EQ(message_of(e), r.message);
            }
            // the same configuration built in code: check_config and the session refuse it alike
            amct::quant_config cfg = default_config(a);
            r.change(cfg);
            const std::string checked = amct_test::config_error_of(
              [&]
              {
                  amct::check_config(cfg, layers);
              });
            CHECK(checked.rfind("#/", 0) == 0);
            CHECK_EQ(message_of(checked), r.message);
            tiny::graph fresh = amct_test::flow_graph(g);
            tiny::tiny_adapter b(fresh);
            CHECK_EQ(amct_test::config_error_of(
                       [&]
                       {
                           amct::calibration_session s(b, cfg);
                       }),
                     checked);
            CHECK(fresh.nodes[0].params.at("weight") == g.at("conv1.weight").f32());  // nothing changed
        }
    }

    TEST_CASE("the session's record reads back for every bit width check accepts")
    {
        const amct_test::golden_file g = amct_test::read_tensors("flow.txt");
        std::mt19937 rng(7);
        std::normal_distribution<float> d(0.0f, 1.0f);
        tiny::tensor batch = tiny::tensor::from_shape({2, 3, 6, 6});
        for (auto& v : batch)
        {
            v = d(rng);
        }
        std::size_t runs = 0;
        for (const int act_bits : {4, 8, 16})
        {
            for (const int wts_bits : {4, 6, 7, 8})
            {
                tiny::graph m = amct_test::flow_graph(g);
                tiny::tiny_adapter a(m);
                const auto layers = amct::quantizable_layers(a);
                amct::quant_config cfg = default_config(a);
                const auto type_of = amct::types_by_name(layers);
                for (auto& [name, l] : cfg.layers)
                {
                    // each width on the layer types that take it (docs/configuration.md#layer-type-rules)
                    const std::string& type = type_of.at(name);
                    if (act_bits != 16 || amct::int16_activation_type(type))
                    {
                        l.activation_quant_params.set_num_bits(act_bits);
                    }
                    if ((wts_bits != 6 && wts_bits != 7) || amct::narrow_weight_type(type))
                    {
                        l.weight_quant_params.set_num_bits(wts_bits);
                    }
                }
                bool accepted = true;
                try
                {
                    amct::check_config(cfg, layers);
                }
                catch (const amct::config_error&)
                {
                    accepted = false;
                }
                INFO("activations ", act_bits, ", weights ", wts_bits);
                if (!accepted)
                {
                    CHECK_THROWS_AS(amct::calibration_session(a, cfg), amct::config_error);
                    continue;
                }
                amct::calibration_session s(a, cfg);
                m.run(batch,
                      [&](const tiny::node& n, tiny::tensor& in)
                      {
                          if (s.wants(n.name))
                          {
                              s.observe(n.name, 0, in);
                          }
                      });
                const amct::quantized_model out = s.finalize();
                const amct::layer_record* conv1 = out.record.find("conv1");  // a Conv2d: takes every width
                REQUIRE(conv1 != nullptr);
                CHECK_EQ(conv1->activation_type(), "INT" + std::to_string(act_bits));
                CHECK_EQ(conv1->wts_type.value_or("INT8"), "INT" + std::to_string(wts_bits));
                CHECK(amct::dsl::read_record_txt(amct::dsl::write_record_txt(out.record)) == out.record);
                CHECK(amct::read_record_json(amct::write_record_json(out.record)) == out.record);
                ++runs;
            }
        }
        // activations 8 or 16 with weights 4, 6, 7 or 8; INT4 activations are refused (no act_type INT4)
        CHECK_EQ(runs, 8u);
    }
}
