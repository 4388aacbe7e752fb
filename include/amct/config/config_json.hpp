// amct/config/config_json.hpp: AMCT's config.json read and written with Boost.JSON.
//   read_config_json(text, file): every problem of the file at once, as file:line:column diagnostics;
//   value_to<quant_config>(jv) / value_from(cfg): the same rules through Boost.JSON's tag_invoke
//   customization (diagnostics then name the JSON path without a position); write_config_json(cfg): the file
//   AMCT's create_quant_config writes (4-space indent, AMCT's key order).
// Ranges follow the seeds and amct-algorithms.md 3.6, 4.5, 5.1 and 7.1.
#pragma once

#include <algorithm>    // std::min, std::stable_sort
#include <charconv>     // std::to_chars
#include <cmath>        // std::isfinite
#include <functional>   // std::function
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include <boost/json.hpp>

#include <amct/algo/params.hpp>
#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/detail/format.hpp>
#include <amct/detail/json_locator.hpp>
#include <amct/detail/json_reader.hpp>
#include <amct/detail/text_file.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// Turns a Boost.JSON value into a quant_config, collecting every problem with its JSON Pointer.
class config_json_reader : public json_field_reader
{
public:
    using json_field_reader::json_field_reader;

    quant_config read(const boost::json::value& root)
    {
        quant_config cfg;
        const auto* obj = root.if_object();
        if (!obj)
        {
            m_report("", false, "the configuration must be a JSON object");
            return cfg;
        }
        for (const auto& member : *obj)
        {
            const std::string key(member.key());
            const path_guard ptr(m_path, key);
            const boost::json::value& v = member.value();
            if (key == "version")
            {
                if (const auto x = integer(v, ptr, "", key))
                {
                    check(*x == 1, ptr, "", key, v, "1 (the only version)");
                    cfg.version = *x;
                }
            }
            else if (key == "batch_num")
            {
                if (const auto x = integer(v, ptr, "", key))
                {
                    check(*x > 0, ptr, "", key, v, "greater than 0");
                    cfg.batch_num = *x;
                }
            }
            else if (key == "activation_offset")
            {
                cfg.activation_offset = boolean(v, ptr, "", key).value_or(cfg.activation_offset);
            }
            else if (key == "do_fusion")
            {
                cfg.do_fusion = boolean(v, ptr, "", key).value_or(cfg.do_fusion);
            }
            else if (key == "skip_fusion_layers")
            {
                cfg.skip_fusion_layers = strings(v, ptr, key);
            }
            else if (key == "fakequant_precision_mode")
            {
                if (const auto s = text(v, ptr, "", key))
                {
                    check(*s == "DEFAULT" || *s == "FORCE_FP16_QUANT",
                          ptr,
                          "",
                          key,
                          v,
                          "DEFAULT or FORCE_FP16_QUANT");
                    cfg.fakequant_precision_mode = *s;
                }
            }
            else if (v.is_object())
            {
                cfg.layers.emplace_back(key, layer(v.get_object(), "layer \"" + key + "\": "));
            }
            else
            {
                m_report(
                  ptr, true, "unknown key \"" + key + "\" (a layer's configuration must be an object)");
            }
        }
        return cfg;
    }

private:
    layer_quant_config layer(const boost::json::object& obj, const std::string& who)
    {
        layer_quant_config l;
        for (const auto& member : obj)
        {
            const std::string key(member.key());
            const path_guard p(m_path, key);
            const boost::json::value& v = member.value();
            if (key == "quant_enable")
            {
                l.quant_enable = boolean(v, p, who, key).value_or(true);
            }
            else if (key == "dmq_balancer_param")
            {
                if (const auto x = number(v, p, who, key))
                {
                    check(*x >= 0.2 && *x <= 0.8, p, who, key, v, "in [0.2, 0.8]");
                    l.dmq_balancer_param = *x;
                }
            }
            else if (key == "activation_quant_params" && v.is_object())
            {
                l.activation_quant_params = activation(v.get_object(), p, who);
            }
            else if (key == "weight_quant_params" && v.is_object())
            {
                l.weight_quant_params = weight(v.get_object(), who);
            }
            else if (key == "activation_quant_params" || key == "weight_quant_params")
            {
                m_report(p, false, who + key + " must be an object");
            }
            else
            {
                m_report(p, true, who + "unknown key \"" + key + "\"");
            }
        }
        return l;
    }

