// amct/dsl/quant_cfg.hpp: AMCT's simplified configuration (quant.cfg, protobuf text of AMCTConfig,
// amct-algorithms.md 7.2; seed 002) as typed structs, read with the schema rules of protobuf's TextFormat:
// unknown fields, wrong types, a second value for a non-repeated field (naming where the first was given),
// two members of one oneof and missing required fields are errors, all of them reported at once as
// file:line:column diagnostics. (AMCT's own Python reader lets a later duplicate win; amct rejects it.)
#pragma once

#include <algorithm>  // std::find_if
#include <cerrno>     // errno
#include <cmath>      // std::isfinite
#include <cstdlib>    // std::strtod, std::strtoull
#include <map>        // std::map
#include <optional>   // std::optional
#include <string>     // std::string
#include <vector>     // std::vector

#include <amct/config/diagnostic.hpp>
#include <amct/dsl/text_format.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace dsl
{
struct arq_quantize_cfg
{
    std::optional<bool> channel_wise;
    std::optional<std::string> quant_bits;  ///< INT8 (INT6, INT7 for Conv2d weights)
    std::size_t offset = 0;                 ///< where the message is given in amct_cfg::source
};

struct ifmr_quantize_cfg
{
    std::optional<double> search_range_start, search_range_end, search_step, max_percentile, min_percentile;
    std::optional<bool> asymmetric;
    std::optional<std::string> dst_type;  ///< INT8 or INT16
    std::size_t offset = 0;
};

struct hfmg_quantize_cfg
{
    std::optional<std::uint32_t> num_of_bins;
    std::optional<bool> asymmetric;
    std::optional<std::string> dst_type;
    std::size_t offset = 0;
};

struct dmq_balancer_cfg
{
    std::optional<double> migration_strength;
};

/// CalibrationConfig: oneof wts {arq_quantize}, oneof acts {ifmr_quantize, hfmg_quantize}, oneof
/// {dmq_balancer}.
struct calibration_config_cfg
{
    std::optional<arq_quantize_cfg> arq_quantize;
    std::optional<ifmr_quantize_cfg> ifmr_quantize;
    std::optional<hfmg_quantize_cfg> hfmg_quantize;
    std::optional<dmq_balancer_cfg> dmq_balancer;
    std::size_t offset = 0;
};

struct override_layer_type_cfg
{
    std::string layer_type;
    calibration_config_cfg calibration_config;
    std::size_t offset = 0;  ///< where the override starts in the file
};

struct override_layer_cfg
{
    std::string layer_name;
    calibration_config_cfg calibration_config;
    std::size_t offset = 0;
};

/// AMCTConfig.
struct amct_cfg
{
    std::optional<std::uint32_t> batch_num;
    std::optional<bool> activation_offset;
    std::vector<std::string> skip_layers;
    std::vector<std::string> skip_layer_types;
    std::optional<std::string> fakequant_precision_mode;
    std::optional<calibration_config_cfg> common_config;
    std::vector<override_layer_type_cfg> override_layer_types;
    std::vector<override_layer_cfg> override_layer_configs;
    std::optional<bool> do_fusion;
    std::vector<std::string> skip_fusion_layers;

    /// The file and text read (empty for a configuration built in code) and where each list entry was given,
    /// so that checks against a model can point into the file.
    std::string file = "quant.cfg";
    std::string source;
    std::vector<std::size_t> skip_layers_offsets, skip_layer_types_offsets, skip_fusion_layers_offsets;

    /// file:line:column of byte `offset` of `source`, or the file alone for a configuration built in code.
    source_location where(std::size_t offset) const
    {
        return source.empty() ? source_location{file, 0, 0} : locate(file, source, offset);
    }
};

namespace detail
{
/// Converts text_field trees to the structs above, collecting diagnostics.
class quant_cfg_reader
{
public:
    quant_cfg_reader(const std::string& text, const std::string& file)
      : m_text(text)
      , m_file(file)
    {
    }

    std::vector<diagnostic>& diagnostics() noexcept
    {
        return m_diags;
    }

    amct_cfg amct_config(const text_field& doc)
    {
        amct_cfg c;
        fields(doc,
               "AMCTConfig",
               [&](const text_field& f, seen_map& seen)
               {
                   if (f.name == "batch_num")
                       set(c.batch_num, uint32(f), f, seen);
                   else if (f.name == "activation_offset")
                       set(c.activation_offset, boolean(f), f, seen);
                   else if (f.name == "skip_layers")
                       push(c.skip_layers, c.skip_layers_offsets, f);
                   else if (f.name == "skip_layer_types")
                       push(c.skip_layer_types, c.skip_layer_types_offsets, f);
                   else if (f.name == "fakequant_precision_mode")
                       set(c.fakequant_precision_mode, enumeration(f, {"FORCE_FP16_QUANT"}), f, seen);
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
    /// The non-repeated fields of one message met so far, with their offsets (messages have few fields).
    using seen_map = std::vector<std::pair<const std::string*, std::size_t>>;

    /// Runs `each` on every field of `m`; `each` returns false for an unknown field.
    template <class F>
    void fields(const text_field& m, const char* type, F&& each)
    {
        seen_map seen;
        for (const auto& f : m.fields)
        {
            if (!each(f, seen))
            {
                report(f.name_offset, "unknown field \"" + f.name + "\" in " + type);
            }
        }
    }

    template <class T>
    void set(std::optional<T>& slot, std::optional<T> v, const text_field& f, seen_map& seen)
    {
        const auto it = std::find_if(seen.begin(),
                                     seen.end(),
                                     [&](const auto& s)
                                     {
                                         return *s.first == f.name;
                                     });
        if (it != seen.end())
        {
            const source_location first = locate(m_file, m_text, it->second);
            report(f.name_offset,
                   "\"" + f.name + "\" is given twice (first at " + first.line_column()
                     + "); it is not a repeated field");
            return;
        }
        seen.emplace_back(&f.name, f.name_offset);
        if (v)
        {
            slot = std::move(v);
        }
    }

    /// Two overrides of one layer (or type) would leave the choice to their order: an error.
    template <class Override>
    void unique(const std::vector<Override>& overrides, std::string Override::*key, const char* what)
    {
        std::map<std::string, std::size_t> first;
        for (const auto& o : overrides)
        {
            const auto [it, fresh] = first.emplace(o.*key, o.offset);
            if (!fresh)
            {
                const source_location at = locate(m_file, m_text, it->second);
                report(o.offset,
                       std::string(what) + " \"" + o.*key + "\" is given twice (first at " + at.line_column()
                         + ")");
            }
        }
    }

    void push(std::vector<std::string>& out, std::vector<std::size_t>& offsets, const text_field& f)
    {
        if (auto v = string(f))
        {
            out.push_back(std::move(*v));
            offsets.push_back(f.value_offset);
        }
    }

    /// Second member of a oneof: `group` names the oneof, `first` the member already set.
    void oneof(const text_field& f,
               const std::string& group,
               std::optional<std::string>& first,
               std::size_t& first_at)
    {
        if (first && *first != f.name)
        {
            const source_location where = locate(m_file, m_text, first_at);
            report(f.name_offset,
                   "\"" + f.name + "\" and \"" + *first + "\" (at " + where.line_column()
                     + ") are members of one oneof (" + group + "); give only one");
        }
        else if (!first)
        {
            first = f.name;
            first_at = f.name_offset;
        }
    }

    calibration_config_cfg calibration(const text_field& m)
    {
        calibration_config_cfg c;
        c.offset = m.name_offset;
        std::optional<std::string> acts;
        std::size_t acts_at = 0;
        fields(m,
               "CalibrationConfig",
               [&](const text_field& f, seen_map& seen)
               {
                   if (f.name == "arq_quantize")
                       set(c.arq_quantize,
                           message(f,
                                   [&](const text_field& x)
                                   {
                                       return arq(x);
                                   }),
                           f,
                           seen);
                   else if (f.name == "ifmr_quantize")
                   {
                       oneof(f, "acts", acts, acts_at);
                       set(c.ifmr_quantize,
                           message(f,
                                   [&](const text_field& x)
                                   {
                                       return ifmr(x);
                                   }),
                           f,
                           seen);
                   }
                   else if (f.name == "hfmg_quantize")
                   {
                       oneof(f, "acts", acts, acts_at);
                       set(c.hfmg_quantize,
                           message(f,
                                   [&](const text_field& x)
                                   {
                                       return hfmg(x);
                                   }),
                           f,
                           seen);
                   }
                   else if (f.name == "dmq_balancer")
                       set(c.dmq_balancer,
                           message(f,
                                   [&](const text_field& x)
                                   {
                                       return dmq(x);
                                   }),
                           f,
                           seen);
                   else if (f.name == "ada_quantize")
                       report(f.name_offset,
                              "ada_quantize (AdaRound) is not supported by amct; use arq_quantize");
                   else
                       return false;
                   return true;
               });
        return c;
    }

    arq_quantize_cfg arq(const text_field& m)
    {
        arq_quantize_cfg a;
        a.offset = m.name_offset;
        fields(m,
               "ARQuantize",
               [&](const text_field& f, seen_map& seen)
               {
                   if (f.name == "channel_wise")
                       set(a.channel_wise, boolean(f), f, seen);
                   else if (f.name == "quant_bits")
                       set(a.quant_bits, enumeration(f, {"INT8", "INT6", "INT7", "INT4"}), f, seen);
                   else
                       return false;
                   return true;
               });
        return a;
    }

    ifmr_quantize_cfg ifmr(const text_field& m)
    {
        ifmr_quantize_cfg q;
        q.offset = m.name_offset;
        fields(m,
               "IFMRQuantize",
               [&](const text_field& f, seen_map& seen)
               {
                   if (f.name == "search_range_start")
                       set(q.search_range_start, real(f), f, seen);
                   else if (f.name == "search_range_end")
                       set(q.search_range_end, real(f), f, seen);
                   else if (f.name == "search_step")
                       set(q.search_step, real(f), f, seen);
                   else if (f.name == "max_percentile")
                       set(q.max_percentile, real(f), f, seen);
                   else if (f.name == "min_percentile")
                       set(q.min_percentile, real(f), f, seen);
                   else if (f.name == "asymmetric")
                       set(q.asymmetric, boolean(f), f, seen);
                   else if (f.name == "dst_type")
                       set(q.dst_type, enumeration(f, {"INT8", "INT16"}), f, seen);
                   else
                       return false;
                   return true;
               });
        return q;
    }

    hfmg_quantize_cfg hfmg(const text_field& m)
    {
        hfmg_quantize_cfg q;
        q.offset = m.name_offset;
        fields(m,
               "HFMGQuantize",
               [&](const text_field& f, seen_map& seen)
               {
                   if (f.name == "num_of_bins")
                       set(q.num_of_bins, uint32(f), f, seen);
                   else if (f.name == "asymmetric")
                       set(q.asymmetric, boolean(f), f, seen);
                   else if (f.name == "dst_type")
                       set(q.dst_type, enumeration(f, {"INT8", "INT16"}), f, seen);
                   else
                       return false;
                   return true;
               });
        return q;
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

    // ---- scalars ----

    template <class F>
    auto message(const text_field& f, F&& convert) -> std::optional<decltype(convert(f))>
    {
        if (f.type != text_field::kind::message)
        {
            report(f.value_offset, "\"" + f.name + "\" is a message: write " + f.name + " { ... }");
            return std::nullopt;
        }
        return convert(f);
    }

    std::optional<bool> boolean(const text_field& f)
    {
        const std::string& t = f.text;
        if ((f.type == text_field::kind::identifier && (t == "true" || t == "True" || t == "t"))
            || (f.type == text_field::kind::number && t == "1"))
        {
            return true;
        }
        if ((f.type == text_field::kind::identifier && (t == "false" || t == "False" || t == "f"))
            || (f.type == text_field::kind::number && t == "0"))
        {
            return false;
        }
        return wrong(f, "true or false");
    }

    std::optional<std::string> string(const text_field& f)
    {
        if (f.type == text_field::kind::string)
        {
            return f.text;
        }
        wrong(f, "a quoted string");
        return std::nullopt;
    }

    std::optional<std::string> enumeration(const text_field& f, std::initializer_list<const char*> names)
    {
        std::string all;
        for (const char* n : names)
        {
            if (f.type == text_field::kind::identifier && f.text == n)
            {
                return f.text;
            }
            all += std::string(all.empty() ? "" : ", ") + n;
        }
        wrong(f, "one of " + all);
        return std::nullopt;
    }

    std::optional<std::uint32_t> uint32(const text_field& f)
    {
        const std::string& t = f.text;
        if (f.type == text_field::kind::number && !t.empty() && t[0] != '-'
            && t.find_first_of(".eEfFiInN") == std::string::npos)
        {
            errno = 0;
            char* end = nullptr;
            const unsigned long long v = std::strtoull(t.c_str(), &end, 0);  // decimal or 0x hex
            if (errno == 0 && *end == '\0' && v <= 0xFFFFFFFFull)
            {
                return static_cast<std::uint32_t>(v);
            }
        }
        wrong(f, "an unsigned 32-bit integer");
        return std::nullopt;
    }

    std::optional<double> real(const text_field& f)
    {
        std::string t = f.text;
        if (f.type == text_field::kind::number && t.find("0x") == std::string::npos
            && t.find("0X") == std::string::npos)
        {
            if (!t.empty() && (t.back() == 'f' || t.back() == 'F')
                && t.find_first_of("iInN") == std::string::npos)
            {
                t.pop_back();
            }
            char* end = nullptr;
            const double v = std::strtod(t.c_str(), &end);
            if (*end == '\0')
            {
                return v;
            }
        }
        wrong(f, "a number");
        return std::nullopt;
    }

    std::nullopt_t wrong(const text_field& f, const std::string& expected)
    {
        const std::string shown = f.type == text_field::kind::string    ? "\"" + f.text + "\""
                                  : f.type == text_field::kind::message ? "{ ... }"
                                                                        : f.text;
        report(f.value_offset, "\"" + f.name + "\" = " + shown + " must be " + expected);
        return std::nullopt;
    }

    void report(std::size_t offset, std::string message)
    {
        m_diags.push_back({locate(m_file, m_text, offset), std::move(message)});
    }

    const std::string& m_text;
    std::string m_file;
    std::vector<diagnostic> m_diags;
};
}  // namespace detail

/// @brief Reads quant.cfg text. @throws config_error: a syntax error (with the source line and a caret), or
/// every schema error of the file.
inline amct_cfg read_quant_cfg(const std::string& text, const std::string& file = "quant.cfg")
{
    const text_field doc = parse_text_format(text, file);
    detail::quant_cfg_reader reader(text, file);
    amct_cfg cfg = reader.amct_config(doc);
    if (!reader.diagnostics().empty())
    {
        throw config_error(std::move(reader.diagnostics()));
    }
    cfg.file = file;
    cfg.source = text;
    return cfg;
}

/// @brief Reads a quant.cfg file. @throws config_error (also when the file cannot be read).
inline amct_cfg load_quant_cfg(const std::string& path)
{
    return read_quant_cfg(amct::AMCT_ABI::detail::read_text_file(path), path);
}
}  // namespace dsl
}  // namespace AMCT_ABI
}  // namespace amct
