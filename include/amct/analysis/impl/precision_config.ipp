// amct/analysis/impl/precision_config.ipp: the definitions of <amct/analysis/precision_config.hpp>
// (header-only: included by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <array>        // std::array
#include <cmath>        // std::isfinite
#include <map>          // std::map
#include <optional>     // std::optional
#include <set>          // std::set
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::pair
#include <vector>       // std::vector

#include <boost/json.hpp>

#include <amct/analysis/metrics.hpp>
#include <amct/analysis/precision.hpp>
#include <amct/analysis/precision_config.hpp>
#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/config/resolve.hpp>
#include <amct/detail/json_locator.hpp>
#include <amct/detail/json_reader.hpp>
#include <amct/detail/text_file.hpp>
#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// `text` with its `//` and `/* */` comments (outside strings) replaced by spaces, newlines kept, so that
/// every byte keeps its line and column. An unterminated `/*` is left for the JSON parser to report.
inline std::string blank_json_comments(std::string text)
{
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        const char c = text[i];
        if (in_string)
        {
            i += c == '\\' ? 1u : 0u;
            in_string = c != '"';
        }
        else if (c == '"')
        {
            in_string = true;
        }
        else if (c == '/' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '*'))
        {
            const bool line = text[i + 1] == '/';
            const std::size_t end = line ? text.find('\n', i) : text.find("*/", i + 2);
            if (!line && end == std::string::npos)
            {
                break;
            }
            const std::size_t stop = end == std::string::npos ? text.size() : (line ? end : end + 2);
            for (std::size_t j = i; j < stop; ++j)
            {
                text[j] = text[j] == '\n' || text[j] == '\r' ? text[j] : ' ';
            }
            i = stop - 1;
        }
    }
    return text;
}

/// Turns a Boost.JSON value into a precision_config, collecting every problem with its JSON Pointer.
class precision_config_reader : public json_field_reader
{
public:
    using json_field_reader::json_field_reader;

    precision_config read(const boost::json::value& root)
    {
        precision_config cfg;
        const auto* obj = root.if_object();
        if (!obj)
        {
            m_report("", false, "the quant_config must be a JSON object");
            return cfg;
        }
        for (const auto& member : *obj)
        {
            const std::string key(member.key());
            const path_guard p(m_path, key);
            const boost::json::value& v = member.value();
            if (key == "model_config" && section(v, p, key))
            {
                model(v.get_object(), cfg);
            }
            else if (key == "op_config" || key == "node_config")
            {
                if (section(v, p, key))
                {
                    qtypes(v.get_object(), key, key == "op_config" ? cfg.op_config : cfg.node_config);
                }
            }
            else if (key == "subgraph_config")
            {
                m_report(p, true, "subgraph_config (HMCT 2.8) is not supported by amct; use node_config");
            }
            else if (key != "model_config")
            {
                m_report(
                  p, true, "unknown key \"" + key + "\" (expected model_config, op_config, node_config)");
            }
        }
        return cfg;
    }

private:
    bool section(const boost::json::value& v, const std::string& p, const std::string& field)
    {
        if (!v.is_object())
        {
            m_report(p, false, field + " must be an object");
        }
        return v.is_object();
    }

    std::optional<qtype> qtype_field(const boost::json::value& v,
                                     const std::string& p,
                                     const std::string& field)
    {
        const auto s = text(v, p, "", field);
        const auto q = s ? find_qtype(*s) : std::nullopt;
        check(!s || q, p, "", field, v, "int8, int16, float16 or float32 (or float)");
        return q;
    }

    std::optional<metric> metric_field(const boost::json::value& v,
                                       const std::string& p,
                                       const std::string& field)
    {
        const auto s = text(v, p, "", field);
        const auto m = s ? find_metric(*s) : std::nullopt;
        if (s && !m)
        {
            m_report(p, false, field + ": " + unknown_metric_message(*s));
        }
        return m;
    }

