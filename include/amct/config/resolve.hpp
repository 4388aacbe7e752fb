// amct/config/resolve.hpp: each layer's effective configuration from a quant.cfg, with AMCT's precedence
// (seed 002; amct-algorithms.md 7): override_layer_configs > override_layer_types > common_config. The most
// specific CalibrationConfig that applies is taken whole (its unset fields at the proto defaults); only
// `asymmetric` falls back along the chain, ending in activation_offset; skip_layers and
// skip_layer_types disable layers; per-type rules (channel_wise default, Conv3d symmetric only, INT6/INT7
// weights for Conv2d only). The result is the equivalent config.json; an explanation says which rule decided
// each field.
#pragma once

#include <set>     // std::set
#include <string>  // std::string
#include <vector>  // std::vector

#include <amct/config/create_quant_config.hpp>
#include <amct/dsl/quant_cfg.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Which rule decided one field of one layer.
struct resolution_note
{
    std::string layer;
    std::string field;  ///< e.g. "activation_quant_params.asymmetric"
    std::string
      rule;  ///< e.g. "override_layer_types \"Conv2d\"", "common_config", "activation_offset", "default"
};

/// The outcome of resolve_quant_cfg besides the configuration.
struct resolution
{
    std::vector<resolution_note> notes;  ///< the explain mode: every decided field
    std::vector<std::string> unmatched;  ///< overrides and skip entries that match no layer
};

