// amct/config/impl/resolve.ipp: the definitions of <amct/config/resolve.hpp> (header-only: included by it;
// separate compilation: by <amct/src.hpp>).
#pragma once

#include <map>            // std::map
#include <optional>       // std::optional
#include <set>            // std::set
#include <string>         // std::string
#include <type_traits>    // std::decay_t
#include <unordered_map>  // std::unordered_map
#include <unordered_set>  // std::unordered_set
#include <variant>        // std::visit
#include <vector>         // std::vector

#include <amct/algo/param.hpp>
#include <amct/algo/registry.hpp>
#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/config/check_config.hpp>
#include <amct/config/layer_params.hpp>
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
/// Resolves one quant.cfg against a model, collecting errors and notes.
class quant_cfg_resolver
{
public:
    quant_cfg_resolver(const dsl::amct_cfg& cfg, resolution& r, bool explain)
      : m_cfg(cfg)
      , m_r(r)
      , m_source(cfg.file, cfg.source)
      , m_explain(explain)
      , m_skip_names(cfg.skip_layers.begin(), cfg.skip_layers.end())
      , m_skip_types(cfg.skip_layer_types.begin(), cfg.skip_layer_types.end())
    {
        for (std::size_t i = 0; i < cfg.override_layer_configs.size(); ++i)
        {
            m_by_name[cfg.override_layer_configs[i].layer_name].push_back(i);
        }
        for (std::size_t i = 0; i < cfg.override_layer_types.size(); ++i)
        {
            m_by_type[cfg.override_layer_types[i].layer_type].push_back(i);
        }
    }

    quant_config run(const std::vector<layer_info>& layers)
    {
        quant_config q;
        q.batch_num = static_cast<int>(m_cfg.batch_num.value_or(1));
        q.activation_offset = m_cfg.activation_offset.value_or(true);
        q.do_fusion = m_cfg.do_fusion.value_or(true);
        q.skip_fusion_layers = m_cfg.skip_fusion_layers;
        q.fakequant_precision_mode = m_cfg.fakequant_precision_mode ? fakequant_precision::force_fp16_quant
                                                                    : fakequant_precision::default_mode;
        const auto type_of = types_by_name(layers);
        std::set<std::string> types;
        for (const auto& l : layers)
        {
            types.insert(l.type);
        }
        for (const auto& l : layers)
        {
            if (find_arq_rule(l.type))
            {
                q.layers.emplace_back(l.name, layer(l, q.activation_offset));
            }
        }
        check_fusion_layers(type_of);
        report_unmatched(type_of, types);
        return q;
    }

    std::vector<diagnostic>& errors() noexcept
    {
        return m_errors;
    }

private:
    /// A CalibrationConfig that applies to a layer, and the rule that makes it apply.
    struct link
    {
        const dsl::calibration_config_cfg* config;
        std::string rule;
        bool specific;  ///< by name or type, rather than common_config
    };

