// amct/config/impl/create_quant_config.ipp: the definitions of <amct/config/create_quant_config.hpp>
// (header-only: included by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <cstdint>  // std::uint32_t
#include <set>      // std::set
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/config/create_quant_config.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/config/resolve.hpp>
#include <amct/dsl/quant_cfg.hpp>
#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// A problem with create_quant_config's arguments: no file position. (Built by assignment: GCC 12 at -O3
/// warns maybe-uninitialized on the brace-initialized temporary.)
inline diagnostic argument_problem(std::string message)
{
    diagnostic d;
    d.where.file = "create_quant_config";
    d.message = std::move(message);
    return d;
}
}  // namespace detail

AMCT_DECL quant_config create_quant_config(const std::vector<layer_info>& layers,
                                           const create_quant_config_options& o,
                                           resolution* explain)
{
    std::vector<diagnostic> problems;
    if (!o.config_definition.empty())
    {
        const create_quant_config_options plain;
        if (!o.skip_layers.empty() || o.batch_num != plain.batch_num
            || o.activation_offset != plain.activation_offset)
        {
            detail::throw_error<config_error>(std::vector<diagnostic>{
              detail::argument_problem("skip_layers, batch_num and activation_offset are "
                                       "taken from config_definition \""
                                       + o.config_definition + "\"; set them there")});
        }
        return resolve_quant_cfg(dsl::load_quant_cfg(o.config_definition), layers, explain);
    }
    std::set<std::string> names;
    for (const auto& l : layers)
    {
        names.insert(l.name);
    }
    for (const auto& s : o.skip_layers)
    {
        if (names.count(s) == 0)
        {
            problems.push_back(
              detail::argument_problem("skip_layers: \"" + s + "\" is not a layer of the model"));
        }
    }
    if (!batch_num_rule(o.batch_num))
    {
        problems.push_back(detail::argument_problem("batch_num = " + std::to_string(o.batch_num) + " must be "
                                                    + batch_num_rule.text()));
    }
    if (!problems.empty())
    {
        detail::throw_error<config_error>(std::move(problems));
    }
    // AMCT's defaults are the resolution of an empty quant.cfg with these three fields
    dsl::amct_cfg plain;
    plain.batch_num = static_cast<std::uint32_t>(o.batch_num);
    plain.activation_offset = o.activation_offset;
    plain.skip_layers = o.skip_layers;
    return resolve_quant_cfg(plain, layers);
}
}  // namespace AMCT_ABI
}  // namespace amct
