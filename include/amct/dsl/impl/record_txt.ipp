// amct/dsl/impl/record_txt.ipp: the definitions of amct/dsl/record_txt.hpp: record.txt's schema reader and
// writer.
#pragma once

#include <amct/detail/format.hpp>
#include <amct/detail/text_file.hpp>
#include <amct/dsl/record_txt.hpp>
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
/// Converts a parsed record.txt into a quant_record, collecting diagnostics.
class record_reader : public schema_reader
{
public:
    using schema_reader::schema_reader;

    quant_record read(const text_field& doc)
    {
        std::vector<entry> entries;
        fields(doc,
               "ScaleOffsetRecord",
               [&](const text_field& f, seen_map&)
               {
                   if (f.name == "record")
                   {
                       if (auto e = message(f,
                                            [&](const text_field& m)
                                            {
                                                return map_entry(m);
                                            }))
                       {
                           entries.push_back(std::move(*e));
                       }
                   }
                   else if (f.name == "prune_record")
                       report(f.name_offset, "prune_record is not supported by amct (a pruning record)");
                   else
                       return false;
                   return true;
               });
        unique(entries, &entry::key, "record");
        quant_record rec;
        for (auto& e : entries)
        {
            rec.layers.emplace_back(std::move(e.key), std::move(e.value));
        }
        return rec;
    }

private:
    struct entry
    {
        std::string key;
        layer_record value;
        std::size_t offset = 0;
    };

    entry map_entry(const text_field& m)
    {
        entry e;
        e.offset = m.value_offset;
        std::optional<std::string> key;
        std::optional<layer_record> layer_value;
        fields(m,
               "MapFiledEntry",
               [&](const text_field& f, seen_map& seen)
               {
                   if (f.name == "key")
                       set(key, string(f), f, seen);
                   else if (f.name == "value")
                       set(layer_value,
                           message(f,
                                   [&](const text_field& x)
                                   {
                                       return layer(x, key.value_or("?"));
                                   }),
                           f,
                           seen);
                   else if (f.name == "kv_cache_value")
                       report(f.name_offset, "kv_cache_value (a KV-cache record) is not supported by amct");
                   else
                       return false;
                   return true;
               });
        if (!key)
        {
            report(m.value_offset, "record is missing its key");
        }
        e.key = key.value_or("");
        e.value = layer_value.value_or(layer_record{});
        return e;
    }

    layer_record layer(const text_field& m, const std::string& key)
    {
        layer_record r;
        fields(m,
               "SingleLayerRecord",
               [&](const text_field& f, seen_map& seen)
               {
                   if (f.name == "scale_d")
                       set(r.scale_d, as_float(f), f, seen);
                   else if (f.name == "offset_d")
                       set(r.offset_d, int32(f), f, seen);
                   else if (f.name == "scale_w")
                       append(r.scale_w, as_float(f));
                   else if (f.name == "offset_w")
                       append(r.offset_w, int32(f));
                   else if (f.name == "shift_bit")
                       append(r.shift_bit, uint32(f));
                   else if (f.name == "tensor_balance_factor")
                       append(r.tensor_balance_factor, as_float(f));
                   else if (f.name == "skip_fusion")
                       set(r.skip_fusion, boolean(f), f, seen);
                   else if (f.name == "dst_type")
                       set(r.dst_type, string(f), f, seen);
                   else if (f.name == "act_type")
                       set(r.act_type, string(f), f, seen);
                   else if (f.name == "wts_type")
                       set(r.wts_type, string(f), f, seen);
                   else if (f.name == "fakequant_precision_mode")
                       set(r.fakequant_precision_mode, string(f), f, seen);
                   else if (f.name == "scale_h")
                       set(r.scale_h, as_float(f), f, seen);
                   else if (f.name == "offset_h")
                       set(r.offset_h, int32(f), f, seen);
                   else if (f.name == "scale_r")
                       append(r.scale_r, as_float(f));
                   else if (f.name == "offset_r")
                       append(r.offset_r, int32(f));
                   else
                       return false;
                   return true;
               });
        amct::check_layer_record(r,
                                 [&](const char* name, long index, const std::string& message)
                                 {
                                     // at the index-th value of the field (its first for a scalar), else at
                                     // the record
                                     std::size_t at = m.value_offset;
                                     long seen = index < 0 ? 0 : index;
                                     for (const auto& f : m.fields)
                                     {
                                         if (f.name == name && seen-- == 0)
                                         {
                                             at = f.value_offset;
                                             break;
                                         }
                                     }
                                     report(at, "record \"" + key + "\": " + message);
                                 });
        return r;
    }

    std::optional<float> as_float(const text_field& f)
    {
        if (const auto v = real(f))
        {
            return static_cast<float>(*v);
        }
        return std::nullopt;
    }

    template <class T>
    static void append(std::vector<T>& out, const std::optional<T>& v)
    {
        if (v)
        {
            out.push_back(*v);
        }
    }
};

/// A text-format string literal.
inline std::string text_literal(const std::string& s)
{
    std::string out = "\"";
    for (const char c : s)
    {
        out += c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : std::string(1, c);
    }
    return out + "\"";
}
}  // namespace detail

AMCT_DECL quant_record read_record_txt(const std::string& text, const std::string& file)
{
    return detail::read_document<detail::record_reader>(text, file);
}

AMCT_DECL quant_record load_record_txt(const std::string& path)
{
    return read_record_txt(amct::AMCT_ABI::detail::read_text_file(path), path);
}

AMCT_DECL std::string write_record_txt(const quant_record& rec)
{
    const auto float_text = [](float v)
    {
        return amct::AMCT_ABI::detail::number_to_string(
          v);  // 9 significant digits: the same float reads back
    };
    using detail::text_literal;
    std::string out;
    auto line = [&](const char* name, const std::string& value)
    {
        out += "    ";
        out += name;
        out += ": " + value + "\n";
    };
    for (const auto& [key, r] : rec.layers)
    {
        out += "record {\n  key: " + text_literal(key) + "\n  value {\n";
        if (r.scale_d)
            line("scale_d", float_text(*r.scale_d));
        if (r.offset_d)
            line("offset_d", std::to_string(*r.offset_d));
        for (const float v : r.scale_w)
            line("scale_w", float_text(v));
        for (const auto v : r.offset_w)
            line("offset_w", std::to_string(v));
        for (const auto v : r.shift_bit)
            line("shift_bit", std::to_string(v));
        for (const float v : r.tensor_balance_factor)
            line("tensor_balance_factor", float_text(v));
        if (r.skip_fusion)
            line("skip_fusion", *r.skip_fusion ? "true" : "false");
        if (r.dst_type)
            line("dst_type", text_literal(*r.dst_type));
        if (r.act_type)
            line("act_type", text_literal(*r.act_type));
        if (r.wts_type)
            line("wts_type", text_literal(*r.wts_type));
        if (r.fakequant_precision_mode)
            line("fakequant_precision_mode", text_literal(*r.fakequant_precision_mode));
        if (r.scale_h)
            line("scale_h", float_text(*r.scale_h));
        if (r.offset_h)
            line("offset_h", std::to_string(*r.offset_h));
        for (const float v : r.scale_r)
            line("scale_r", float_text(v));
        for (const auto v : r.offset_r)
            line("offset_r", std::to_string(v));
        out += "  }\n}\n";
    }
    return out;
}
}  // namespace dsl
}  // namespace AMCT_ABI
}  // namespace amct