/// @brief The config.json that `cfg` means for `layers`.
/// @throws config_error naming the layer for channel_wise on a layer type without channels.
inline quant_config resolve_quant_cfg(const dsl::amct_cfg& cfg,
                                      const std::vector<layer_info>& layers,
                                      resolution* out = nullptr)
{
    resolution r;
    std::vector<diagnostic> problems;
    quant_config q;
    q.batch_num = static_cast<int>(cfg.batch_num.value_or(1));
    q.activation_offset = cfg.activation_offset.value_or(true);
    q.do_fusion = cfg.do_fusion.value_or(true);
    q.skip_fusion_layers = cfg.skip_fusion_layers;
    q.fakequant_precision_mode = cfg.fakequant_precision_mode.value_or("DEFAULT");
    const std::set<std::string> skip(cfg.skip_layers.begin(), cfg.skip_layers.end());
    const std::set<std::string> skip_types(cfg.skip_layer_types.begin(), cfg.skip_layer_types.end());
    std::set<std::string> used_names, used_types;
    auto note = [&](const std::string& layer, const std::string& field, const std::string& rule)
    {
        r.notes.push_back({layer, field, rule});
    };

    for (const auto& l : layers)
    {
        const auto rule = find_arq_rule(l.type);
        if (!rule)
        {
            continue;
        }
        // the calibration configs that apply, most specific first
        std::vector<std::pair<const dsl::calibration_config_cfg*, std::string>> chain;
        for (const auto& o : cfg.override_layer_configs)
        {
            if (o.layer_name == l.name)
            {
                chain.emplace_back(&o.calibration_config, "override_layer_configs \"" + o.layer_name + "\"");
                used_names.insert(o.layer_name);
            }
        }
        for (const auto& o : cfg.override_layer_types)
        {
            if (o.layer_type == l.type)
            {
                chain.emplace_back(&o.calibration_config, "override_layer_types \"" + o.layer_type + "\"");
                used_types.insert(o.layer_type);
            }
        }
        if (cfg.common_config)
        {
            chain.emplace_back(&*cfg.common_config, "common_config");
        }
        const auto* chosen = chain.empty() ? nullptr : chain.front().first;
        const std::string chosen_rule = chain.empty() ? "default" : chain.front().second;

        layer_quant_config c;
        c.quant_enable = skip.count(l.name) == 0 && skip_types.count(l.type) == 0;
        note(l.name,
             "quant_enable",
             skip.count(l.name)         ? "skip_layers"
             : skip_types.count(l.type) ? "skip_layer_types"
                                        : "default");

        auto& a = c.activation_quant_params;
        if (chosen && chosen->hfmg_quantize)
        {
            const auto& h = *chosen->hfmg_quantize;
            a.act_algo = "hfmg";
            a.num_of_bins = static_cast<int>(h.num_of_bins.value_or(4096));
            a.num_bits = h.dst_type.value_or("INT8") == "INT16" ? 16 : 8;
        }
        else
        {
            const dsl::ifmr_quantize_cfg i =
              chosen && chosen->ifmr_quantize ? *chosen->ifmr_quantize : dsl::ifmr_quantize_cfg{};
            a.act_algo = "ifmr";
            a.max_percentile = i.max_percentile.value_or(0.999999);
            a.min_percentile = i.min_percentile.value_or(0.999999);
            a.search_range = {i.search_range_start.value_or(0.7), i.search_range_end.value_or(1.3)};
            a.search_step = i.search_step.value_or(0.01);
            a.num_bits = i.dst_type.value_or("INT8") == "INT16" ? 16 : 8;
        }
        note(l.name, "activation_quant_params", chosen_rule);
        // asymmetric: the first config in the chain that sets it, else activation_offset; Conv3d: symmetric
        // only
        std::optional<bool> asym;
        std::string asym_rule = "activation_offset";
        for (const auto& [conf, name] : chain)
        {
            const std::optional<bool> v = conf->hfmg_quantize   ? conf->hfmg_quantize->asymmetric
                                          : conf->ifmr_quantize ? conf->ifmr_quantize->asymmetric
                                                                : std::nullopt;
            if (v)
            {
                asym = v;
                asym_rule = name;
                break;
            }
        }
        a.asymmetric = asym.value_or(q.activation_offset);
        if (symmetric_only_type(l.type))
        {
            a.asymmetric = false;
            asym_rule = "layer type " + l.type + " (symmetric only)";
        }
        note(l.name, "activation_quant_params.asymmetric", asym_rule);

        auto& w = c.weight_quant_params;
        const dsl::arq_quantize_cfg arq =
          chosen && chosen->arq_quantize ? *chosen->arq_quantize : dsl::arq_quantize_cfg{};
        w.channel_wise = arq.channel_wise.value_or(rule->channel_wise_default);
        note(l.name,
             "weight_quant_params.channel_wise",
             arq.channel_wise ? chosen_rule : "layer type " + l.type);
        if (*w.channel_wise && !rule->channel_wise_allowed)
        {
            problems.push_back({{"quant.cfg", 0, 0},
                                "layer \"" + l.name + "\": channel_wise is true (" + chosen_rule
                                  + "), but layer type " + l.type + " has no channels"});
        }
        const std::string bits = arq.quant_bits.value_or("INT8");
        const bool narrow = bits == "INT6" || bits == "INT7";
        w.num_bits = narrow && (l.type == "Conv2d" || l.type == "Conv") ? (bits == "INT6" ? 6 : 7) : 8;
        note(l.name, "weight_quant_params.num_bits", arq.quant_bits ? chosen_rule : "default");
        if (chosen && chosen->dmq_balancer)
        {
            c.dmq_balancer_param = chosen->dmq_balancer->migration_strength.value_or(0.5);
        }
        q.layers.emplace_back(l.name, c);
    }
    std::set<std::string> names, types;
    for (const auto& l : layers)
    {
        names.insert(l.name);
        types.insert(l.type);
    }
    for (const auto& o : cfg.override_layer_configs)
    {
        if (!used_names.count(o.layer_name))
        {
            r.unmatched.push_back("override_layer_configs \"" + o.layer_name
                                  + "\" matches no quantizable layer");
        }
    }
    for (const auto& o : cfg.override_layer_types)
    {
        if (!used_types.count(o.layer_type))
        {
            r.unmatched.push_back("override_layer_types \"" + o.layer_type
                                  + "\" matches no quantizable layer");
        }
    }
    for (const auto& s : cfg.skip_layers)
    {
        if (!names.count(s))
        {
            r.unmatched.push_back("skip_layers \"" + s + "\" matches no layer");
        }
    }
    for (const auto& s : cfg.skip_layer_types)
    {
        if (!types.count(s))
        {
            r.unmatched.push_back("skip_layer_types \"" + s + "\" matches no layer");
        }
    }
    if (!problems.empty())
    {
        throw config_error(std::move(problems));
    }
    if (out)
    {
        *out = std::move(r);
    }
    return q;
}
}  // namespace AMCT_ABI
}  // namespace amct
