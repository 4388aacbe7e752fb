// amct/dsl/quant_cfg.hpp: AMCT's simplified configuration (quant.cfg, protobuf text of AMCTConfig,
// amct-algorithms.md 7.2; seed 002) as typed structs, read with the schema rules of protobuf's TextFormat:
// unknown fields, wrong types, a second value for a non-repeated field (naming where the first was given),
// two members of one oneof and missing required fields are errors, all of them reported at once as
// file:line:column diagnostics. (AMCT's own Python reader lets a later duplicate win; amct rejects it.)
#pragma once

#include <cmath>     // std::isfinite
#include <map>       // std::map
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/detail/text_file.hpp>
#include <amct/dsl/schema_reader.hpp>
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
    std::optional<std::string> dst_type;   ///< INT8 or INT16
    std::optional<std::string> ifmr_mode;  ///< extension: EXACT (AMCT's) or BOUNDED (a streaming histogram)
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
};

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
                   else if (f.name == "ifmr_mode")
                       set(q.ifmr_mode, enumeration(f, {"EXACT", "BOUNDED"}), f, seen);
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
};
}  // namespace detail

/// @brief Reads quant.cfg text. @throws config_error: a syntax error (with the source line and a caret), or
/// every schema error of the file.
inline amct_cfg read_quant_cfg(std::string text, const std::string& file = "quant.cfg")
{
    amct_cfg cfg = detail::read_document<detail::quant_cfg_reader>(text, file);
    cfg.file = file;
    cfg.source = std::move(text);  // kept for the positions of later diagnostics
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
