// amct/config/create_quant_config.hpp: the config.json AMCT's create_quant_config writes for a model's layers
// (amct-algorithms.md 1 and 7.1): every quantizable layer (section 9, in its ONNX, PyTorch, TF, Keras or
// Caffe spelling) with AMCT's defaults; layers in skip_layers get quant_enable false; other layers are left
// out. With config_definition, the configuration is the quant.cfg resolved against the layers.
#pragma once

#include <cstdint>  // std::uint32_t
#include <set>      // std::set
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/config/resolve.hpp>
#include <amct/dsl/quant_cfg.hpp>
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

/// @brief AMCT's config.json for `layers`.
/// @param explain with config_definition: receives which rule decided each field and the quant.cfg entries
/// that match no layer (see resolve_quant_cfg).
/// @throws config_error naming every skip_layers entry that is not a layer of the model, a non-positive
/// batch_num, and every problem of the config_definition file.
inline quant_config create_quant_config(const std::vector<layer_info>& layers,
                                        const create_quant_config_options& o = {},
                                        resolution* explain = nullptr)
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
    if (o.batch_num <= 0)
    {
        problems.push_back(
          detail::argument_problem("batch_num = " + std::to_string(o.batch_num) + " must be greater than 0"));
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