    void unsupported(const std::string& p, const std::string& field, const std::string& why)
    {
        m_report(p, true, field + " is not supported by amct" + (why.empty() ? "" : ": " + why));
    }

    /// Calls known(key, field, pointer, value) for each member of the section `name` ("model_config.weight"):
    /// field is "name.key"; a member it does not know (known returns false) is reported with `expected`.
    template <class Known>
    void members(const boost::json::object& obj, const std::string& name, const char* expected, Known&& known)
    {
        for (const auto& member : obj)
        {
            const std::string key(member.key());
            const path_guard p(m_path, key);
            if (!known(key, name + "." + key, static_cast<const std::string&>(p), member.value()))
            {
                m_report(p, true, "unknown key \"" + key + "\" in " + name + " (expected " + expected + ")");
            }
        }
    }

    void model(const boost::json::object& obj, precision_config& cfg)
    {
        members(obj,
                "model_config",
                "all_node_type, modelwise_search, layerwise_search, weight",
                [&](const std::string& key, const std::string& field, const std::string& p, const auto& v)
                {
                    if (key == "all_node_type")
                    {
                        cfg.all_node_type = qtype_field(v, p, field);
                    }
                    else if (key == "modelwise_search" && section(v, p, field))
                    {
                        modelwise(v.get_object(), field, cfg);
                    }
                    else if (key == "layerwise_search" && section(v, p, field))
                    {
                        layerwise(v.get_object(), field, cfg);
                    }
                    else if (key == "weight" && section(v, p, field))
                    {
                        weight(v.get_object(), field, cfg);
                    }
                    else if (key == "activation")
                    {
                        unsupported(p, field, "set the activation calibration in config.json or quant.cfg");
                    }
                    else if (key == "model_output_type" || key == "experimental")
                    {
                        unsupported(p, field, "");
                    }
                    else if (key == "search")
                    {
                        unsupported(p, field, "write model_config.layerwise_search {metric, topk, qtype}");
                    }
                    else
                    {
                        return key == "modelwise_search" || key == "layerwise_search" || key == "weight";
                    }
                    return true;
                });
    }

    void modelwise(const boost::json::object& obj, const std::string& name, precision_config& cfg)
    {
        auto& s = cfg.modelwise_search.emplace();
        members(obj,
                name,
                "metric, similarity",
                [&](const std::string& key, const std::string& field, const std::string& p, const auto& v)
                {
                    if (key == "metric")
                    {
                        s.metric = metric_field(v, p, field).value_or(s.metric);
                    }
                    else if (key == "similarity")
                    {
                        if (const auto x = number(v, p, "", field))
                        {
                            check(std::isfinite(*x), p, "", field, v, "a finite number");
                            s.similarity = *x;
                        }
                    }
                    return key == "metric" || key == "similarity";
                });
    }

    void layerwise(const boost::json::object& obj, const std::string& name, precision_config& cfg)
    {
        auto& s = cfg.layerwise_search.emplace();
        members(obj,
                name,
                "metric, topk, qtype",
                [&](const std::string& key, const std::string& field, const std::string& p, const auto& v)
                {
                    if (key == "metric")
                    {
                        s.metric = metric_field(v, p, field).value_or(s.metric);
                    }
                    else if (key == "topk")
                    {
                        if (const auto x = integer(v, p, "", field))
                        {
                            check(*x >= 1, p, "", field, v, "at least 1");
                            s.topk = *x;
                        }
                    }
                    else if (key == "qtype")
                    {
                        s.qtype = qtype_field(v, p, field);
                    }
                    return key == "metric" || key == "topk" || key == "qtype";
                });
    }

    void weight(const boost::json::object& obj, const std::string& name, precision_config& cfg)
    {
        members(
          obj,
          name,
          "bias_correction",
          [&](const std::string& key, const std::string& field, const std::string& p, const auto& v)
          {
              if (key == "bias_correction")
              {
                  if (section(v, p, field))
                  {
                      bias_correction(v.get_object(), field, cfg);
                  }
              }
              else if (key == "max_percentile" || key == "weight_percentile" || key == "calibration_type")
              {
                  unsupported(p, field, "amct calibrates weights with ARQ (config.json weight_quant_params)");
              }
              else
              {
                  return false;
              }
              return true;
          });
    }

