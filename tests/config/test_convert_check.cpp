// amct/config/resolve.hpp and check_config.hpp together: what `amct-config convert` writes, `amct-config
// check --layers` accepts (docs/configuration.md#what-amct-reads-differently). The corpus: every quant.cfg of
// the tests, and each with every number and enum value replaced by values at and beyond the rules' edges.
#include <cmath>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/resolve.hpp>
#include <amct/detail/text_file.hpp>
#include <amct/dsl/quant_cfg.hpp>

#include "test_support.hpp"

namespace
{
/// The layers the corpus files name (tests/data/cli/layers.txt and the fuzz target's model).
const std::vector<amct::layer_info>& corpus_model()
{
    static const std::vector<amct::layer_info> model = {
      {"MobilenetV2/Conv/Conv2D", "Conv2D"},
      {"MobilenetV2/Conv/Relu6", "Relu6"},
      {"MobilenetV2/expanded_conv/depthwise/depthwise", "DepthwiseConv2dNative"},
      {"MobilenetV2/expanded_conv/project/Conv2D", "Conv2D"},
      {"MobilenetV2/Conv_1/Conv2D", "Conv2D"},
      {"MobilenetV2/Logits/AvgPool", "AvgPool"},
      {"MobilenetV2/Logits/MatMul", "MatMul"},
      {"conv1", "Conv2d"},
      {"c3d", "Conv3d"},
      {"fc", "Linear"},
      {"dw", "DepthwiseConv2dNative"},
      {"pool", "AvgPool2d"},
      {"relu", "ReLU"},
      {"Opname", "Conv2d"}};
    return model;
}

std::vector<std::string> corpus_files()
{
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    for (const char* dir : {"/cli", "/../fuzz/corpus/quant_cfg"})
    {
        for (const auto& e : fs::directory_iterator(std::string(AMCT_TEST_DATA_DIR) + dir))
        {
            // the fuzzers' long and deep seeds (gen_*, hundreds of KiB) are theirs: 33 mutations per value
            // would take minutes, and libstdc++'s std::regex recurses per character of a line
            if (e.path().extension() == ".cfg" && fs::file_size(e.path()) <= 16 * 1024)
            {
                out.push_back(e.path().string());
            }
        }
    }
    return out;
}

/// `text` with each value after a ':' replaced, one at a time, by each of `values`.
std::vector<std::string> mutations(const std::string& text)
{
    static const std::vector<std::string> values = {"0",          "1",          "-1",
                                                    "2",          "5",          "0.1",
                                                    "0.5",        "0.6",        "1e-300",
                                                    "1e300",      "nan",        "inf",
                                                    "-inf",       "0x10",       "16",
                                                    "1024",       "2047",       "8192",
                                                    "4294967295", "2147483648", "2147483647",
                                                    "100000",     "INT4",       "INT8",
                                                    "INT16",      "INT6",       "INT7",
                                                    "true",       "false",      "EXACT",
                                                    "BOUNDED",    "DEFAULT",    "FORCE_FP16_QUANT"};
    static const std::regex value(R"(:\s*(-?[0-9A-Za-z_.+]+))");
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), value); it != std::sregex_iterator(); ++it)
    {
        const auto at = static_cast<std::size_t>(it->position(1));
        const auto len = static_cast<std::size_t>(it->length(1));
        for (const auto& v : values)
        {
            out.push_back(text.substr(0, at) + v + text.substr(at + len));
        }
    }
    return out;
}
}  // namespace

TEST_SUITE("quant.cfg converted, then checked")
{
    TEST_CASE("convert never writes a config.json that check --layers or the session's check refuses")
    {
        std::size_t converted = 0, refused_by_reader = 0, refused_by_resolve = 0;
        const auto& model = corpus_model();
        for (const auto& file : corpus_files())
        {
            const std::string text = amct::detail::read_text_file(file);
            // and the file without the settings amct refuses whole (FORCE_FP16_QUANT, dmq_balancer), so that
            // its other values are mutated on a file that converts
            static const std::regex unimplemented(R"([^\n]*(FORCE_FP16_QUANT|dmq_balancer)[^\n]*\n?)");
            const std::string trimmed = std::regex_replace(text, unimplemented, "");
            std::vector<std::string> cases = mutations(text);
            if (trimmed != text)
            {
                const auto more = mutations(trimmed);
                cases.insert(cases.end(), more.begin(), more.end());
                cases.push_back(trimmed);
            }
            cases.push_back(text);
            for (const auto& cfg_text : cases)
            {
                amct::dsl::amct_cfg cfg;
                try
                {
                    cfg = amct::dsl::read_quant_cfg(cfg_text, "quant.cfg");
                }
                catch (const amct::config_error&)
                {
                    ++refused_by_reader;
                    continue;
                }
                amct::quant_config q;
                try
                {
                    q = amct::resolve_quant_cfg(cfg, model);
                }
                catch (const amct::config_error&)
                {
                    ++refused_by_resolve;
                    continue;
                }
                ++converted;
                const std::string json = amct::write_config_json(q);
                INFO(file, "\n", cfg_text, "\n", json);
                amct::quant_config back;
                CHECK_NOTHROW(back = amct::read_config_json(json, "converted.json", model));
                CHECK(back == q);
                CHECK_NOTHROW(amct::check_config(q, model));
            }
        }
        // the property is not vacuous: the corpus converts, the rules refuse values of it, and what convert
        // wrote before the quant.cfg rules (batch_num 4294967295 wrapped to -1, a bare nan) is refused by
        // check
        CHECK(converted > 100);
        amct::quant_config wrapped;
        wrapped.batch_num = -1;
        CHECK_THROWS_AS(amct::read_config_json(amct::write_config_json(wrapped), "converted.json", model),
                        amct::config_error);
        amct::quant_config not_a_number;
        not_a_number.layers.emplace_back("conv1", amct::layer_quant_config{});
        not_a_number.layers[0].second.activation_quant_params.set(&amct::ifmr_params::search_step,
                                                                  std::nan(""));
        CHECK_THROWS_AS(
          amct::read_config_json(amct::write_config_json(not_a_number), "converted.json", model),
          amct::config_error);
        CHECK(refused_by_reader > 100);
        CHECK(refused_by_resolve > 0);
    }
}
