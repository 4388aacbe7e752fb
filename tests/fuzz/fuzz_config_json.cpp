// libFuzzer target: read_config_json on arbitrary bytes. A config_error is the expected answer to bad input;
// anything else (another exception, a crash, a sanitizer report) is a bug. Whatever reads must survive
// write_config_json and read back equal, and its check against a fixed model must not fail in any other way.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    static const std::vector<amct::layer_info> model = {
      {"conv1", "Conv2d"}, {"c3d", "Conv3d"}, {"fc", "Gemm"}, {"pool", "AveragePool"}, {"relu", "Relu"}};
    try
    {
        const amct::quant_config cfg = amct::read_config_json(text, "fuzz.json");
        if (!(amct::read_config_json(amct::write_config_json(cfg), "rewritten.json") == cfg))
        {
            std::abort();  // write-then-read must give the same configuration
        }
        amct::read_config_json(text, "fuzz.json", model);
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
