// amct/dsl/quant_cfg.hpp: AMCT's simplified configuration (quant.cfg, protobuf text of AMCTConfig,
// docs/configuration.md#quantcfg; amct's stricter reading: docs/configuration.md#what-amct-reads-differently)
// as typed structs, read with the schema rules of protobuf's TextFormat: unknown fields, wrong types, a
// second value for a non-repeated field (naming where the first was given), two members of one oneof and
// missing required fields are errors, all of them reported at once as file:line:column diagnostics. (AMCT's
// own Python reader lets a later duplicate win; amct rejects it.)
// The algorithm messages (ifmr_quantize, hfmg_quantize, arq_quantize) are the algorithms' declarations
// (amct/algo/param.hpp: each field's cfg spelling), checked by the same validator as config.json.
#pragma once

#include <array>        // std::array
#include <climits>      // INT_MAX
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::decay_t
#include <variant>      // std::visit
#include <vector>       // std::vector

#include <amct/algo/configured_algorithm.hpp>
#include <amct/algo/param.hpp>
#include <amct/algo/registry.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
// ---- the rules of the global settings, one declaration for config.json and quant.cfg ----
// (declared here, the lower of the two readers' folders; docs/configuration.md#global-keys)

/// batch_num: AMCT requires at least 1; amct counts batches in an int.
inline constexpr param::int_range batch_num_rule{1, INT_MAX, "in [1, 2147483647]"};

/// Settings of AMCT's files that amct does not implement: each is an error at its position, never ignored
/// (docs/configuration.md#what-amct-reads-differently).
inline constexpr const char* dmq_balancer_unimplemented = "dmq_balancer is not implemented by amct";
inline constexpr const char* force_fp16_unimplemented =
  "fakequant_precision_mode FORCE_FP16_QUANT is not implemented by amct (it does not round deq_scale to "
  "the device's s19 format)";

namespace dsl
{
/// An algorithm message of a CalibrationConfig (ifmr_quantize { ... }): its parameters over the algorithm's
/// defaults, which fields the file sets, and where.
template <class Params>
struct algorithm_cfg : configured_algorithm<Params>
{
    std::size_t offset = 0;                       ///< where the message's name is in amct_cfg::source
    std::array<std::size_t, 32> field_offsets{};  ///< where each set field's value is (bit i of `given`)

    /// Where field `key` is given, else where the message is.
    std::size_t offset_of(std::string_view key) const
    {
        std::size_t at = offset;
        std::visit(
          [&](const auto& p)
          {
              for_each_field<std::decay_t<decltype(p)>>(
                [&](const auto& fld, std::size_t i)
                {
                    if (fld.key == key && (this->given & (field_set{1} << i)) != 0)
                    {
                        at = field_offsets[i];
                    }
                });
          },
          this->params);
        return at;
    }
};

struct dmq_balancer_cfg
{
    std::optional<double> migration_strength;
};

/// CalibrationConfig: oneof wts_quant_algo (the weight algorithms' messages), oneof acts_quant_algo (the
/// activation algorithms' messages: ifmr_quantize, hfmg_quantize), oneof tensor_balancer {dmq_balancer}.
struct calibration_config_cfg
{
    std::optional<algorithm_cfg<weight_params>> weights;
    std::optional<algorithm_cfg<activation_params>> activations;
    std::optional<dmq_balancer_cfg> dmq_balancer;
    std::size_t offset = 0;
};

struct override_layer_type_cfg
{
    std::string layer_type;
    calibration_config_cfg calibration_config;
    std::size_t offset = 0;  ///< where the override starts in the file
};

struct override_layer_cfg
{
    std::string layer_name;
    calibration_config_cfg calibration_config;
    std::size_t offset = 0;
};

/// AMCTConfig.
struct amct_cfg
{
    std::optional<std::uint32_t> batch_num;  ///< in batch_num_rule
    std::optional<bool> activation_offset;
    std::vector<std::string> skip_layers;
    std::vector<std::string> skip_layer_types;
    std::optional<std::string> fakequant_precision_mode;
    std::optional<calibration_config_cfg> common_config;
    std::vector<override_layer_type_cfg> override_layer_types;
    std::vector<override_layer_cfg> override_layer_configs;
    std::optional<bool> do_fusion;
    std::vector<std::string> skip_fusion_layers;

    /// The file and text read (empty for a configuration built in code) and where each list entry was given,
    /// so that checks against a model can point into the file.
    std::string file = "quant.cfg";
    std::string source;
    std::vector<std::size_t> skip_layers_offsets, skip_layer_types_offsets, skip_fusion_layers_offsets;
};

/// @brief Reads quant.cfg text. @throws config_error: a syntax error (with the source line and a caret), or
/// every schema error of the file.
AMCT_DECL amct_cfg read_quant_cfg(std::string text, const std::string& file = "quant.cfg");

/// @brief Reads a quant.cfg file. @throws config_error (also when the file cannot be read).
AMCT_DECL amct_cfg load_quant_cfg(const std::string& path);
}  // namespace dsl
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/dsl/impl/quant_cfg.ipp>
#endif
