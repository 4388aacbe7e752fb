// libFuzzer target: read_quant_cfg and resolve_quant_cfg on arbitrary bytes. A config_error with a diagnostic
// is the expected answer to bad input, from the reader or from resolution against a fixed model; anything
// else (another exception, a crash, a sanitizer report) is a bug. A resolved configuration is what
// `amct-config convert` writes: it must survive write_config_json, read back equal and pass check_config. A
// config_error there is a bug (amct wrote a config.json that amct refuses), not a refusal of the input.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/resolve.hpp>
#include <amct/dsl/quant_cfg.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    static const std::vector<amct::layer_info> model = {{"conv1", "Conv2d"},
                                                        {"c3d", "Conv3d"},
                                                        {"fc", "Linear"},
                                                        {"dw", "DepthwiseConv2dNative"},
                                                        {"pool", "AvgPool2d"},
                                                        {"relu", "ReLU"}};
    std::optional<amct::quant_config> q;
    amct_fuzz::accepted_then(
      "the converted config.json reads back equal and passes check_config:",
      [&]
      {
          const amct::dsl::amct_cfg cfg = amct::dsl::read_quant_cfg(text, "fuzz.cfg");
          amct::resolution why;
          q = amct::resolve_quant_cfg(cfg, model, &why);
          return true;
      },
      [&]
      {
          const amct::quant_config back =
            amct::read_config_json(amct::write_config_json(*q), "converted.json");
          if (!(back == *q))
          {
              amct_fuzz::fail("convert writes what it resolved");
          }
          amct::check_config(*q, model);  // a resolved configuration obeys the model's rules
      });
    return 0;
}
