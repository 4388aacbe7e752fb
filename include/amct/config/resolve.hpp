// amct/config/resolve.hpp: each layer's effective configuration from a quant.cfg, with AMCT's precedence
// (docs/configuration.md#resolution-and-precedence): override_layer_configs > override_layer_types >
// common_config. The most specific CalibrationConfig that applies is taken whole (its unset fields at the
// proto defaults); only `asymmetric` falls back along the chain, ending in activation_offset. skip_layers and
// skip_layer_types disable layers. Per-type rules (docs/configuration.md#layer-type-rules): common_config
// applies to every layer as far as its type allows (channel_wise only where there are channels, INT6/INT7
// weights only for Conv2d, INT16 activations not for Conv3d or pooling, Conv3d symmetric only); an override
// by name or type that asks for what its layer's type cannot do is an error. The result is the equivalent
// config.json; the explanation says which rule decided each field.
#pragma once

#include <string>  // std::string
#include <vector>  // std::vector

#include <amct/base/diagnostic.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/dsl/quant_cfg.hpp>
#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Which rule decided one field of one layer.
struct resolution_note
{
    std::string layer;
    std::string field;  ///< e.g. "activation_quant_params.asymmetric"
    std::string rule;   ///< e.g. `override_layer_types "Conv2d"`, "common_config", "activation_offset"
};

/// The outcome of resolve_quant_cfg besides the configuration.
struct resolution
{
    std::vector<resolution_note> notes;  ///< the explain mode: every decided field
    std::vector<diagnostic> unmatched;   ///< warnings: overrides and skip entries that match no layer
};

/// @brief The config.json that `cfg` means for the model's `layers`.
/// @param out receives the explanation of every field and the entries that match no layer (warnings).
/// @throws config_error listing, with their positions in the quant.cfg, every override that asks for what
/// its layer's type cannot do, and every skip_fusion_layers entry that is not a convolution of the model.
AMCT_DECL quant_config resolve_quant_cfg(const dsl::amct_cfg& cfg,
                                         const std::vector<layer_info>& layers,
                                         resolution* out = nullptr);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/config/impl/resolve.ipp>
#endif
