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
#include <amct/config/diagnostic.hpp>
#include <amct/config/json_locator.hpp>
#include <amct/config/quant_config.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// Turns a Boost.JSON value into a quant_config, collecting every problem with its JSON Pointer.
class config_json_reader
{
public:
    using report_fn =
      std::function<void(const std::string& pointer, bool at_key, const std::string& message)>;

    explicit config_json_reader(report_fn report)
      : m_report(std::move(report))
    {
    }

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

    /// `layer "conv1": activation_quant_params.search_step`
    std::string qualified(const std::string& who, const std::string& field) const
    {
        return who + std::string(m_prefix) + field;
    }

    static std::string shown(const boost::json::value& v)
    {
        if (v.is_double())
        {
            return number_to_string(v.get_double());
        }
        if (const auto* arr = v.if_array())
        {
            std::string s = "[";
            for (const auto& x : *arr)
            {
                s += (s.size() > 1 ? ", " : "") + shown(x);
            }
            return s + "]";
        }
        return boost::json::serialize(v);
    }

    void check(bool ok,
               const std::string& p,
               const std::string& who,
               const std::string& field,
               const boost::json::value& v,
               const std::string& rule)
    {
        if (!ok)
        {
            m_report(p, false, qualified(who, field) + " = " + shown(v) + " must be " + rule);
        }
    }

    std::optional<bool> boolean(const boost::json::value& v,
                                const std::string& p,
                                const std::string& who,
                                const std::string& field)
    {
        if (v.is_bool())
        {
            return v.get_bool();
        }
        m_report(p, false, qualified(who, field) + " = " + shown(v) + " must be true or false");
        return std::nullopt;
    }

    std::optional<int> integer(const boost::json::value& v,
                               const std::string& p,
                               const std::string& who,
                               const std::string& field)
    {
        if (v.is_int64() && v.get_int64() >= -(1LL << 31) && v.get_int64() < (1LL << 31))
        {
            return static_cast<int>(v.get_int64());
        }
        if (v.is_uint64() && v.get_uint64() < (1ULL << 31))
        {
            return static_cast<int>(v.get_uint64());
        }
        m_report(p, false, qualified(who, field) + " = " + shown(v) + " must be an integer");
        return std::nullopt;
    }

    std::optional<double> number(const boost::json::value& v,
                                 const std::string& p,
                                 const std::string& who,
                                 const std::string& field)
    {
        if (v.is_number())
        {
            return v.to_number<double>();
        }
        m_report(p, false, qualified(who, field) + " = " + shown(v) + " must be a number");
        return std::nullopt;
    }

    std::optional<std::string> text(const boost::json::value& v,
                                    const std::string& p,
                                    const std::string& who,
                                    const std::string& field)
    {
        if (v.is_string())
        {
            return std::string(v.get_string());
        }
        m_report(p, false, qualified(who, field) + " = " + shown(v) + " must be a string");
        return std::nullopt;
    }

    std::vector<std::string> strings(const boost::json::value& v,
                                     const std::string& p,
                                     const std::string& field)
    {
        std::vector<std::string> out;
        const auto* arr = v.if_array();
        if (!arr)
        {
            m_report(p, false, field + " = " + shown(v) + " must be a list of layer names");
            return out;
        }
        for (std::size_t i = 0; i < arr->size(); ++i)
        {
            if (const auto s =
                  text((*arr)[i], p + "/" + std::to_string(i), "", field + "[" + std::to_string(i) + "]"))
            {
                out.push_back(*s);
            }
        }
        return out;
    }

    /// Appends "/key" (escaped) to the JSON Pointer of the member being read; removes it again on exit.
    class path_guard
    {
    public:
        path_guard(std::string& path, const std::string& key)
          : m_path(path)
          , m_size(path.size())
        {
            path += '/';
            path += json_locator::escape(key);
        }

        ~path_guard()
        {
            m_path.resize(m_size);
        }

        path_guard(const path_guard&) = delete;
        path_guard& operator=(const path_guard&) = delete;

        operator const std::string&() const noexcept  // NOLINT: used where the pointer string is expected
        {
            return m_path;
        }

    private:
        std::string& m_path;
        std::size_t m_size;
    };

    /// Sets the section prefix of field names ("activation_quant_params.") for messages; restores it on exit.
    struct prefix_guard
    {
        prefix_guard(std::string_view& prefix, std::string_view section)
          : m_prefix(prefix)
        {
            prefix = section;
        }

        ~prefix_guard()
        {
            m_prefix = {};
        }

        prefix_guard(const prefix_guard&) = delete;
        prefix_guard& operator=(const prefix_guard&) = delete;
        std::string_view& m_prefix;
    };

    report_fn m_report;
    std::string m_path;         ///< JSON Pointer of the member being read
    std::string_view m_prefix;  ///< section of the field names being read
};

