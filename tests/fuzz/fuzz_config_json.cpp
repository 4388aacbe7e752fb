// libFuzzer target: read_config_json on arbitrary bytes. A config_error with a diagnostic is the expected
// answer to bad input; anything else (another exception, a crash, a sanitizer report) is a bug. Whatever
// reads must survive write_config_json and read back equal (a config_error there is a bug: amct refuses its
// own file), and its check against a fixed model refuses only with a config_error.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    static const std::vector<amct::layer_info> model = {
      {"conv1", "Conv2d"}, {"c3d", "Conv3d"}, {"fc", "Gemm"}, {"pool", "AveragePool"}, {"relu", "Relu"}};
    std::optional<amct::quant_config> cfg;
    amct_fuzz::accepted_then(
      "write_config_json then read_config_json gives the configuration back:",
      [&]
      {
          cfg = amct::read_config_json(text, "fuzz.json");
          return true;
      },
      [&]
      {
          if (!(amct::read_config_json(amct::write_config_json(*cfg), "rewritten.json") == *cfg))
          {
              amct_fuzz::fail("write_config_json then read_config_json gives the configuration back");
          }
      });
    if (cfg)
    {
        amct_fuzz::accepted_then(
          "",
          [&]
          {
              amct::read_config_json(text, "fuzz.json", model);
              return false;
          },
          [] {});
    }
    return 0;
}