    void bias_correction(const boost::json::object& obj, const std::string& name, precision_config& cfg)
    {
        auto& b = cfg.bias_correction.emplace();
        members(obj,
                name,
                "num_sample, metric",
                [&](const std::string& key, const std::string& field, const std::string& p, const auto& v)
                {
                    if (key == "num_sample")
                    {
                        if (const auto x = integer(v, p, "", field))
                        {
                            check(*x >= 1, p, "", field, v, "at least 1");
                            b.num_sample = *x;
                        }
                    }
                    else if (key == "metric")
                    {
                        b.metric = metric_field(v, p, field).value_or(b.metric);
                    }
                    return key == "num_sample" || key == "metric";
                });
    }

    /// op_config / node_config: name -> {"qtype": ...}.
    void qtypes(const boost::json::object& obj,
                const std::string& section_name,
                std::vector<std::pair<std::string, qtype>>& out)
    {
        for (const auto& entry : obj)
        {
            const std::string name(entry.key());
            const std::string who = section_name + " \"" + name + "\"";
            const path_guard p(m_path, name);
            if (!entry.value().is_object())
            {
                m_report(p, false, who + " must be an object such as {\"qtype\": \"int16\"}");
                continue;
            }
            std::optional<qtype> q;
            for (const auto& member : entry.value().get_object())
            {
                const std::string key(member.key());
                const path_guard kp(m_path, key);
                if (key == "qtype")
                {
                    q = qtype_field(member.value(), kp, who + ".qtype");
                }
                else if (key == "InputType" || key == "InputType0" || key == "InputType1" || key == "input0"
                         || key == "input1" || key == "OutputType" || key == "ON")
                {
                    unsupported(kp, who + "." + key, "amct sets a layer's precision with qtype");
                }
                else
                {
                    m_report(kp, true, who + ": unknown key \"" + key + "\" (expected qtype)");
                }
            }
            if (q)
            {
                out.emplace_back(name, *q);
            }
            else if (entry.value().get_object().empty())
            {
                m_report(p, false, who + " has no qtype");
            }
        }
    }
};

/// The source of a layer's qtype, or the problem with it; one rule for resolve_qtypes and the checks.
class qtype_resolver
{
public:
    qtype_resolver(const precision_config& cfg, const json_field_reader::report_fn& report)
      : m_cfg(cfg)
      , m_report(report)
    {
    }

    qtype_map run(const std::vector<layer_info>& layers, std::vector<resolution_note>* notes)
    {
        // int16 needs a type that takes 16-bit activations (layer_types.hpp): asked by name or type it is an
        // error, by all_node_type it applies as far as the type allows
        const auto type_of = types_by_name(layers);
        std::set<std::string> types;
        for (const auto& l : layers)
        {
            types.insert(l.type);
        }
        for (const auto& [name, q] : m_cfg.node_config)
        {
            const std::string at = "/node_config/" + json_locator::escape(name);
            const auto it = type_of.find(name);
            if (it == type_of.end())
            {
                m_report(at, true, "node_config \"" + name + "\" is not a layer of the model");
            }
            else if (q == qtype::int16 && !int16_activation_type(it->second))
            {
                m_report(at + "/qtype",
                         false,
                         "node_config \"" + name + "\": qtype int16, but " + int16_refusal(it->second));
            }
        }
        for (const auto& [type, q] : m_cfg.op_config)
        {
            const std::string at = "/op_config/" + json_locator::escape(type);
            if (!types.count(type))
            {
                m_report(at, true, "op_config \"" + type + "\": no layer of the model has this type");
            }
            else if (q == qtype::int16 && !int16_activation_type(type))
            {
                m_report(at + "/qtype",
                         false,
                         "op_config \"" + type + "\": qtype int16, but " + int16_refusal(type));
            }
        }
        qtype_map out;
        for (const auto& l : layers)
        {
            const auto [q, rule] = choose(l);
            out[l.name] = q;
            if (notes)
            {
                notes->push_back({l.name, "qtype", rule});
            }
        }
        return out;
    }

private:
    static const qtype* find(const std::vector<std::pair<std::string, qtype>>& v, const std::string& key)
    {
        const qtype* found = nullptr;
        for (const auto& [k, q] : v)
        {
            found = k == key ? &q : found;  // the last of repeated keys, as Boost.JSON keeps it
        }
        return found;
    }

