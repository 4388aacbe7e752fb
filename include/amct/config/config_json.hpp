// amct/config/config_json.hpp: AMCT's config.json read and written with Boost.JSON.
//   read_config_json(text, file): every problem of the file at once, as file:line:column diagnostics;
//   value_to<quant_config>(jv) / value_from(cfg): the same rules through Boost.JSON's tag_invoke
//   customization (diagnostics then name the JSON path without a position); write_config_json(cfg): the file
//   AMCT's create_quant_config writes (4-space indent, AMCT's key order).
// The keys, rules and defaults of the algorithm sections are the algorithms' declarations
// (amct/algo/param.hpp); the global keys follow docs/configuration.md.
#pragma once

#include <string>  // std::string

#include <boost/json.hpp>

#include <amct/base/macros.hpp>
#include <amct/config/quant_config.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief Reads config.json text. @throws config_error listing every problem as file:line:column diagnostics.
AMCT_DECL quant_config read_config_json(const std::string& text, const std::string& file = "config.json");

/// @brief Reads a config.json file. @throws config_error (also when the file cannot be read).
AMCT_DECL quant_config load_config_json(const std::string& path);

/// Boost.JSON conversion (value_from): the members AMCT writes, in its order.
AMCT_DECL void tag_invoke(const boost::json::value_from_tag&, boost::json::value& jv, const quant_config& c);

/// Boost.JSON conversion (value_to): the rules of read_config_json; @throws config_error naming JSON paths.
AMCT_DECL quant_config tag_invoke(const boost::json::value_to_tag<quant_config>&,
                                  const boost::json::value& jv);

/// @brief The config.json text of `c`, laid out as AMCT writes it.
AMCT_DECL std::string write_config_json(const quant_config& c);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/config/impl/config_json.ipp>
#endif
