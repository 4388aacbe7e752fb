// amct/config/layer_params.hpp: the parameters one layer's config.json sections select, as the algorithms
// run them: fields the file leaves unset keep their defaults, except the inherited ones (param::inherit):
// asymmetric follows the file's activation_offset, channel_wise the layer type's default
// (docs/configuration.md).
#pragma once

#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::decay_t, std::is_same_v
#include <variant>      // std::visit

#include <amct/algo/param.hpp>
#include <amct/algo/registry.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// `section`'s parameters with every unset inherited bool field set to `inherited`.
template <class Params>
inline Params with_inherited(const configured_algorithm<Params>& section, bool inherited)
{
    Params params = section.params;
    std::visit(
      [&](auto& p)
      {
          for_each_field<std::decay_t<decltype(p)>>(
            [&](const auto& fld, std::size_t i)
            {
                using F = std::decay_t<decltype(fld)>;
                if constexpr (!is_range_field_v<F>)
                {
                    if constexpr (std::is_same_v<typename F::value_type, bool>)
                    {
                        if (fld.has(param::inherit) && (section.given & (field_set{1} << i)) == 0)
                        {
                            p.*(fld.member) = inherited;
                        }
                    }
                }
            });
      },
      params);
    return params;
}
}  // namespace detail

/// The observer parameters of a layer's activation_quant_params; unset asymmetric is `activation_offset`.
inline activation_params resolved_params(const activation_quant_config& a, bool activation_offset)
{
    return detail::with_inherited(a, activation_offset);
}

/// The weight algorithm's parameters of a layer of `type`; unset channel_wise is the type's default.
inline weight_params resolved_params(const weight_quant_config& w, std::string_view type)
{
    const auto rule = find_arq_rule(type);
    return detail::with_inherited(w, rule ? rule->channel_wise_default : false);
}

/// The record's name of a bit width: INT4, INT6, INT7, INT8, INT16.
inline std::string int_type_name(int bits)
{
    return "INT" + std::to_string(bits);
}
}  // namespace AMCT_ABI
}  // namespace amct
