// Helpers shared by the quant.cfg and configuration tests (tests/dsl, tests/config).
#pragma once

#include <string>

#include <amct/dsl/quant_cfg.hpp>

#include "test_support.hpp"

namespace amct_test
{
inline std::string cfg_errors(const std::string& text)
{
    return amct_test::config_error_of(
      [&]
      {
          amct::dsl::read_quant_cfg(text, "quant.cfg");
      });
}
}  // namespace amct_test