    activation_quant_config activation(const boost::json::object& obj,
                                       const std::string& ptr,
                                       const std::string& who)
    {
        activation_quant_config a;
        const prefix_guard in_section(m_prefix, "activation_quant_params.");
        std::string ifmr_key, hfmg_key;
        for (const auto& member : obj)
        {
            const std::string key(member.key());
            const path_guard p(m_path, key);
            const boost::json::value& v = member.value();
            if (key == "act_algo")
            {
                if (const auto s = text(v, p, who, key))
                {
                    check(*s == "ifmr" || *s == "hfmg" || *s == "max" || *s == "percentile" || *s == "kl"
                            || *s == "mse",
                          p,
                          who,
                          key,
                          v,
                          "ifmr or hfmg (extensions: max, percentile, kl, mse)");
                    a.act_algo = *s;
                }
            }
            else if (key == "num_bits")
            {
                if (const auto x = integer(v, p, who, key))
                {
                    check(*x == 4 || *x == 8 || *x == 16, p, who, key, v, "4, 8 or 16");
                    a.num_bits = *x;
                }
            }
            else if (key == "asymmetric")
            {
                a.asymmetric = boolean(v, p, who, key);
            }
            else if (key == "max_percentile" || key == "min_percentile")
            {
                if (const auto x = number(v, p, who, key))
                {
                    check(*x > 0.5 && *x <= 1.0, p, who, key, v, "in (0.5, 1]");
                    (key == "max_percentile" ? a.max_percentile : a.min_percentile) = *x;
                }
                ifmr_key = ifmr_key.empty() ? key : ifmr_key;
            }
            else if (key == "search_range")
            {
                const auto* arr = v.if_array();
                if (!arr || arr->size() != 2 || !(*arr)[0].is_number() || !(*arr)[1].is_number())
                {
                    m_report(p, false, qualified(who, key) + " must be a list of two numbers [start, end]");
                }
                else
                {
                    const double s = (*arr)[0].to_number<double>(), e = (*arr)[1].to_number<double>();
                    check(s > 0.0 && s < e && std::isfinite(e),
                          p,
                          who,
                          key,
                          v,
                          "two numbers with 0 < start < end");
                    a.search_range = {s, e};
                }
                ifmr_key = ifmr_key.empty() ? key : ifmr_key;
            }
            else if (key == "search_step")
            {
                if (const auto x = number(v, p, who, key))
                {
                    a.search_step = *x;
                }
                ifmr_key = ifmr_key.empty() ? key : ifmr_key;
            }
            else if (key == "ifmr_mode")
            {
                if (const auto s = text(v, p, who, key))
                {
                    check(*s == "exact" || *s == "bounded", p, who, key, v, "exact or bounded");
                    a.ifmr_mode = *s;
                }
                ifmr_key = ifmr_key.empty() ? key : ifmr_key;
            }
            else if (key == "num_of_bins")
            {
                if (const auto x = integer(v, p, who, key))
                {
                    a.num_of_bins = *x;
                }
                hfmg_key = key;
            }
            else if (key == "num_quantized_bins" || key == "num_candidates")
            {
                if (const auto x = integer(v, p, who, key))
                {
                    check(*x >= (key == "num_quantized_bins" ? 0 : 1), p, who, key, v, "positive");
                    (key == "num_quantized_bins" ? a.num_quantized_bins : a.num_candidates) = *x;
                }
            }
            else
            {
                m_report(p, true, who + "unknown key \"" + key + "\" in activation_quant_params");
            }
        }
        if (a.search_step)
        {
            const ifmr_params defaults;
            const double span = a.search_range ? (*a.search_range)[1] - (*a.search_range)[0]
                                               : defaults.search_range_end - defaults.search_range_start;
            const double step = *a.search_step;
            if (!(step > 0.0 && step <= span))
            {
                m_report(ptr + "/search_step",
                         false,
                         qualified(who, "search_step") + " = " + number_to_string(step) + " must be in (0, "
                           + number_to_string(span) + "]");
            }
        }
        if (a.num_of_bins && a.act_algo == "hfmg")
        {
            const int b = *a.num_of_bins;
            if (!(b == 1024 || b == 2048 || b == 4096 || b == 8192))
            {
                m_report(ptr + "/num_of_bins",
                         false,
                         qualified(who, "num_of_bins") + " = " + std::to_string(b)
                           + " must be 1024, 2048, 4096 or 8192");
            }
        }
        if (!ifmr_key.empty() && !hfmg_key.empty())
        {
            m_report(ptr,
                     false,
                     who + "activation_quant_params has IFMR (" + ifmr_key + ") and HFMG (" + hfmg_key
                       + ") parameters; a layer takes one algorithm");
        }
        else if (a.act_algo == "hfmg" && !ifmr_key.empty())
        {
            m_report(ptr,
                     false,
                     who + "activation_quant_params: act_algo \"hfmg\" with the IFMR parameter " + ifmr_key);
        }
        else if (a.act_algo == "ifmr" && !hfmg_key.empty())
        {
            m_report(ptr,
                     false,
                     who + "activation_quant_params: act_algo \"ifmr\" with the HFMG parameter " + hfmg_key);
        }
        return a;
    }

