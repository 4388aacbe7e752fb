// amct/config/layer_params.hpp: the parameters one layer's config.json sections select, as the algorithms
// run them: fields the file leaves unset keep their defaults, except the inherited ones (param::inherit):
// asymmetric follows the file's activation_offset, channel_wise the layer type's default
// (docs/configuration.md).
#pragma once

#include <string>       // std::string, std::to_string
#include <string_view>  // std::string_view

#include <amct/algo/registry.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/quant_config.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// The observer parameters of a layer's activation_quant_params; unset asymmetric is `activation_offset`.
AMCT_DECL activation_params resolved_params(const activation_quant_config& a, bool activation_offset);

/// The weight algorithm's parameters of a layer of `type`; unset channel_wise is the type's default.
AMCT_DECL weight_params resolved_params(const weight_quant_config& w, std::string_view type);

/// The record's name of a bit width: INT4, INT6, INT7, INT8, INT16.
inline std::string int_type_name(int bits)
{
    return "INT" + std::to_string(bits);
}
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/config/impl/layer_params.ipp>
#endif
