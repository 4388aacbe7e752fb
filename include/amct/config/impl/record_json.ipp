// amct/config/impl/record_json.ipp: the definitions of <amct/config/record_json.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <charconv>       // std::to_chars, std::from_chars
#include <cstdint>        // std::int32_t, std::uint32_t
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <vector>         // std::vector

#include <boost/json.hpp>

#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/record_json.hpp>
#include <amct/detail/json_reader.hpp>
#include <amct/detail/text_file.hpp>
#include <amct/model/record.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// The string fields of SingleLayerRecord.
inline constexpr std::pair<const char*, std::optional<std::string> layer_record::*> record_text_fields[] = {
  {"dst_type", &layer_record::dst_type},
  {"act_type", &layer_record::act_type},
  {"wts_type", &layer_record::wts_type},
  {"fakequant_precision_mode", &layer_record::fakequant_precision_mode}};

/// Reads ScaleOffsetRecord's JSON form, reporting problems at JSON Pointers.
class record_json_reader : public json_field_reader
{
public:
    using json_field_reader::json_field_reader;

    quant_record read(const boost::json::value& root)
    {
        quant_record rec;
        const auto* obj = root.if_object();
        if (!obj)
        {
            m_report("", false, "the record must be a JSON object {\"record\": [...]}");
            return rec;
        }
        for (const auto& member : *obj)
        {
            const std::string key(member.key());
            const path_guard p(m_path, key);
            if (key != "record")
            {
                m_report(p, true, "unknown key \"" + key + "\" (a record file has \"record\" only)");
            }
            else if (const auto* arr = member.value().if_array())
            {
                std::unordered_map<std::string, std::size_t> first;
                for (std::size_t i = 0; i < arr->size(); ++i)
                {
                    const path_guard at(m_path, std::to_string(i));
                    entry((*arr)[i], i, rec, first);
                }
            }
            else
            {
                m_report(p, false, "record must be a list of {\"key\": ..., \"value\": {...}}");
            }
        }
        return rec;
    }

private:
    void entry(const boost::json::value& v,
               std::size_t index,
               quant_record& rec,
               std::unordered_map<std::string, std::size_t>& first)
    {
        const auto* obj = v.if_object();
        if (!obj)
        {
            m_report(m_path, false, "record[" + std::to_string(index) + "] must be an object");
            return;
        }
        std::optional<std::string> key;
        layer_record r;
        std::string value_path;
        for (const auto& member : *obj)
        {
            const std::string k(member.key());
            const path_guard p(m_path, k);
            if (k == "key")
            {
                key = text(member.value(), p, "record[" + std::to_string(index) + "]: ", k);
            }
            else if (k == "value" && member.value().is_object())
            {
                r = value(member.value().get_object());
                value_path = p;
            }
            else if (k == "kv_cache_value")
            {
                m_report(p, true, "kv_cache_value (a KV-cache record) is not supported by amct");
            }
            else
            {
                m_report(
                  p, k != "value", k == "value" ? "value must be an object" : "unknown key \"" + k + "\"");
            }
        }
        if (!key)
        {
            m_report(m_path, false, "record[" + std::to_string(index) + "] is missing its key");
            return;
        }
        const auto [it, fresh] = first.emplace(*key, index);
        if (!fresh)
        {
            m_report(m_path + "/key",
                     false,
                     "record \"" + *key + "\" is given twice (first as record[" + std::to_string(it->second)
                       + "])");
            return;
        }
        check_layer_record(r,
                           [&](const char* field, long i, const std::string& message)
                           {
                               m_report(value_path + "/" + field + (i >= 0 ? "/" + std::to_string(i) : ""),
                                        false,
                                        "record \"" + *key + "\": " + message);
                           });
        rec.layers.emplace_back(*key, std::move(r));
    }

    layer_record value(const boost::json::object& obj)
    {
        layer_record r;
        for (const auto& member : obj)
        {
            const std::string k(member.key());
            const path_guard p(m_path, k);
            const boost::json::value& v = member.value();
            if (k == "scale_d" || k == "scale_h")
            {
                if (const auto x = number(v, p, "", k))
                {
                    (k == "scale_d" ? r.scale_d : r.scale_h) = static_cast<float>(*x);
                }
            }
            else if (k == "offset_d" || k == "offset_h")
            {
                (k == "offset_d" ? r.offset_d : r.offset_h) = integer(v, p, "", k);
            }
            else if (k == "scale_w" || k == "scale_r" || k == "tensor_balance_factor")
            {
                auto& out =
                  k == "scale_w" ? r.scale_w : (k == "scale_r" ? r.scale_r : r.tensor_balance_factor);
                each(v,
                     p,
                     k,
                     [&](const boost::json::value& x, const std::string& xp, const std::string& name)
                     {
                         if (const auto f = number(x, xp, "", name))
                         {
                             out.push_back(static_cast<float>(*f));
                         }
                     });
            }
            else if (k == "offset_w" || k == "offset_r")
            {
                auto& out = k == "offset_w" ? r.offset_w : r.offset_r;
                each(v,
                     p,
                     k,
                     [&](const boost::json::value& x, const std::string& xp, const std::string& name)
                     {
                         if (const auto i = integer(x, xp, "", name))
                         {
                             out.push_back(*i);
                         }
                     });
            }
            else if (k == "shift_bit")
            {
                each(v,
                     p,
                     k,
                     [&](const boost::json::value& x, const std::string& xp, const std::string& name)
                     {
                         if (const auto i = integer(x, xp, "", name))
                         {
                             check(*i >= 0, xp, "", name, x, "an unsigned integer");
                             r.shift_bit.push_back(static_cast<std::uint32_t>(*i < 0 ? 0 : *i));
                         }
                     });
            }
            else if (k == "skip_fusion")
            {
                r.skip_fusion = boolean(v, p, "", k);
            }
            else if (const auto field = text_field(k))
            {
                r.*field = text(v, p, "", k);
            }
            else
            {
                m_report(p, true, "unknown field \"" + k + "\" of a layer record");
            }
        }
        return r;
    }