/// Shortest round-trip text of a double, with a ".0" so that it reads back as a number with a fraction.
inline std::string json_number(double v)
{
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, r.ptr);
    if (s.find_first_of(".eEn") == std::string::npos)
    {
        s += ".0";
    }
    return s;
}

/// AMCT's layout: 4-space indentation, one member per line, short arrays on one line.
inline void pretty(std::string& out, const boost::json::value& v, int indent)
{
    const std::string pad(static_cast<std::size_t>(indent) * 4, ' ');
    if (const auto* obj = v.if_object())
    {
        out += "{";
        bool first = true;
        for (const auto& m : *obj)
        {
            out += first ? "\n" : ",\n";
            first = false;
            out += pad + "    " + boost::json::serialize(boost::json::value(m.key())) + ": ";
            pretty(out, m.value(), indent + 1);
        }
        out += first ? "}" : "\n" + pad + "}";
    }
    else if (const auto* arr = v.if_array())
    {
        out += "[";
        for (std::size_t i = 0; i < arr->size(); ++i)
        {
            out += i ? ", " : "";
            pretty(out, (*arr)[i], indent + 1);
        }
        out += "]";
    }
    else if (v.is_double())
    {
        out += json_number(v.get_double());
    }
    else
    {
        out += boost::json::serialize(v);
    }
}

/// Runs `check(report)`; @throws config_error with every reported problem located by its JSON path
/// ("#/conv1/weight_quant_params/channel_wise") when there was one.
template <class Check>
void throw_at_json_paths(Check&& check)
{
    std::vector<diagnostic> diags;
    check(config_json_reader::report_fn(
      [&](const std::string& pointer, bool, const std::string& message)
      {
          diags.push_back({source_location{"#" + pointer, 0, 0}, message});
      }));
    if (!diags.empty())
    {
        throw config_error(std::move(diags));
    }
}

/// The number of object members in `v`, at every depth.
inline std::size_t member_count(const boost::json::value& v)
{
    std::size_t n = 0;
    if (const auto* obj = v.if_object())
    {
        n += obj->size();
        for (const auto& m : *obj)
        {
            n += member_count(m.value());
        }
    }
    else if (const auto* arr = v.if_array())
    {
        for (const auto& x : *arr)
        {
            n += member_count(x);
        }
    }
    return n;
}

/// More checks on a read configuration, reporting as config_json_reader does (see check_config.hpp).
using config_check_fn = std::function<void(const quant_config&, const config_json_reader::report_fn&)>;

inline quant_config read_config_json(const std::string& text,
                                     const std::string& file,
                                     const config_check_fn& more_checks)
{
    std::vector<diagnostic> diags;
    const source_map source(file, text);
    boost::system::error_code ec;
    boost::json::stream_parser parser;
    const std::size_t used = parser.write_some(text.data(), text.size(), ec);
    if (!ec)
    {
        parser.finish(ec);
    }
    if (ec)
    {
        diags.push_back({source.locate(used), "syntax error: " + ec.message()});
        throw config_error(std::move(diags));
    }
    const boost::json::value root = parser.release();
    json_locator where(text);
    // Boost.JSON keeps the last of repeated keys: fewer members in the DOM than keys in the text means
    // repeats
    const bool repeated_keys = json_locator::key_count(text) != member_count(root);
    for (const auto& d : repeated_keys ? where.duplicates() : std::vector<json_locator::duplicate>{})
    {
        // "/conv1/activation_quant_params/search_step" -> layer "conv1": duplicate key "search_step" in ...
        std::vector<std::string> tokens;
        for (std::size_t at = 1; at <= d.pointer.size();)
        {
            const std::size_t next = std::min(d.pointer.find('/', at), d.pointer.size());
            tokens.push_back(d.pointer.substr(at, next - at));
            at = next + 1;
        }
        std::string message = tokens.size() > 1 ? "layer \"" + tokens.front() + "\": " : "";
        message += "duplicate key \"" + tokens.back() + "\"";
        for (std::size_t i = 1; i + 1 < tokens.size(); ++i)
        {
            message += (i == 1 ? " in " : ".") + tokens[i];
        }
        const source_location first = source.locate(d.first);
        diags.push_back({source.locate(d.second), message + " (first given at " + first.line_column() + ")"});
    }
    const config_json_reader::report_fn report =
      [&](const std::string& pointer, bool at_key, const std::string& message)
    {
        std::size_t at = at_key ? where.key_offset(pointer) : where.value_offset(pointer);
        diags.push_back({at == std::string::npos ? source_location{file, 0, 0} : source.locate(at), message});
    };
    config_json_reader reader(report);
    quant_config cfg = reader.read(root);
    if (more_checks)
    {
        more_checks(cfg, report);
    }
    if (!diags.empty())
    {
        sort_by_position(diags);
        throw config_error(std::move(diags));
    }
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
