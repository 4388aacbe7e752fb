// amct/config/impl/layer_params.ipp: the definitions of <amct/config/layer_params.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::decay_t, std::is_same_v
#include <variant>      // std::visit

#include <amct/algo/param.hpp>
#include <amct/algo/registry.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/layer_params.hpp>
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

AMCT_DECL activation_params resolved_params(const activation_quant_config& a, bool activation_offset)
{
    return detail::with_inherited(a, activation_offset);
}

AMCT_DECL weight_params resolved_params(const weight_quant_config& w, std::string_view type)
{
    const auto rule = find_arq_rule(type);
    return detail::with_inherited(w, rule ? rule->channel_wise_default : false);
}
}  // namespace AMCT_ABI
}  // namespace amct
