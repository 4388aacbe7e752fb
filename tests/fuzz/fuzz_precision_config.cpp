// libFuzzer target: read_precision_config (HMCT's quant_config, with comments) on arbitrary bytes. A
// config_error with a diagnostic is the expected answer to bad input; anything else (another exception, a
// crash, a sanitizer report) is a bug. Whatever reads must survive write_precision_config and read back equal
// (a config_error there is a bug), every layer of a fixed model gets a qtype, and the check against that
// model refuses only with a config_error.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <amct/analysis/precision_config.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    static const std::vector<amct::layer_info> model = {
      {"conv1", "Conv"}, {"c3d", "Conv3d"}, {"fc", "Gemm"}, {"pool", "AveragePool"}, {"relu", "Relu"}};
    std::optional<amct::precision_config> cfg;
    amct_fuzz::accepted_then(
      "write_precision_config then read_precision_config gives the configuration back:",
      [&]
      {
          cfg = amct::read_precision_config(text, "fuzz.json");
          return true;
      },
      [&]
      {
          if (!(amct::read_precision_config(amct::write_precision_config(*cfg), "rewritten.json") == *cfg))
          {
              amct_fuzz::fail(
                "write_precision_config then read_precision_config gives the configuration back");
          }
      });
    if (!cfg)
    {
        return 0;
    }
    std::optional<std::size_t> resolved;
    amct_fuzz::accepted_then(
      "",
      [&]
      {
          resolved = amct::resolve_qtypes(*cfg, model).size();
          return false;
      },
      [] {});
    if (resolved && *resolved != model.size())
    {
        amct_fuzz::fail("every layer gets a qtype");
    }
    amct_fuzz::accepted_then(
      "",
      [&]
      {
          amct::read_precision_config(text, "fuzz.json", model);
          return false;
      },
      [] {});
    return 0;
}
