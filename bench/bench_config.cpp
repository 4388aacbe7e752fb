// Reading and validating large configuration files (target: under 50 ms each):
// clang-format off
//   - a quant.cfg with 10,000 override_layer_configs: Spirit X3 parse + schema checks, then resolution
//     against a 10,000-layer model (the precedence chain of every layer and the model's rules);
//   - a config.json with 10,000 layers: Boost.JSON parse + every range and key check + the model's rules.
// clang-format on
// The baseline is Boost.JSON's bare parse of the same config.json, so the ratio shows what validation costs.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/create_quant_config.hpp>
#include <amct/config/resolve.hpp>
#include <amct/dsl/quant_cfg.hpp>

namespace
{
constexpr int layer_count = 10000;

std::vector<amct::layer_info> model()
{
    std::vector<amct::layer_info> layers;
    for (int i = 0; i < layer_count; ++i)
    {
        const std::string n = std::to_string(i);
        layers.push_back(
          {"backbone/stage" + std::to_string(i / 100) + "/conv" + n, i % 10 == 9 ? "Linear" : "Conv2d"});
    }
    return layers;
}

std::string quant_cfg_text(const std::vector<amct::layer_info>& layers)
{
    std::string t =
      "# 10,000 override_layer_configs\nbatch_num: 8\nactivation_offset: true\n"
      "common_config { arq_quantize { channel_wise: true } ifmr_quantize { search_step: 0.02 } }\n";
    for (std::size_t i = 0; i < layers.size(); ++i)
    {
        t += "override_layer_configs {\n  layer_name: \"" + layers[i].name + "\"\n  calibration_config {\n";
        if (i % 2)
        {
            t += "    hfmg_quantize { num_of_bins: 2048 asymmetric: false }\n";
        }
        else
        {
            t += "    ifmr_quantize { search_range_start: 0.8 search_range_end: 1.2 search_step: 0.01 "
                 "max_percentile: 0.99999 min_percentile: 0.99999 asymmetric: true }\n";
        }
        t += layers[i].type == "Linear" ? "" : "    arq_quantize { channel_wise: true }\n";
        t += "  }\n}\n";
    }
    return t;
}

void quant_cfg_10k(benchmark::State& state)
{
    const auto layers = model();
    const std::string text = quant_cfg_text(layers);
    for (auto _ : state)
    {
        const auto cfg = amct::dsl::read_quant_cfg(text, "quant.cfg");
        auto q = amct::resolve_quant_cfg(cfg, layers);
        benchmark::DoNotOptimize(q);
    }
    state.counters["MB/s"] =
      benchmark::Counter(static_cast<double>(text.size()) * static_cast<double>(state.iterations()) / 1e6,
                         benchmark::Counter::kIsRate);
    state.counters["bytes"] = static_cast<double>(text.size());
}

/// The parts of quant_cfg_10k: the Spirit X3 text-format parse, the schema, the resolution.
void quant_cfg_10k_parts(benchmark::State& state)
{
    const auto layers = model();
    const std::string text = quant_cfg_text(layers);
    const auto cfg = amct::dsl::read_quant_cfg(text, "quant.cfg");
    for (auto _ : state)
    {
        if (state.range(0) == 0)
        {
            auto doc = amct::dsl::parse_text_format(text, "quant.cfg");
            benchmark::DoNotOptimize(doc);
        }
        else if (state.range(0) == 1)
        {
            auto c = amct::dsl::read_quant_cfg(text, "quant.cfg");
            benchmark::DoNotOptimize(c);
        }
        else
        {
            auto q = amct::resolve_quant_cfg(cfg, layers);
            benchmark::DoNotOptimize(q);
        }
    }
    state.SetLabel(state.range(0) == 0   ? "text format parse"
                   : state.range(0) == 1 ? "parse + schema"
                                         : "resolve");
}

std::string config_json_text(const std::vector<amct::layer_info>& layers)
{
    return amct::write_config_json(amct::create_quant_config(layers));
}

void config_json_10k(benchmark::State& state)
{
    const auto layers = model();
    const std::string text = config_json_text(layers);
    for (auto _ : state)
    {
        auto q = amct::read_config_json(text, "config.json", layers);
        benchmark::DoNotOptimize(q);
    }
    state.counters["MB/s"] =
      benchmark::Counter(static_cast<double>(text.size()) * static_cast<double>(state.iterations()) / 1e6,
                         benchmark::Counter::kIsRate);
    state.counters["bytes"] = static_cast<double>(text.size());
}

void config_json_10k_boost_parse_only(benchmark::State& state)
{
    const std::string text = config_json_text(model());
    for (auto _ : state)
    {
        auto v = boost::json::parse(text);
        benchmark::DoNotOptimize(v);
    }
    state.counters["MB/s"] =
      benchmark::Counter(static_cast<double>(text.size()) * static_cast<double>(state.iterations()) / 1e6,
                         benchmark::Counter::kIsRate);
}
}  // namespace

BENCHMARK(quant_cfg_10k)->Unit(benchmark::kMillisecond);
BENCHMARK(quant_cfg_10k_parts)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(config_json_10k)->Unit(benchmark::kMillisecond);
BENCHMARK(config_json_10k_boost_parse_only)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