    weight_quant_config weight(const boost::json::object& obj, const std::string& who)
    {
        weight_quant_config w;
        const prefix_guard in_section(m_prefix, "weight_quant_params.");
        for (const auto& member : obj)
        {
            const std::string key(member.key());
            const path_guard p(m_path, key);
            const boost::json::value& v = member.value();
            if (key == "wts_algo")
            {
                if (const auto s = text(v, p, who, key))
                {
                    check(*s == "arq_quantize",
                          p,
                          who,
                          key,
                          v,
                          "arq_quantize (the weight algorithm amct implements)");
                    w.wts_algo = *s;
                }
            }
            else if (key == "num_bits")
            {
                if (const auto x = integer(v, p, who, key))
                {
                    check(*x == 4 || *x == 6 || *x == 7 || *x == 8, p, who, key, v, "4, 6, 7 or 8");
                    w.num_bits = *x;
                }
            }
            else if (key == "channel_wise")
            {
                w.channel_wise = boolean(v, p, who, key);
            }
            else
            {
                m_report(p, true, who + "unknown key \"" + key + "\" in weight_quant_params");
            }
        }
        return w;
    }
};

/// More checks on a read configuration, reporting as config_json_reader does (see check_config.hpp).
using config_check_fn = std::function<void(const quant_config&, const config_json_reader::report_fn&)>;

inline quant_config read_config_json(const std::string& text,
                                     const std::string& file,
                                     const config_check_fn& more_checks)
{
    quant_config cfg;
    read_json_document(
      text,
      file,
      [](const std::vector<std::string>& tokens)
      {
          // /conv1/activation_quant_params/search_step -> layer "conv1": duplicate key "search_step" in ...
          std::string message = tokens.size() > 1 ? "layer \"" + tokens.front() + "\": " : "";
          message += "duplicate key \"" + tokens.back() + "\"";
          for (std::size_t i = 1; i + 1 < tokens.size(); ++i)
          {
              message += (i == 1 ? " in " : ".") + tokens[i];
          }
          return message;
      },
      [&](const boost::json::value& root, const config_json_reader::report_fn& report)
      {
          cfg = config_json_reader(report).read(root);
          if (more_checks)
          {
              more_checks(cfg, report);
          }
      });
    return cfg;
}
}  // namespace detail

