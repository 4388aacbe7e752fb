// amct/config/impl/check_config.ipp: the definitions of <amct/config/check_config.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <algorithm>    // std::find
#include <map>          // std::map
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <variant>      // std::visit
#include <vector>       // std::vector

#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/layer_params.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/detail/json_locator.hpp>
#include <amct/detail/text_file.hpp>
#include <amct/dsl/quant_cfg.hpp>
#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
inline void check_against_model(const quant_config& cfg,
                                const std::vector<layer_info>& layers,
                                const config_json_reader::report_fn& report)
{
    const auto type_of = types_by_name(layers);
    for (const auto& [name, c] : cfg.layers)
    {
        const std::string ptr = "/" + json_locator::escape(name);
        const std::string who = "layer \"" + name + "\": ";
        const auto it = type_of.find(name);
        if (it == type_of.end())
        {
            report(ptr, true, who + "not a layer of the model");
            continue;
        }
        const std::string& type = it->second;
        const auto rule = find_arq_rule(type);
        if (!rule)
        {
            report(ptr, true, who + "layer type " + type + " is not quantizable");
            continue;
        }
        const auto& a = c.activation_quant_params;
        const auto& w = c.weight_quant_params;
        if (w.channel_wise().value_or(false) && !rule->channel_wise_allowed)
        {
            report(ptr + "/weight_quant_params/channel_wise",
                   false,
                   who + "weight_quant_params.channel_wise = true, but layer type " + type
                     + " has no channels");
        }
        if ((w.num_bits() == 6 || w.num_bits() == 7) && !narrow_weight_type(type))
        {
            report(ptr + "/weight_quant_params/num_bits",
                   false,
                   who + "weight_quant_params.num_bits = " + std::to_string(w.num_bits())
                     + ", but only Conv2d layers take INT6/INT7 weights, not " + type);
        }
        if (a.num_bits() == 16 && !int16_activation_type(type))
        {
            report(ptr + "/activation_quant_params/num_bits",
                   false,
                   who + "activation_quant_params.num_bits = 16, but layer type " + type
                     + " takes INT8 activations only");
        }
        if (a.asymmetric().value_or(false) && symmetric_only_type(type))
        {
            report(ptr + "/activation_quant_params/asymmetric",
                   false,
                   who + "activation_quant_params.asymmetric = true, but layer type " + type
                     + " is quantized symmetrically only");
        }
    }
    for (std::size_t i = 0; i < cfg.skip_fusion_layers.size(); ++i)
    {
        if (const auto problem = skip_fusion_problem(cfg.skip_fusion_layers[i], type_of))
        {
            report("/skip_fusion_layers/" + std::to_string(i), false, *problem);
        }
    }
}

/// The rules config.json's reader applies, on a configuration built in code (the session's input): global
/// settings, unimplemented settings, bit widths and each section's parameters as the layer's observers and
/// ARQ receive them (resolved_params: asymmetric from activation_offset, channel_wise from the layer type).
inline void check_settings(const quant_config& cfg,
                           const std::vector<layer_info>& layers,
                           const config_json_reader::report_fn& report)
{
    if (!batch_num_rule(cfg.batch_num))
    {
        report("/batch_num",
               false,
               "batch_num = " + std::to_string(cfg.batch_num) + " must be " + batch_num_rule.text());
    }
    if (cfg.fakequant_precision_mode != fakequant_precision::default_mode)
    {
        report("/fakequant_precision_mode", false, force_fp16_unimplemented);
    }
    const auto type_of = types_by_name(layers);
    for (const auto& [name, c] : cfg.layers)
    {
        const std::string ptr = "/" + json_locator::escape(name);
        const std::string who = "layer \"" + name + "\": ";
        if (c.dmq_balancer_param)
        {
            report(
              ptr + "/dmq_balancer_param", true, who + "dmq_balancer_param: " + dmq_balancer_unimplemented);
        }
        const auto section = [&](const auto& params, const std::string& key, const auto& bits_rule)
        {
            std::visit(
              [&](const auto& p)
              {
                  const std::string at = ptr + "/" + key + "/";
                  const bool bits_ok = bits_rule(p.num_bits);
                  if (!bits_ok)
                  {
                      report(at + "num_bits",
                             false,
                             who + key + ".num_bits = " + std::to_string(p.num_bits) + " must be "
                               + bits_rule.text());
                  }
                  std::vector<std::string> seen{bits_ok ? "" : "num_bits"};
                  check_params(p,
                               [&](std::string_view k, const std::string& value, const std::string& rule)
                               {
                                   if (std::find(seen.begin(), seen.end(), k) != seen.end())
                                   {
                                       return;
                                   }
                                   seen.emplace_back(k);
                                   report(at + json_locator::escape(std::string(k)),
                                          false,
                                          who + key + "." + std::string(k) + " = " + value + " must be "
                                            + rule);
                               });
              },
              params);
        };
        section(resolved_params(c.activation_quant_params, cfg.activation_offset),
                "activation_quant_params",
                activation_bits_rule);
        const auto it = type_of.find(name);
        if (it != type_of.end())
        {
            section(
              resolved_params(c.weight_quant_params, it->second), "weight_quant_params", weight_bits_rule);
        }
    }
}
}  // namespace detail

AMCT_DECL void check_config(const quant_config& cfg, const std::vector<layer_info>& layers)
{
    detail::throw_at_json_paths(
      [&](const detail::config_json_reader::report_fn& report)
      {
          detail::check_settings(cfg, layers, report);
          detail::check_against_model(cfg, layers, report);
      });
}

AMCT_DECL quant_config read_config_json(const std::string& text,
                                        const std::string& file,
                                        const std::vector<layer_info>& layers)
{
    quant_config cfg =
      detail::read_config_json(text,
                               file,
                               [&](const quant_config& c, const detail::config_json_reader::report_fn& report)
                               {
                                   detail::check_against_model(c, layers, report);
                               });
    // what the session runs: the reader refuses all of it at its position, so this only guards the promise
    // that what `amct-config check --layers` accepts, the session accepts
    check_config(cfg, layers);
    return cfg;
}

AMCT_DECL quant_config load_config_json(const std::string& path, const std::vector<layer_info>& layers)
{
    return read_config_json(detail::read_text_file(path), path, layers);
}
}  // namespace AMCT_ABI
}  // namespace amct
