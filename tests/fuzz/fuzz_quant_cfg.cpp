// libFuzzer target: read_quant_cfg and resolve_quant_cfg on arbitrary bytes. A config_error is the expected
// answer to bad input; anything else (another exception, a crash, a sanitizer report) is a bug. A resolved
// configuration must be a valid config.json for the model: it survives write_config_json, reads back equal
// and passes check_config.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/resolve.hpp>
#include <amct/dsl/quant_cfg.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    static const std::vector<amct::layer_info> model = {{"conv1", "Conv2d"},
                                                        {"c3d", "Conv3d"},
                                                        {"fc", "Linear"},
                                                        {"dw", "DepthwiseConv2dNative"},
                                                        {"pool", "AvgPool2d"},
                                                        {"relu", "ReLU"}};
    try
    {
        const amct::dsl::amct_cfg cfg = amct::dsl::read_quant_cfg(text, "fuzz.cfg");
        amct::resolution why;
        const amct::quant_config q = amct::resolve_quant_cfg(cfg, model, &why);
        const amct::quant_config back = amct::read_config_json(amct::write_config_json(q), "converted.json");
        if (!(back == q))
        {
            std::abort();  // convert must write what it resolved
        }
        amct::check_config(q, model);  // a resolved configuration obeys the model's rules
    }
    catch (const amct::config_error& e)
    {
        if (e.diagnostics().empty())
        {
            std::abort();
        }
    }
    return 0;
}
