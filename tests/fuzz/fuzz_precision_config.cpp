// libFuzzer target: read_precision_config (HMCT's quant_config, with comments) on arbitrary bytes. A
// config_error is the expected answer to bad input; anything else (another exception, a crash, a sanitizer
// report) is a bug. Whatever reads must survive write_precision_config and read back equal, and resolving it
// against a fixed model must either succeed or fail with a config_error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <amct/analysis/precision_config.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    static const std::vector<amct::layer_info> model = {
      {"conv1", "Conv"}, {"c3d", "Conv3d"}, {"fc", "Gemm"}, {"pool", "AveragePool"}, {"relu", "Relu"}};
    try
    {
        const amct::precision_config cfg = amct::read_precision_config(text, "fuzz.json");
        if (!(amct::read_precision_config(amct::write_precision_config(cfg), "rewritten.json") == cfg))
        {
            std::abort();  // write-then-read must give the same configuration
        }
        const auto q = amct::resolve_qtypes(cfg, model);
        if (q.size() != model.size())
        {
            std::abort();  // every layer gets a qtype
        }
        amct::read_precision_config(text, "fuzz.json", model);
    }
    catch (const amct::config_error& e)
    {
        if (e.diagnostics().empty())
        {
            std::abort();  // an error must say what is wrong
        }
    }
    return 0;
}
