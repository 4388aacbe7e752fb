// amct/pipeline/bn_fusion.hpp: folding BatchNorm into the convolution that produces its input
// (docs/model.md#bn-fusion, docs/model.md#the-fold). Per output channel c, in float32 as torch's
// fuse_conv_bn_eval:
// clang-format off
//   inv_c = 1 / sqrt(var_c + eps),   W'[c] = W[c] * (gamma_c * inv_c),
//   b'_c = (b_c - mean_c) * inv_c * gamma_c + beta_c
// clang-format on
// with b = 0 for a convolution without bias. "Output channel" follows the weight layout (ConvTranspose: dim 1
// of [C_in, C_out/g, k...] per group), so Conv (depthwise, grouped), ConvTranspose and the TF layouts fold
// alike. Conditions (conv_bn_fusion_pass.py): do_fusion; the producer is a convolution not listed in
// skip_fusion_layers; its output has exactly one reader, the BatchNorm, and is not a graph output; the
// BatchNorm has all four parameters. A fold giving a non-finite value is skipped with a warning.
#pragma once

#include <cmath>          // std::sqrt, std::isfinite
#include <map>            // std::map
#include <optional>       // std::optional
#include <set>            // std::set
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::pair
#include <vector>         // std::vector

#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/detail/format.hpp>
#include <amct/model/graph.hpp>
#include <amct/model/layer_types.hpp>
#include <amct/model/weight_layout.hpp>
#include <amct/pipeline/runtime.hpp>
#include <amct/simd/finite_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// What fuse_batch_norm did.
struct fusion_report
{
    std::vector<std::pair<std::string, std::string>> fused;  ///< (convolution, BatchNorm) pairs folded
    std::vector<std::string> warnings;  ///< folds skipped, each naming the layers and why
};

namespace detail
{
/// Readers of each tensor, by tensor name.
AMCT_DECL std::unordered_map<std::string, std::vector<const graph_node*>> readers_of(
  const std::vector<graph_node>& nodes);

/// A copy of a node's parameter, or nothing when the runtime has none. Every parameter amct takes from the
/// runtime passes here. @throws value_error naming the node, the parameter (`name`, else to_string(kind))
/// and the flat index of the first non-finite element.
AMCT_DECL std::optional<xt::xarray<float>> param_copy(const model_adapter& model,
                                                      const std::string& node,
                                                      param_kind kind,
                                                      const char* name = nullptr);

/// Folds `bn` (gamma, beta, mean, variance) into `conv`'s weight and bias; returns a problem instead when a
/// folded value is not finite.
AMCT_DECL std::string fold_batch_norm(const graph_node& conv,
                                      const graph_node& bn,
                                      const xt::xarray<float> (&bn_params)[4],
                                      xt::xarray<float>& weight,
                                      std::optional<xt::xarray<float>>& bias);
}  // namespace detail

/// One BatchNorm to fold: the convolution's new weight and bias.
struct batch_norm_fold
{
    std::string conv;
    std::string batch_norm;
    xt::xarray<float> weight;
    xt::xarray<float> bias;
};

/// The folds fuse_batch_norm would make, computed without changing the model.
struct fusion_plan
{
    std::vector<batch_norm_fold> folds;
    std::vector<std::string> warnings;  ///< folds skipped, each naming the layers and why
};

/// @brief The BatchNorm folds of `model` under `cfg` (do_fusion, skip_fusion_layers), computed on copies of
/// the parameters. @throws shape_error when a BatchNorm's channel count differs from its convolution's.
AMCT_DECL fusion_plan plan_batch_norm_fusion(const model_adapter& model, const quant_config& cfg);

/// Writes the folds of `plan` into the model: new weight and bias, the BatchNorm removed.
AMCT_DECL fusion_report apply_fusion(model_adapter& model, const fusion_plan& plan);

/// @brief Folds every BatchNorm that follows a convolution into it, through the runtime's adapter.
/// @throws shape_error when a BatchNorm's channel count differs from its convolution's; the model is then
/// unchanged.
inline fusion_report fuse_batch_norm(model_adapter& model, const quant_config& cfg)
{
    return apply_fusion(model, plan_batch_norm_fusion(model, cfg));
}
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/pipeline/impl/bn_fusion.ipp>
#endif