    /// Why a layer of `type` cannot be int16.
    static std::string int16_refusal(const std::string& type)
    {
        return find_arq_rule(type) ? "layer type " + type + " takes 8-bit activations only"
                                   : "amct does not quantize layer type " + type;
    }

    std::pair<qtype, std::string> choose(const layer_info& l) const
    {
        if (const qtype* q = find(m_cfg.node_config, l.name))
        {
            return {*q, "node_config \"" + l.name + "\""};
        }
        if (const qtype* q = find(m_cfg.op_config, l.type))
        {
            return {*q, "op_config \"" + l.type + "\""};
        }
        if (m_cfg.all_node_type)
        {
            if (*m_cfg.all_node_type == qtype::int16 && !int16_activation_type(l.type))
            {
                return {qtype::int8, "model_config.all_node_type (int16; " + int16_refusal(l.type) + ")"};
            }
            return {*m_cfg.all_node_type, "model_config.all_node_type"};
        }
        return {qtype::int8, "default"};
    }

    const precision_config& m_cfg;
    const json_field_reader::report_fn& m_report;
};

/// Reads a quant_config text, optionally checked against a model, every problem at file:line:column.
inline precision_config read_precision_config(const std::string& text,
                                              const std::string& file,
                                              const std::vector<layer_info>* layers)
{
    precision_config cfg;
    read_json_document(
      blank_json_comments(text),
      file,
      [](const std::vector<std::string>& tokens)
      {
          std::string path;
          for (std::size_t i = 0; i + 1 < tokens.size(); ++i)
          {
              path += (i ? "." : "") + tokens[i];
          }
          return "duplicate key \"" + tokens.back() + "\"" + (path.empty() ? "" : " in " + path);
      },
      [&](const boost::json::value& root, const json_field_reader::report_fn& report)
      {
          cfg = precision_config_reader(report).read(root);
          if (layers)
          {
              qtype_resolver(cfg, report).run(*layers, nullptr);
          }
      });
    return cfg;
}
}  // namespace detail

AMCT_DECL bool modelwise_search_config::operator==(const modelwise_search_config& o) const
{
    return metric == o.metric && similarity == o.similarity;
}

AMCT_DECL bool layerwise_search_config::operator==(const layerwise_search_config& o) const
{
    return metric == o.metric && topk == o.topk && qtype == o.qtype;
}

AMCT_DECL bool bias_correction_config::operator==(const bias_correction_config& o) const
{
    return num_sample == o.num_sample && metric == o.metric;
}

AMCT_DECL bool precision_config::operator==(const precision_config& o) const
{
    return all_node_type == o.all_node_type && modelwise_search == o.modelwise_search
           && layerwise_search == o.layerwise_search && bias_correction == o.bias_correction
           && op_config == o.op_config && node_config == o.node_config;
}

AMCT_DECL precision_config read_precision_config(const std::string& text, const std::string& file)
{
    return detail::read_precision_config(text, file, nullptr);
}

AMCT_DECL precision_config read_precision_config(const std::string& text,
                                                 const std::string& file,
                                                 const std::vector<layer_info>& layers)
{
    return detail::read_precision_config(text, file, &layers);
}

AMCT_DECL precision_config load_precision_config(const std::string& path)
{
    return read_precision_config(detail::read_text_file(path), path);
}

AMCT_DECL precision_config load_precision_config(const std::string& path,
                                                 const std::vector<layer_info>& layers)
{
    return read_precision_config(detail::read_text_file(path), path, layers);
}

