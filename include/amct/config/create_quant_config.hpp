// amct/config/create_quant_config.hpp: the config.json AMCT's create_quant_config writes for a model's layers
// (docs/model.md#amcts-flow, docs/configuration.md#configjson): every quantizable layer
// (docs/model.md#quantizable-layers, in its ONNX, PyTorch, TF, Keras or Caffe spelling) with AMCT's defaults;
// layers in skip_layers get quant_enable false; other layers are left out. With config_definition, the
// configuration is the quant.cfg resolved against the layers.
#pragma once

#include <string>  // std::string
#include <vector>  // std::vector

#include <amct/base/macros.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/config/resolve.hpp>
#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// The keyword arguments of AMCT's create_quant_config.
struct create_quant_config_options
{
    std::vector<std::string> skip_layers;
    int batch_num = 1;
    bool activation_offset = true;
    /// A quant.cfg file. When given, AMCT ignores the three arguments above and takes everything from the
    /// file; amct reports them as an error instead of ignoring them silently.
    std::string config_definition;
};

/// @brief AMCT's config.json for `layers`.
/// @param explain with config_definition: receives which rule decided each field and the quant.cfg entries
/// that match no layer (see resolve_quant_cfg).
/// @throws config_error naming every skip_layers entry that is not a layer of the model, a non-positive
/// batch_num, and every problem of the config_definition file.
AMCT_DECL quant_config create_quant_config(const std::vector<layer_info>& layers,
                                           const create_quant_config_options& o = {},
                                           resolution* explain = nullptr);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/config/impl/create_quant_config.ipp>
#endif
