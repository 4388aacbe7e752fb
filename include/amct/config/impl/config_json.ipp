// amct/config/impl/config_json.ipp: the definitions of <amct/config/config_json.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <algorithm>    // std::find
#include <climits>      // INT_MAX, INT_MIN
#include <cstdint>      // std::int64_t, std::uint64_t
#include <functional>   // std::function
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <tuple>        // std::apply
#include <type_traits>  // std::decay_t, std::is_enum_v, std::is_same_v
#include <variant>      // std::visit
#include <vector>       // std::vector

#include <boost/json.hpp>

#include <amct/algo/param.hpp>
#include <amct/algo/registry.hpp>
#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/detail/format.hpp>
#include <amct/detail/json_locator.hpp>
#include <amct/detail/json_reader.hpp>
#include <amct/detail/text_file.hpp>
#include <amct/dsl/quant_cfg.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// "IFMR", "HFMG", ...: how messages name an algorithm beside another.
inline std::string shouted(std::string_view name)
{
    std::string s(name);
    for (char& c : s)
    {
        c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    return s;
}

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
                // any integer is judged by the rule (quant.cfg's uint32 4294967295 as well)
                const bool whole = v.is_int64() || v.is_uint64();
                const bool in_int =
                  (v.is_int64() && v.get_int64() >= INT_MIN && v.get_int64() <= INT_MAX)
                  || (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT_MAX));
                if (whole && !(in_int && batch_num_rule(static_cast<int>(v.to_number<std::int64_t>()))))
                {
                    check(false, ptr, "", key, v, batch_num_rule.text());
                }
                else if (const auto x = integer(v, ptr, "", key))
                {
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
                if (const auto m = enumeration<fakequant_precision>(v, ptr, "", key))
                {
                    cfg.fakequant_precision_mode = *m;
                    if (*m == fakequant_precision::force_fp16_quant)
                    {
                        m_report(ptr, false, force_fp16_unimplemented);
                    }
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
                m_report(p, true, who + "dmq_balancer_param: " + dmq_balancer_unimplemented);
            }
            else if ((key == "activation_quant_params" || key == "weight_quant_params") && v.is_object())
            {
                const prefix_guard in_section(m_prefix,
                                              key == "activation_quant_params" ? "activation_quant_params."
                                                                               : "weight_quant_params.");
                if (key == "activation_quant_params")
                {
                    section<activation_algorithms>(
                      v.get_object(), p, who, "act_algo", activation_bits_rule, l.activation_quant_params);
                }
                else
                {
                    section<weight_algorithms>(
                      v.get_object(), p, who, "wts_algo", weight_bits_rule, l.weight_quant_params);
                }
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

    /// An algorithm section: `algo_key` picks the algorithm of `List` (its first when absent); every other
    /// key is a field of it. A key of another algorithm is checked against that algorithm's rule for it and
    /// reported as AMCT reports IFMR keys beside HFMG keys. num_bits must also be a width the file format
    /// expresses (`bits`).
    template <class List, class Section, class BitsRule>
    void section(const boost::json::object& obj,
                 const std::string& ptr,
                 const std::string& who,
                 std::string_view algo_key,
                 const BitsRule& bits,
                 Section& out)
    {
        const std::string section_name(m_prefix.substr(0, m_prefix.size() - 1));
        bool named = false;
        if (const auto* v = obj.if_contains(algo_key))
        {
            const path_guard p(m_path, std::string(algo_key));
            if (const auto s = text(*v, p, who, std::string(algo_key)))
            {
                named = visit_algorithm<List>(*s,
                                              [&](auto params)
                                              {
                                                  out.params = params;
                                              });
                if (!named)  // reported; the other keys are read as the default algorithm's
                {
                    check(false, p, who, std::string(algo_key), *v, algorithm_choices<List>());
                }
            }
        }
        std::visit(
          [&](auto& params)
          {
              using P = std::decay_t<decltype(params)>;
              std::string own_key;  // the chosen algorithm's first key, and another algorithm's
              std::string foreign_key;
              bool bits_ok = true;
              std::string_view foreign_algo;
              for (const auto& member : obj)
              {
                  const std::string key(member.key());
                  if (key == algo_key)
                  {
                      continue;
                  }
                  const path_guard p(m_path, key);
                  const boost::json::value& v = member.value();
                  if (has_field<P>(key))
                  {
                      if (read_field(params, key, v, p, who) && key != "num_bits")
                      {
                          out.given |= field_bit<P>(key);
                      }
                      if (key == "num_bits" && v.is_number())
                      {
                          bits_ok = bits(params.num_bits);
                          check(bits_ok, p, who, key, v, bits.text());
                      }
                      own_key = own_key.empty() && key != "num_bits" && key != "asymmetric" ? key : own_key;
                      continue;
                  }
                  const std::string_view other = read_foreign<List>(key, v, p, who);
                  if (other.empty())
                  {
                      m_report(p, true, who + "unknown key \"" + key + "\" in " + section_name);
                  }
                  else if (foreign_key.empty())
                  {
                      foreign_key = key;
                      foreign_algo = other;
                  }
              }
              if (foreign_key.empty())
              {
              }
              else if (!own_key.empty())  // has IFMR (search_step) and HFMG (num_of_bins) parameters
              {
                  const bool own_first = list_index<List>(P::name) < list_index<List>(foreign_algo);
                  const std::string a = shouted(P::name) + " (" + own_key + ")";
                  const std::string b = shouted(foreign_algo) + " (" + foreign_key + ")";
                  m_report(ptr,
                           false,
                           who + section_name + " has " + (own_first ? a : b) + " and " + (own_first ? b : a)
                             + " parameters; a layer takes one algorithm");
              }
              else if (named)  // act_algo "hfmg" with the IFMR parameter ifmr_mode
              {
                  m_report(ptr,
                           false,
                           who + section_name + ": " + std::string(algo_key) + " \"" + std::string(P::name)
                             + "\" with the " + shouted(foreign_algo) + " parameter " + foreign_key);
              }
              else
              {
                  const path_guard p(m_path, foreign_key);
                  m_report(p,
                           true,
                           who + qualified("", foreign_key) + " is a parameter of "
                             + std::string(foreign_algo) + ", not of " + std::string(algo_key) + " \""
                             + std::string(P::name) + "\" (the default when " + std::string(algo_key)
                             + " is not given)");
              }
              validate(params, obj, ptr, who, bits_ok ? "" : "num_bits");
          },
          out.params);
    }

    /// Index of algorithm `name` in List.
    template <class List>
    static std::size_t list_index(std::string_view name)
    {
        std::size_t i = 0, found = 0;
        std::apply(
          [&](auto... defaults)
          {
              ((decltype(defaults)::name == name ? (found = i, ++i) : ++i), ...);
          },
          typename List::defaults{});
        return found;
    }

    /// A key of another algorithm of List (the first that has it): its value is checked against that
    /// algorithm's rule for it. Returns the algorithm's name, or nothing when no algorithm has the key.
    template <class List>
    std::string_view read_foreign(const std::string& key,
                                  const boost::json::value& v,
                                  const std::string& p,
                                  const std::string& who)
    {
        std::string_view owner;
        std::apply(
          [&](auto... defaults)
          {
              (
                [&](auto params)
                {
                    using Q = decltype(params);
                    if (owner.empty() && has_field<Q>(key))
                    {
                        owner = Q::name;
                        if (read_field(params, key, v, p, who))
                        {
                            for_each_field<Q>(
                              [&](const auto& fld, std::size_t)
                              {
                                  if (fld.key == key)
                                  {
                                      check_one(fld, params, p, who);
                                  }
                              });
                        }
                    }
                }(defaults),
                ...);
          },
          typename List::defaults{});
        return owner;
    }

    /// One field's own rule, reported at `p`.
    template <class F, class P>
    void check_one(const F& fld, const P& params, const std::string& p, const std::string& who)
    {
        if constexpr (is_range_field_v<F>)
        {
            const double a = params.*(fld.first), b = params.*(fld.second);
            if (!fld.rule(a, b))
            {
                m_report(p,
                         false,
                         qualified(who, std::string(fld.key)) + " = [" + number_to_string(a) + ", "
                           + number_to_string(b) + "] must be " + fld.rule.text());
            }
        }
        else
        {
            using T = typename F::value_type;
            if (!rule_accepts<T>(fld.rule, fld.get(params)))
            {
                m_report(p,
                         false,
                         qualified(who, std::string(fld.key)) + " = " + shown_value(fld.get(params))
                           + " must be " + rule_text<T>(fld.rule));
            }
        }
    }

    /// Reads `key` into its field of `params`; false when its value has the wrong type (reported).
    template <class P>
    bool read_field(P& params,
                    const std::string& key,
                    const boost::json::value& v,
                    const std::string& p,
                    const std::string& who)
    {
        bool read = false;
        for_each_field<P>(
          [&](const auto& fld, std::size_t)
          {
              if (fld.key == key && in_config_files(fld))
              {
                  read = read_value(fld, params, v, p, who);
              }
          });
        return read;
    }

    template <class F, class P>
    bool read_value(const F& fld,
                    P& params,
                    const boost::json::value& v,
                    const std::string& p,
                    const std::string& who)
    {
        const std::string key(fld.key);
        if constexpr (is_range_field_v<F>)
        {
            const auto* arr = v.if_array();
            if (!arr || arr->size() != 2 || !(*arr)[0].is_number() || !(*arr)[1].is_number())
            {
                m_report(p, false, qualified(who, key) + " must be a list of two numbers [start, end]");
                return false;
            }
            params.*(fld.first) = (*arr)[0].to_number<double>();
            params.*(fld.second) = (*arr)[1].to_number<double>();
            return true;
        }
        else if constexpr (!is_config_value_v<typename F::value_type>)
        {
            return false;
        }
        else
        {
            using T = typename F::value_type;
            std::optional<T> x;
            if constexpr (std::is_same_v<T, bool>)
            {
                x = boolean(v, p, who, key);
            }
            else if constexpr (std::is_enum_v<T>)
            {
                x = enumeration<T>(v, p, who, key);
            }
            else if constexpr (std::is_integral_v<T>)
            {
                x = integer(v, p, who, key);
            }
            else
            {
                x = number(v, p, who, key);
            }
            if (x)
            {
                params.*(fld.member) = *x;
            }
            return x.has_value();
        }
    }

    /// The one validator (check_params) on what the section holds; each problem at its key, or at the
    /// section when the field is not in the file (a default that conflicts with a given field). `reported`
    /// names a key already reported.
    template <class P>
    void validate(const P& params,
                  const boost::json::object& obj,
                  const std::string& ptr,
                  const std::string& who,
                  const std::string& reported)
    {
        std::vector<std::string> seen{reported};
        check_params(params,
                     [&](std::string_view key, const std::string& value, const std::string& rule)
                     {
                         const std::string k(key);
                         if (std::find(seen.begin(), seen.end(), k) != seen.end())
                         {
                             return;
                         }
                         seen.push_back(k);
                         const bool in_file = obj.contains(key);
                         m_report(in_file ? ptr + "/" + json_locator::escape(k) : ptr,
                                  false,
                                  qualified(who, k) + " = " + value + " must be " + rule);
                     });
    }

    /// The enum value named by a string. @return nothing, having reported, for another value.
    template <class E>
    std::optional<E> enumeration(const boost::json::value& v,
                                 const std::string& p,
                                 const std::string& who,
                                 const std::string& field)
    {
        const auto s = text(v, p, who, field);
        if (!s)
        {
            return std::nullopt;
        }
        const auto& names = enum_names<E>::values;
        for (std::size_t i = 0; i < names.size(); ++i)
        {
            if (*s == names[i])
            {
                return static_cast<E>(i);
            }
        }
        check(false, p, who, field, v, enum_choices<E>());
        return std::nullopt;
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

/// The JSON value of one field.
template <class F, class P>
inline boost::json::value field_json(const F& fld, const P& params)
{
    if constexpr (is_range_field_v<F>)
    {
        return boost::json::array{params.*(fld.first), params.*(fld.second)};
    }
    else
    {
        using T = typename F::value_type;
        const T& v = fld.get(params);
        if constexpr (std::is_enum_v<T>)
        {
            return boost::json::value(enum_name(v));
        }
        else if constexpr (is_config_value_v<T>)
        {
            return boost::json::value(v);
        }
        else
        {
            return boost::json::value();  // not reached: in_config_files is false
        }
    }
}

/// A section in AMCT's order: num_bits, then for activations the algorithm's fields, act_algo and
/// asymmetric; for weights wts_algo and the fields.
template <class Params>
inline boost::json::object section_json(const configured_algorithm<Params>& s,
                                        std::string_view algo_key,
                                        bool name_first)
{
    boost::json::object o;
    std::visit(
      [&](const auto& params)
      {
          using P = std::decay_t<decltype(params)>;
          o["num_bits"] = params.num_bits;
          if (name_first)
          {
              o[algo_key] = P::name;
          }
          for_each_field<P>(
            [&](const auto& fld, std::size_t i)
            {
                if (fld.key != "num_bits" && fld.key != "asymmetric" && in_config_files(fld)
                    && (s.given & (field_set{1} << i)))
                {
                    o[fld.key] = field_json(fld, params);
                }
            });
          if (!name_first)
          {
              o[algo_key] = P::name;
          }
          for_each_field<P>(
            [&](const auto& fld, std::size_t i)
            {
                if (fld.key == "asymmetric" && (s.given & (field_set{1} << i)))
                {
                    o[fld.key] = field_json(fld, params);
                }
            });
      },
      s.params);
    return o;
}
}  // namespace detail

AMCT_DECL quant_config read_config_json(const std::string& text, const std::string& file)
{
    return detail::read_config_json(text, file, nullptr);
}

AMCT_DECL quant_config load_config_json(const std::string& path)
{
    return read_config_json(detail::read_text_file(path), path);
}

AMCT_DECL void tag_invoke(const boost::json::value_from_tag&, boost::json::value& jv, const quant_config& c)
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
    if (c.fakequant_precision_mode != fakequant_precision::default_mode)
    {
        o["fakequant_precision_mode"] = enum_name(c.fakequant_precision_mode);
    }
    for (const auto& [name, l] : c.layers)
    {
        boost::json::object layer;
        layer["quant_enable"] = l.quant_enable;
        if (l.dmq_balancer_param)
        {
            layer["dmq_balancer_param"] = *l.dmq_balancer_param;
        }
        layer["activation_quant_params"] = detail::section_json(l.activation_quant_params, "act_algo", false);
        layer["weight_quant_params"] = detail::section_json(l.weight_quant_params, "wts_algo", true);
        o[name] = std::move(layer);
    }
    jv = std::move(o);
}

AMCT_DECL quant_config tag_invoke(const boost::json::value_to_tag<quant_config>&,
                                  const boost::json::value& jv)
{
    quant_config cfg;
    detail::throw_at_json_paths(
      [&](const detail::config_json_reader::report_fn& report)
      {
          cfg = detail::config_json_reader(report).read(jv);
      });
    return cfg;
}

AMCT_DECL std::string write_config_json(const quant_config& c)
{
    std::string out;
    detail::pretty(out, boost::json::value_from(c), 0);
    return out + "\n";
}
}  // namespace AMCT_ABI
}  // namespace amct