    layer_quant_config layer(const layer_info& l, bool activation_offset)
    {
        const std::vector<link> chain = chain_of(l);
        const link* chosen = chain.empty() ? nullptr : &chain.front();
        const std::string rule = chosen ? chosen->rule : "default";

        layer_quant_config c;
        const bool by_name = m_skip_names.count(l.name) != 0;
        const bool by_type = m_skip_types.count(l.type) != 0;
        c.quant_enable = !by_name && !by_type;
        note(l, "quant_enable", by_name ? "skip_layers" : by_type ? "skip_layer_types" : "default");

        // the most specific config is taken whole: its algorithm message over the algorithm's defaults, with
        // the fields AMCT's create_quant_config writes (docs/configuration.md)
        auto& a = c.activation_quant_params;
        const auto* acts = chosen && chosen->config->activations ? &*chosen->config->activations : nullptr;
        if (acts)
        {
            a.params = acts->params;
        }
        a.given = written(a.params) | (acts ? acts->given & ~num_bits_bit(a.params) : 0);
        note(l, "activation_quant_params", rule);
        std::string bits_rule = acts && acts->is_set("num_bits") ? rule : "default";
        if (a.num_bits() == 16 && !int16_activation_type(l.type))
        {
            refuse(*chosen, l, acts->offset, "dst_type is INT16", "takes INT8 activations only");
            bits_rule = rule + " does not apply: layer type " + l.type + " takes INT8 activations only";
            a.set_num_bits(8);
        }
        note(l, "activation_quant_params.num_bits", bits_rule);
        asymmetric(l, chain, activation_offset, a);

        auto& w = c.weight_quant_params;
        const auto type_rule = find_arq_rule(l.type);
        const auto* wts = chosen && chosen->config->weights ? &*chosen->config->weights : nullptr;
        if (wts)
        {
            w.params = wts->params;
        }
        w.given = written(w.params) | (wts ? wts->given & ~num_bits_bit(w.params) : 0);
        // (a bool pair rather than std::optional<bool>: GCC 12 at -O2 warns maybe-uninitialized on the
        // latter)
        const auto cw_flag = wts ? wts->flag("channel_wise") : std::nullopt;
        const bool cw_given = cw_flag.has_value();
        const bool cw = cw_flag.value_or(false);
        w.set_channel_wise(type_rule->channel_wise_default);
        std::string cw_rule = "layer type " + l.type;
        if (cw_given && (!cw || type_rule->channel_wise_allowed))
        {
            w.set_channel_wise(cw);
            cw_rule = rule;
        }
        else if (cw_given)
        {
            refuse(*chosen, l, wts->offset, "channel_wise is true", "has no channels");
            cw_rule = rule + " does not apply: layer type " + l.type + " has no channels";
        }
        note(l, "weight_quant_params.channel_wise", cw_rule);
        bits_rule = wts && wts->is_set("num_bits") ? rule : "default";
        const int bits = w.num_bits();
        if ((bits == 6 || bits == 7) && !narrow_weight_type(l.type))
        {
            refuse(*chosen,
                   l,
                   wts->offset,
                   "quant_bits is " + int_type_name(bits),
                   "takes INT6/INT7 weights only for Conv2d");
            bits_rule = rule + " does not apply: INT6/INT7 weights are for Conv2d only";
            w.set_num_bits(8);
        }
        note(l, "weight_quant_params.num_bits", bits_rule);
        if (chosen && chosen->config->dmq_balancer)
        {
            c.dmq_balancer_param = chosen->config->dmq_balancer->migration_strength.value_or(0.5);
            note(l, "dmq_balancer_param", rule);
        }
        return c;
    }

    /// num_bits, which config.json always holds and quant_config does not track.
    template <class Params>
    static field_set num_bits_bit(const Params& params)
    {
        return std::visit(
          [](const auto& p)
          {
              return field_bit<std::decay_t<decltype(p)>>("num_bits");
          },
          params);
    }

    /// The fields AMCT's create_quant_config writes for the algorithm `params` holds.
    template <class Params>
    static field_set written(const Params& params)
    {
        return std::visit(
          [](const auto& p)
          {
              return written_fields<std::decay_t<decltype(p)>>();
          },
          params);
    }

    /// The calibration configs that apply to `l`, most specific first.
    std::vector<link> chain_of(const layer_info& l)
    {
        std::vector<link> chain;
        if (const auto it = m_by_name.find(l.name); it != m_by_name.end())
        {
            for (const std::size_t i : it->second)
            {
                const auto& o = m_cfg.override_layer_configs[i];
                chain.push_back(
                  {&o.calibration_config, "override_layer_configs \"" + o.layer_name + "\"", true});
            }
            m_used_names.insert(l.name);
        }
        if (const auto it = m_by_type.find(l.type); it != m_by_type.end())
        {
            for (const std::size_t i : it->second)
            {
                const auto& o = m_cfg.override_layer_types[i];
                chain.push_back(
                  {&o.calibration_config, "override_layer_types \"" + o.layer_type + "\"", true});
            }
            m_used_types.insert(l.type);
        }
        if (m_cfg.common_config)
        {
            chain.push_back({&*m_cfg.common_config, "common_config", false});
        }
        return chain;
    }

    /// asymmetric: the first config of the chain that sets it, else activation_offset; Conv3d symmetric only.
    void asymmetric(const layer_info& l,
                    const std::vector<link>& chain,
                    bool activation_offset,
                    activation_quant_config& a)
    {
        bool value = activation_offset;
        std::string rule = "activation_offset";
        for (const auto& x : chain)
        {
            const auto& acts = x.config->activations;
            const std::optional<bool> v = acts ? acts->flag("asymmetric") : std::nullopt;
            if (!v)
            {
                continue;
            }
            value = *v;
            rule = x.rule;
            if (*v && symmetric_only_type(l.type))
            {
                refuse(x, l, acts->offset, "asymmetric is true", "is quantized symmetrically only");
            }
            break;
        }
        if (symmetric_only_type(l.type))
        {
            value = false;
            rule = "layer type " + l.type + " (symmetric only)";
        }
        a.set_asymmetric(value);
        note(l, "activation_quant_params.asymmetric", rule);
    }

