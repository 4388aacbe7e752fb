// amct/config/check_config.hpp: a config.json checked against the model it configures
// (docs/configuration.md#layer-type-rules): every configured layer is a quantizable layer of the model;
// channel_wise only where the type has channels; INT6/INT7 weights only for Conv2d; INT16 activations not for
// Conv3d or pooling; Conv3d activations symmetric; skip_fusion_layers name convolutions of the model.
#pragma once

#include <string>  // std::string
#include <vector>  // std::vector

#include <amct/base/macros.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief Checks `cfg` against the model's `layers`, with every rule config.json's reader applies (for a
/// configuration built in code): what check_config accepts, calibration_session accepts (it calls this).
/// @throws config_error naming every problem by its JSON path.
AMCT_DECL void check_config(const quant_config& cfg, const std::vector<layer_info>& layers);

/// @brief Reads config.json text for the model's `layers`. @throws config_error listing every problem of the
/// file and every disagreement with the model as file:line:column diagnostics.
AMCT_DECL quant_config read_config_json(const std::string& text,
                                        const std::string& file,
                                        const std::vector<layer_info>& layers);

/// @brief Reads a config.json file for the model's `layers`. @throws config_error as read_config_json does.
AMCT_DECL quant_config load_config_json(const std::string& path, const std::vector<layer_info>& layers);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/config/impl/check_config.ipp>
#endif