AMCT_DECL qtype_map resolve_qtypes(const precision_config& cfg,
                                   const std::vector<layer_info>& layers,
                                   std::vector<resolution_note>* notes)
{
    qtype_map out;
    detail::throw_at_json_paths(
      [&](const detail::json_field_reader::report_fn& report)
      {
          out = detail::qtype_resolver(cfg, report).run(layers, notes);
      });
    return out;
}

AMCT_DECL void apply_qtypes(quant_config& cfg, const qtype_map& qtypes)
{
    for (auto& [name, layer] : cfg.layers)
    {
        const auto it = qtypes.find(name);
        if (it == qtypes.end())
        {
            continue;
        }
        if (quantized(it->second))
        {
            layer.activation_quant_params.set_num_bits(activation_bits(it->second));
        }
        else
        {
            layer.quant_enable = false;
        }
    }
}

AMCT_DECL void tag_invoke(const boost::json::value_from_tag&,
                          boost::json::value& jv,
                          const precision_config& c)
{
    boost::json::object model;
    if (c.all_node_type)
    {
        model["all_node_type"] = qtype_name(*c.all_node_type);
    }
    if (const auto& m = c.modelwise_search)
    {
        boost::json::object o;
        o["metric"] = metric_name(m->metric);
        if (m->similarity)
        {
            o["similarity"] = *m->similarity;
        }
        model["modelwise_search"] = std::move(o);
    }
    if (const auto& l = c.layerwise_search)
    {
        boost::json::object o;
        o["metric"] = metric_name(l->metric);
        if (l->topk)
        {
            o["topk"] = *l->topk;
        }
        if (l->qtype)
        {
            o["qtype"] = qtype_name(*l->qtype);
        }
        model["layerwise_search"] = std::move(o);
    }
    if (const auto& b = c.bias_correction)
    {
        boost::json::object o;
        o["num_sample"] = b->num_sample;
        o["metric"] = metric_name(b->metric);
        model["weight"] = boost::json::object{{"bias_correction", std::move(o)}};
    }
    boost::json::object out;
    out["model_config"] = std::move(model);
    for (const auto* section : {&c.op_config, &c.node_config})
    {
        boost::json::object o;
        for (const auto& [name, q] : *section)
        {
            o[name] = boost::json::object{{"qtype", qtype_name(q)}};
        }
        if (!o.empty())
        {
            out[section == &c.op_config ? "op_config" : "node_config"] = std::move(o);
        }
    }
    jv = std::move(out);
}

AMCT_DECL precision_config tag_invoke(const boost::json::value_to_tag<precision_config>&,
                                      const boost::json::value& jv)
{
    precision_config cfg;
    detail::throw_at_json_paths(
      [&](const detail::json_field_reader::report_fn& report)
      {
          cfg = detail::precision_config_reader(report).read(jv);
      });
    return cfg;
}

AMCT_DECL std::string write_precision_config(const precision_config& c)
{
    std::string out;
    detail::pretty(out, boost::json::value_from(c), 0);
    return out + "\n";
}

AMCT_DECL precision_config with_qtypes(precision_config base, const qtype_map& qtypes)
{
    base.op_config.clear();
    base.node_config.clear();
    base.all_node_type.reset();
    std::array<std::size_t, all_qtypes.size()> counts{};
    for (const auto& [name, q] : qtypes)
    {
        ++counts[static_cast<std::size_t>(q)];
    }
    qtype common = qtype::int8;
    for (qtype q : all_qtypes)
    {
        common = counts[static_cast<std::size_t>(q)] > counts[static_cast<std::size_t>(common)] ? q : common;
    }
    if (common != qtype::int8)
    {
        base.all_node_type = common;
    }
    for (const auto& [name, q] : qtypes)
    {
        if (q != common)
        {
            base.node_config.emplace_back(name, q);
        }
    }
    return base;
}
}  // namespace AMCT_ABI
}  // namespace amct