    static std::optional<std::string> layer_record::*text_field(const std::string& name)
    {
        for (const auto& [n, field] : record_text_fields)
        {
            if (name == n)
            {
                return field;
            }
        }
        return nullptr;
    }

    /// Calls f(element, its pointer, "field[i]") for each element of the list `v`.
    template <class F>
    void each(const boost::json::value& v, const std::string& p, const std::string& field, F&& f)
    {
        const auto* arr = v.if_array();
        if (!arr)
        {
            m_report(p, false, field + " = " + shown(v) + " must be a list");
            return;
        }
        for (std::size_t i = 0; i < arr->size(); ++i)
        {
            f((*arr)[i], p + "/" + std::to_string(i), field + "[" + std::to_string(i) + "]");
        }
    }
};

/// The double nearest to the shortest decimal text of `f`, which JSON then prints in that short form.
inline double short_float(float f)
{
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, f);
    double d = f;
    std::from_chars(buf, r.ptr, d);
    return d;
}

inline boost::json::array float_list(const std::vector<float>& v)
{
    boost::json::array a;
    for (float x : v)
    {
        a.emplace_back(short_float(x));
    }
    return a;
}

template <class Int>
inline boost::json::array int_list(const std::vector<Int>& v)
{
    boost::json::array a;
    for (Int x : v)
    {
        a.emplace_back(x);
    }
    return a;
}
}  // namespace detail

AMCT_DECL quant_record read_record_json(const std::string& text, const std::string& file)
{
    quant_record rec;
    detail::read_json_document(
      text,
      file,
      [](const std::vector<std::string>& tokens)
      {
          return "duplicate key \"" + tokens.back() + "\"";
      },
      [&](const boost::json::value& root, const detail::json_field_reader::report_fn& report)
      {
          rec = detail::record_json_reader(report).read(root);
      });
    return rec;
}

AMCT_DECL quant_record load_record_json(const std::string& path)
{
    return read_record_json(detail::read_text_file(path), path);
}

AMCT_DECL std::string write_record_json(const quant_record& rec)
{
    boost::json::array entries;
    for (const auto& [key, r] : rec.layers)
    {
        boost::json::object v;
        if (r.scale_d)
        {
            v["scale_d"] = detail::short_float(*r.scale_d);
        }
        if (r.offset_d)
        {
            v["offset_d"] = *r.offset_d;
        }
        if (!r.scale_w.empty())
        {
            v["scale_w"] = detail::float_list(r.scale_w);
        }
        if (!r.offset_w.empty())
        {
            v["offset_w"] = detail::int_list(r.offset_w);
        }
        if (!r.shift_bit.empty())
        {
            v["shift_bit"] = detail::int_list(r.shift_bit);
        }
        if (!r.tensor_balance_factor.empty())
        {
            v["tensor_balance_factor"] = detail::float_list(r.tensor_balance_factor);
        }
        if (r.skip_fusion)
        {
            v["skip_fusion"] = *r.skip_fusion;
        }
        for (const auto& [name, field] : detail::record_text_fields)
        {
            if (r.*field)
            {
                v[name] = *(r.*field);
            }
        }
        if (r.scale_h)
        {
            v["scale_h"] = detail::short_float(*r.scale_h);
        }
        if (r.offset_h)
        {
            v["offset_h"] = *r.offset_h;
        }
        if (!r.scale_r.empty())
        {
            v["scale_r"] = detail::float_list(r.scale_r);
        }
        if (!r.offset_r.empty())
        {
            v["offset_r"] = detail::int_list(r.offset_r);
        }
        entries.push_back(boost::json::object{{"key", key}, {"value", std::move(v)}});
    }
    std::string out;
    detail::pretty(out, boost::json::object{{"record", std::move(entries)}}, 0);
    return out + "\n";
}
}  // namespace AMCT_ABI
}  // namespace amct
