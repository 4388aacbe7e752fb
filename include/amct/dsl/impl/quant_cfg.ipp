// amct/dsl/impl/quant_cfg.ipp: the definitions of amct/dsl/quant_cfg.hpp: quant.cfg's schema reader.
#pragma once

#include <amct/detail/text_file.hpp>
#include <amct/dsl/quant_cfg.hpp>
#include <amct/dsl/schema_reader.hpp>
#include <amct/dsl/text_format.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace dsl
{
namespace detail
{
/// Converts text_field trees to the structs above, collecting diagnostics.
class quant_cfg_reader : public schema_reader
{
public:
    using schema_reader::schema_reader;

    amct_cfg read(const text_field& doc)
    {
        amct_cfg c;
        fields(doc,
               "AMCTConfig",
               [&](const text_field& f, seen_map& seen)
               {
                   if (f.name == "batch_num")
                       set(c.batch_num, batch_num(f), f, seen);
                   else if (f.name == "activation_offset")
                       set(c.activation_offset, boolean(f), f, seen);
                   else if (f.name == "skip_layers")
                       push(c.skip_layers, c.skip_layers_offsets, f);
                   else if (f.name == "skip_layer_types")
                       push(c.skip_layer_types, c.skip_layer_types_offsets, f);
                   else if (f.name == "fakequant_precision_mode")
                   {
                       auto mode = enumeration(f, {"FORCE_FP16_QUANT"});
                       if (mode)
                           report(f.value_offset, force_fp16_unimplemented);
                       set(c.fakequant_precision_mode, std::move(mode), f, seen);
                   }
                   else if (f.name == "common_config")
                       set(c.common_config,
                           message(f,
                                   [&](const text_field& m)
                                   {
                                       return calibration(m);
                                   }),
                           f,
                           seen);
                   else if (f.name == "override_layer_types")
                   {
                       if (auto o = message(f,
                                            [&](const text_field& m)
                                            {
                                                return override_type(m);
                                            }))
                           c.override_layer_types.push_back(std::move(*o));
                   }
                   else if (f.name == "override_layer_configs")
                   {
                       if (auto o = message(f,
                                            [&](const text_field& m)
                                            {
                                                return override_layer(m);
                                            }))
                           c.override_layer_configs.push_back(std::move(*o));
                   }
                   else if (f.name == "do_fusion")
                       set(c.do_fusion, boolean(f), f, seen);
                   else if (f.name == "skip_fusion_layers")
                       push(c.skip_fusion_layers, c.skip_fusion_layers_offsets, f);
                   else
                       return false;
                   return true;
               });
        unique(c.override_layer_types, &override_layer_type_cfg::layer_type, "override_layer_types");
        unique(c.override_layer_configs, &override_layer_cfg::layer_name, "override_layer_configs");
        return c;
    }

private:
    calibration_config_cfg calibration(const text_field& m)
    {
        calibration_config_cfg c;
        c.offset = m.name_offset;
        std::optional<std::string> acts, wts;
        std::size_t acts_at = 0, wts_at = 0;
        fields(m,
               "CalibrationConfig",
               [&](const text_field& f, seen_map& seen)
               {
                   if (algorithm_message<activation_algorithms>(f, seen, "acts", acts, acts_at, c.activations)
                       || algorithm_message<weight_algorithms>(f, seen, "wts", wts, wts_at, c.weights))
                       return true;
                   if (f.name == "dmq_balancer")
                   {
                       set(c.dmq_balancer,
                           message(f,
                                   [&](const text_field& x)
                                   {
                                       return dmq(x);
                                   }),
                           f,
                           seen);
                       report(f.name_offset, dmq_balancer_unimplemented);
                   }
                   else if (f.name == "ada_quantize")
                       report(f.name_offset,
                              "ada_quantize (AdaRound) is not supported by amct; use arq_quantize");
                   else
                       return false;
                   return true;
               });
        return c;
    }

    /// A member of a oneof of algorithm messages (List's algorithms with a cfg_message): read into `slot`.
    /// Returns false when `f` is none of them.
    template <class List, class Params>
    bool algorithm_message(const text_field& f,
                           seen_map& seen,
                           const char* oneof_name,
                           std::optional<std::string>& first,
                           std::size_t& first_at,
                           std::optional<algorithm_cfg<Params>>& slot)
    {
        bool found = false;
        std::apply(
          [&](auto... defaults)
          {
              (
                [&](auto p)
                {
                    using P = decltype(p);
                    if (found || P::cfg_message.empty() || f.name != P::cfg_message)
                    {
                        return;
                    }
                    found = true;
                    oneof(f, oneof_name, first, first_at);
                    set(slot,
                        message(f,
                                [&](const text_field& x)
                                {
                                    return algorithm<Params, P>(x);
                                }),
                        f,
                        seen);
                }(defaults),
                ...);
          },
          typename List::defaults{});
        return found;
    }

    /// One algorithm message: each field by its cfg spelling, then the algorithm's validator, each problem at
    /// its field (or at the message, for a default that conflicts with a given field).
    template <class Params, class P>
    algorithm_cfg<Params> algorithm(const text_field& m)
    {
        algorithm_cfg<Params> a;
        a.offset = m.name_offset;
        P params;
        const std::string type(P::cfg_type);
        fields(
          m,
          type.c_str(),
          [&](const text_field& f, seen_map& seen)
          {
              bool known = false;
              for_each_field<P>(
                [&](const auto& fld, std::size_t i)
                {
                    if (known || !fld.cfg.present()
                        || (f.name != fld.cfg.name && (fld.cfg.second.empty() || f.name != fld.cfg.second)))
                    {
                        return;
                    }
                    known = true;
                    if (first_time(f, seen) && read_value(fld, f, params))
                    {
                        a.given |= field_set{1} << i;
                        a.field_offsets[i] = f.value_offset;
                    }
                });
              return known;
          });
        std::vector<std::string_view> reported;
        check_params(params,
                     [&](std::string_view key, const std::string& shown, const std::string& rule)
                     {
                         for (const auto r : reported)
                         {
                             if (r == key)
                             {
                                 return;
                             }
                         }
                         reported.push_back(key);
                         for_each_field<P>(
                           [&](const auto& fld, std::size_t i)
                           {
                               if (fld.key != key)
                               {
                                   return;
                               }
                               const bool given = (a.given & (field_set{1} << i)) != 0;
                               report(given ? a.field_offsets[i] : a.offset,
                                      cfg_name(fld) + " = " + cfg_value(fld, shown) + " must be " + rule);
                           });
                     });
        a.params = params;
        return a;
    }

    /// "search_step", or "search_range_start" and "search_range_end" for a range field.
    template <class F>
    static std::string cfg_name(const F& fld)
    {
        const std::string first = "\"" + std::string(fld.cfg.name) + "\"";
        return fld.cfg.second.empty() ? first : first + " and \"" + std::string(fld.cfg.second) + "\"";
    }

    /// A value as quant.cfg spells it: a bit width of an enum field as INT<bits>.
    template <class F>
    static std::string cfg_value(const F& fld, const std::string& shown)
    {
        return fld.cfg.bit_enum() ? "INT" + shown : shown;
    }

    /// Reads one field's value into `params`; false (reported) for a wrong value.
    template <class F, class P>
    bool read_value(const F& fld, const text_field& f, P& params)
    {
        if constexpr (amct::AMCT_ABI::is_range_field_v<F>)
        {
            const auto v = real(f);
            if (v)
            {
                params.*(f.name == fld.cfg.name ? fld.first : fld.second) = *v;
            }
            return v.has_value();
        }
        else
        {
            using T = typename F::value_type;
            std::optional<T> v;
            if constexpr (std::is_same_v<T, bool>)
            {
                v = boolean(f);
            }
            else if constexpr (std::is_enum_v<T>)
            {
                v = enum_value<T>(f);
            }
            else if constexpr (std::is_same_v<T, int>)
            {
                v = fld.cfg.bit_enum() ? bit_width(f, fld.cfg.bits) : integer(f);
            }
            else if constexpr (std::is_same_v<T, double>)
            {
                v = real(f);
            }
            if (v)
            {
                params.*(fld.member) = *v;
            }
            return v.has_value();
        }
    }

    /// An enum by the upper-case spelling of its names (ifmr_mode: EXACT, BOUNDED).
    template <class E>
    std::optional<E> enum_value(const text_field& f)
    {
        std::vector<std::string> upper;
        for (const auto n : enum_names<E>::values)
        {
            std::string u(n);
            for (char& ch : u)
            {
                ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
            }
            upper.push_back(std::move(u));
        }
        const auto i = enumeration_index(f, upper);
        return i ? std::optional<E>(static_cast<E>(*i)) : std::nullopt;
    }

    /// A bit width written as an enum of INT<bits> names, in the order of `bits`.
    std::optional<int> bit_width(const text_field& f, const std::array<int, 4>& bits)
    {
        std::vector<std::string> names;
        for (const int b : bits)
        {
            if (b != 0)
            {
                names.push_back("INT" + std::to_string(b));
            }
        }
        const auto i = enumeration_index(f, names);
        return i ? std::optional<int>(bits[*i]) : std::nullopt;
    }

    /// AMCTConfig.batch_num: a uint32 of the schema, in batch_num_rule (as config.json's batch_num).
    std::optional<std::uint32_t> batch_num(const text_field& f)
    {
        const auto v = uint32(f);
        if (v && !(*v <= static_cast<std::uint32_t>(INT_MAX) && batch_num_rule(static_cast<int>(*v))))
        {
            report(f.value_offset, "batch_num = " + std::to_string(*v) + " must be " + batch_num_rule.text());
            return std::nullopt;
        }
        return v;
    }

    /// An unsigned 32-bit integer field held in an int (larger values are reported).
    std::optional<int> integer(const text_field& f)
    {
        const auto v = uint32(f);
        if (v && *v > static_cast<std::uint32_t>(INT_MAX))
        {
            wrong(f, "at most " + std::to_string(INT_MAX));
            return std::nullopt;
        }
        return v ? std::optional<int>(static_cast<int>(*v)) : std::nullopt;
    }

    dmq_balancer_cfg dmq(const text_field& m)
    {
        dmq_balancer_cfg d;
        fields(m,
               "DMQBalancer",
               [&](const text_field& f, seen_map& seen)
               {
                   if (f.name == "migration_strength")
                       set(d.migration_strength, real(f), f, seen);
                   else
                       return false;
                   return true;
               });
        return d;
    }

    template <class Override>
    Override override_common(const text_field& m,
                             const char* type,
                             const char* key_field,
                             std::string Override::*key)
    {
        Override o;
        o.offset = m.value_offset;
        bool have_key = false, have_config = false;
        fields(m,
               type,
               [&](const text_field& f, seen_map& seen)
               {
                   if (f.name == key_field)
                   {
                       std::optional<std::string> s;
                       set(s, string(f), f, seen);
                       if (s)
                       {
                           o.*key = *s;
                           have_key = true;
                       }
                   }
                   else if (f.name == "calibration_config")
                   {
                       std::optional<calibration_config_cfg> c;
                       set(c,
                           message(f,
                                   [&](const text_field& x)
                                   {
                                       return calibration(x);
                                   }),
                           f,
                           seen);
                       if (c)
                       {
                           o.calibration_config = std::move(*c);
                           have_config = true;
                       }
                   }
                   else
                       return false;
                   return true;
               });
        if (!have_key)
        {
            report(m.value_offset,
                   std::string(type) + " is missing its required field \"" + key_field + "\"");
        }
        if (!have_config)
        {
            report(m.value_offset,
                   std::string(type) + " is missing its required field \"calibration_config\"");
        }
        return o;
    }

    override_layer_type_cfg override_type(const text_field& m)
    {
        return override_common(m, "OverrideLayerType", "layer_type", &override_layer_type_cfg::layer_type);
    }

    override_layer_cfg override_layer(const text_field& m)
    {
        return override_common(m, "OverrideLayer", "layer_name", &override_layer_cfg::layer_name);
    }
};
}  // namespace detail

AMCT_DECL amct_cfg read_quant_cfg(std::string text, const std::string& file)
{
    if (starts_with_byte_order_mark(text))
    {
        amct::AMCT_ABI::detail::throw_error<config_error>(
          std::vector<diagnostic>{{source_location{file, 1, 1}, byte_order_mark_message}});
    }
    amct_cfg cfg = detail::read_document<detail::quant_cfg_reader>(text, file);
    cfg.file = file;
    cfg.source = std::move(text);  // kept for the positions of later diagnostics
    return cfg;
}

AMCT_DECL amct_cfg load_quant_cfg(const std::string& path)
{
    return read_quant_cfg(amct::AMCT_ABI::detail::read_text_file(path), path);
}
}  // namespace dsl
}  // namespace AMCT_ABI
}  // namespace amct
