// amct/model/layer_types.hpp: what AMCT allows per layer type (docs/model.md#what-amct-quantizes,
// docs/model.md#weight-layouts, docs/configuration.md#layer-type-rules), in the ONNX, PyTorch, TF, Keras and
// Caffe spellings: ARQ's weight rule of each quantizable type (find_arq_rule: its weight layout and
// channel-wise defaults) and the type predicates of the configuration rules.
#pragma once

#include <initializer_list>  // std::initializer_list
#include <map>               // std::map
#include <optional>          // std::optional
#include <string>            // std::string
#include <string_view>       // std::string_view
#include <vector>            // std::vector

#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// How a weight tensor stores its output channels.
enum class weight_layout
{
    out_in,  ///< [C_out, C_in/g, k...]: Conv1d/2d/3d (depthwise, grouped), Linear, Gemm with transB = 1
    in_out_grouped,  ///< [C_in, C_out/g, k...]: ConvTranspose; viewed as [g, C_in/g, C_out/g, k] -> [C_out,
                     ///< ...]
    in_out,          ///< [K, N]: MatMul with a constant B, Gemm with transB = 0, Keras Dense (channels last)
    hwio,            ///< [kh, kw(, kd), C_in, C_out]: TF Conv2D / Conv3D (channels last)
    hw_depthwise,    ///< [kh, kw, C_in, M]: TF DepthwiseConv2dNative; channels are C_in * M
    hw_out_in        ///< [kh, kw, C_out, C_in]: TF Conv2DBackpropInput (channels on axis rank - 2)
};

/// AMCT's rule for a layer type: its weight layout and whether it quantizes weights per channel.
struct weight_rule
{
    bool has_weight = true;  ///< false for AvgPool: the record gets scale_w [1], offset_w [0]
    weight_layout layout = weight_layout::out_in;
    bool channel_wise_default = true;  ///< CHANNEL_WISE_TYPES
    bool channel_wise_allowed =
      true;  ///< AMCT rejects channel_wise = true for Linear / MatMul / Gemm / AvgPool
};

namespace detail
{
/// True when `type` is one of `names`.
AMCT_DECL bool type_in(std::string_view type, std::initializer_list<std::string_view> names);
}  // namespace detail

/// The rule for a layer type in its ONNX, PyTorch, TF, Keras or Caffe spelling (docs/model.md#weight-layouts,
/// docs/model.md#quantizable-layers), or nothing for a type ARQ does not quantize. `trans_b` is ONNX Gemm's
/// attribute.
AMCT_DECL std::optional<weight_rule> find_arq_rule(std::string_view type, bool trans_b = false);

/// @brief find_arq_rule, or @throws unsupported_error for a type ARQ does not quantize.
AMCT_DECL weight_rule arq_rule(std::string_view type, bool trans_b = false);

/// A layer of the model, as the runtime reports it.
struct layer_info
{
    std::string name;
    std::string type;  ///< e.g. "Conv", "Conv2d", "Conv2D", "Gemm", "MatMul", "AveragePool"
};

/// Activations quantized symmetrically only (SYMMETRIC_LIMIT_TYPES: Conv3d).
inline bool symmetric_only_type(std::string_view type)
{
    return detail::type_in(type, {"Conv3d", "Conv3D"});
}

/// Quantizable types that take INT16 activations: all but Conv3d and the pooling layers
/// (docs/configuration.md#layer-type-rules).
AMCT_DECL bool int16_activation_type(std::string_view type);

/// Types whose weights may be INT6 or INT7 (ARQuantize.quant_bits): Conv2d only.
inline bool narrow_weight_type(std::string_view type)
{
    return detail::type_in(type, {"Conv", "Conv2d", "Conv2D", "Convolution"});
}

/// Types a following BatchNorm folds into: the convolutions, i.e. the weighted types with output channels
/// (FUSE_TYPES Conv1d/2d/3d, depthwise, and ConvTranspose as in docs/model.md#bn-fusion).
AMCT_DECL bool fusable_type(std::string_view type);

/// BatchNorm in the spellings of ONNX, PyTorch, TF, Keras and Caffe.
AMCT_DECL bool is_batch_norm(std::string_view type);

/// Layer name -> layer type.
AMCT_DECL std::map<std::string, std::string> types_by_name(const std::vector<layer_info>& layers);

/// Why `name` cannot be an entry of skip_fusion_layers (docs/configuration.md#global-keys: names must exist
/// and be of a fused type), or nothing when it can.
AMCT_DECL std::optional<std::string> skip_fusion_problem(const std::string& name,
                                                         const std::map<std::string, std::string>& type_of);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/model/impl/layer_types.ipp>
#endif