/// @brief Reads config.json text. @throws config_error listing every problem as file:line:column diagnostics.
inline quant_config read_config_json(const std::string& text, const std::string& file = "config.json")
{
    return detail::read_config_json(text, file, nullptr);
}

/// @brief Reads a config.json file. @throws config_error (also when the file cannot be read).
inline quant_config load_config_json(const std::string& path)
{
    return read_config_json(detail::read_text_file(path), path);
}

/// Boost.JSON conversion (value_from): the members AMCT writes, in its order.
inline void tag_invoke(const boost::json::value_from_tag&, boost::json::value& jv, const quant_config& c)
{
    boost::json::object o;
    o["version"] = c.version;
    o["batch_num"] = c.batch_num;
    o["activation_offset"] = c.activation_offset;
    o["do_fusion"] = c.do_fusion;
    boost::json::array skip;
    for (const auto& s : c.skip_fusion_layers)
    {
        skip.emplace_back(s);
    }
    o["skip_fusion_layers"] = std::move(skip);
    if (c.fakequant_precision_mode != "DEFAULT")
    {
        o["fakequant_precision_mode"] = c.fakequant_precision_mode;
    }
    for (const auto& [name, l] : c.layers)
    {
        boost::json::object layer;
        layer["quant_enable"] = l.quant_enable;
        if (l.dmq_balancer_param)
        {
            layer["dmq_balancer_param"] = *l.dmq_balancer_param;
        }
        const auto& a = l.activation_quant_params;
        boost::json::object act;
        act["num_bits"] = a.num_bits;
        if (a.max_percentile)
        {
            act["max_percentile"] = *a.max_percentile;
        }
        if (a.min_percentile)
        {
            act["min_percentile"] = *a.min_percentile;
        }
        if (a.search_range)
        {
            act["search_range"] = {(*a.search_range)[0], (*a.search_range)[1]};
        }
        if (a.search_step)
        {
            act["search_step"] = *a.search_step;
        }
        if (a.ifmr_mode)
        {
            act["ifmr_mode"] = *a.ifmr_mode;
        }
        if (a.num_of_bins)
        {
            act["num_of_bins"] = *a.num_of_bins;
        }
        if (a.num_quantized_bins)
        {
            act["num_quantized_bins"] = *a.num_quantized_bins;
        }
        if (a.num_candidates)
        {
            act["num_candidates"] = *a.num_candidates;
        }
        act["act_algo"] = a.act_algo;
        if (a.asymmetric)
        {
            act["asymmetric"] = *a.asymmetric;
        }
        layer["activation_quant_params"] = std::move(act);
        const auto& w = l.weight_quant_params;
        boost::json::object wts;
        wts["num_bits"] = w.num_bits;
        wts["wts_algo"] = w.wts_algo;
        if (w.channel_wise)
        {
            wts["channel_wise"] = *w.channel_wise;
        }
        layer["weight_quant_params"] = std::move(wts);
        o[name] = std::move(layer);
    }
    jv = std::move(o);
}

/// Boost.JSON conversion (value_to): the rules of read_config_json; @throws config_error naming JSON paths.
inline quant_config tag_invoke(const boost::json::value_to_tag<quant_config>&, const boost::json::value& jv)
{
    quant_config cfg;
    detail::throw_at_json_paths(
      [&](const detail::config_json_reader::report_fn& report)
      {
          cfg = detail::config_json_reader(report).read(jv);
      });
    return cfg;
}

/// @brief The config.json text of `c`, laid out as AMCT writes it.
inline std::string write_config_json(const quant_config& c)
{
    std::string out;
    detail::pretty(out, boost::json::value_from(c), 0);
    return out + "\n";
}
}  // namespace AMCT_ABI
}  // namespace amct