    /// An override by name or type asks for what the layer type cannot do: an error at `offset`.
    void refuse(const link& x,
                const layer_info& l,
                std::size_t offset,
                const std::string& what,
                const std::string& why)
    {
        if (x.specific)
        {
            m_errors.push_back({where(offset),
                                "layer \"" + l.name + "\": " + what + " (" + x.rule + "), but layer type "
                                  + l.type + " " + why});
        }
    }

    void check_fusion_layers(const std::map<std::string, std::string>& type_of)
    {
        for (std::size_t i = 0; i < m_cfg.skip_fusion_layers.size(); ++i)
        {
            if (const auto problem = skip_fusion_problem(m_cfg.skip_fusion_layers[i], type_of))
            {
                m_errors.push_back({where(offset(m_cfg.skip_fusion_layers_offsets, i)), *problem});
            }
        }
    }

    void report_unmatched(const std::map<std::string, std::string>& type_of,
                          const std::set<std::string>& types)
    {
        for (const auto& o : m_cfg.override_layer_configs)
        {
            if (!m_used_names.count(o.layer_name))
            {
                m_r.unmatched.push_back(
                  {where(o.offset),
                   "override_layer_configs \"" + o.layer_name + "\" matches no quantizable layer"});
            }
        }
        for (const auto& o : m_cfg.override_layer_types)
        {
            if (!m_used_types.count(o.layer_type))
            {
                m_r.unmatched.push_back(
                  {where(o.offset),
                   "override_layer_types \"" + o.layer_type + "\" matches no quantizable layer"});
            }
        }
        for (std::size_t i = 0; i < m_cfg.skip_layers.size(); ++i)
        {
            if (!type_of.count(m_cfg.skip_layers[i]))
            {
                m_r.unmatched.push_back({where(offset(m_cfg.skip_layers_offsets, i)),
                                         "skip_layers \"" + m_cfg.skip_layers[i] + "\" matches no layer"});
            }
        }
        for (std::size_t i = 0; i < m_cfg.skip_layer_types.size(); ++i)
        {
            if (!types.count(m_cfg.skip_layer_types[i]))
            {
                m_r.unmatched.push_back(
                  {where(offset(m_cfg.skip_layer_types_offsets, i)),
                   "skip_layer_types \"" + m_cfg.skip_layer_types[i] + "\" matches no layer"});
            }
        }
    }

    static std::size_t offset(const std::vector<std::size_t>& offsets, std::size_t i)
    {
        return i < offsets.size() ? offsets[i] : 0;
    }

    void note(const layer_info& l, const char* field, const std::string& rule)
    {
        if (m_explain)
        {
            m_r.notes.push_back({l.name, field, rule});
        }
    }

    /// file:line:column of byte `offset` of the quant.cfg, or the file alone for a configuration built in
    /// code.
    source_location where(std::size_t offset) const
    {
        return m_cfg.source.empty() ? source_location{m_cfg.file, 0, 0} : m_source.locate(offset);
    }

    const dsl::amct_cfg& m_cfg;
    resolution& m_r;
    source_map m_source;
    std::vector<diagnostic> m_errors;
    bool m_explain;
    std::unordered_set<std::string> m_skip_names, m_skip_types;
    std::unordered_set<std::string> m_used_names, m_used_types;
    std::unordered_map<std::string, std::vector<std::size_t>> m_by_name, m_by_type;  ///< override indices
};
}  // namespace detail

AMCT_DECL quant_config resolve_quant_cfg(const dsl::amct_cfg& cfg,
                                         const std::vector<layer_info>& layers,
                                         resolution* out)
{
    resolution r;
    detail::quant_cfg_resolver resolver(cfg, r, out != nullptr);
    quant_config q = resolver.run(layers);
    if (!resolver.errors().empty())
    {
        detail::throw_error<config_error>(std::move(resolver.errors()));
    }
    // what the session runs (check_config): the quant.cfg rules above refuse all of it at its position, so
    // this only guards the promise that a resolved configuration is one the session accepts
    check_config(q, layers);
    if (out)
    {
        *out = std::move(r);
    }
    return q;
}
}  // namespace AMCT_ABI
}  // namespace amct
