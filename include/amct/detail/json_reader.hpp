// amct/detail/json_reader.hpp: the JSON front end shared by amct's JSON readers (config.json, the record's
// JSON form): parsing with file:line:column positions, repeated keys, typed field access that reports a
// wrong type at the field's JSON Pointer, and AMCT's pretty layout for writing.
#pragma once

#include <algorithm>    // std::min
#include <charconv>     // std::to_chars
#include <functional>   // std::function
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include <boost/json.hpp>

#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/detail/format.hpp>
#include <amct/detail/json_locator.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// Reads typed fields from a Boost.JSON DOM, reporting each problem with the JSON Pointer of its value (or
/// of its key, for an unknown key). Derived readers walk their schema with path_guard.
class json_field_reader
{
public:
    using report_fn =
      std::function<void(const std::string& pointer, bool at_key, const std::string& message)>;

    explicit json_field_reader(report_fn report)
      : m_report(std::move(report))
    {
    }

protected:
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
        const bool whole = v.is_int64() || v.is_uint64();
        m_report(p,
                 false,
                 qualified(who, field) + " = " + shown(v)
                   + (whole ? " is out of range (a 32-bit integer)" : " must be an integer"));
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
    check(json_field_reader::report_fn(
      [&](const std::string& pointer, bool, const std::string& message)
      {
          diags.push_back({source_location{"#" + pointer, 0, 0}, message});
      }));
    if (!diags.empty())
    {
        throw_error<config_error>(std::move(diags));
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

/// What is wrong where Boost.JSON stopped at byte `at`: a byte-order mark, a NaN or Infinity literal (JSON
/// numbers are finite, RFC 8259 section 6: moves `at` to the literal), or Boost.JSON's own message.
inline std::string json_syntax_problem(const std::string& text,
                                       std::size_t& at,
                                       const boost::system::error_code& ec)
{
    if (at == 0 && starts_with_byte_order_mark(text))
    {
        return byte_order_mark_message;
    }
    constexpr std::string_view word_chars = "+-.0123456789aefinotyAEFINTY";
    std::size_t from = std::min(at, text.size());
    while (from > 0 && word_chars.find(text[from - 1]) != std::string_view::npos)
    {
        --from;  // back to the start of the word Boost.JSON stopped in
    }
    std::size_t to = from;
    while (to < text.size() && word_chars.find(text[to]) != std::string_view::npos)
    {
        ++to;
    }
    const std::string word = text.substr(from, to - from);
    std::string lower;
    for (const char c : word.substr(!word.empty() && (word[0] == '-' || word[0] == '+') ? 1 : 0))
    {
        lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    if (lower == "nan" || lower == "inf" || lower == "infinity")
    {
        at = from;
        return word + " is not a JSON number";
    }
    return ec.message();
}

/// @brief Parses JSON `text` of `file` and runs `read(root, report)`, where report(pointer, at_key, message)
/// records a problem at a JSON Pointer; repeated keys are problems too, described by
/// `duplicate_message(pointer tokens)`. @throws config_error with every problem at file:line:column, sorted.
template <class Read>
void read_json_document(const std::string& text,
                        const std::string& file,
                        const std::function<std::string(const std::vector<std::string>&)>& duplicate_message,
                        Read&& read)
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
        std::size_t at = used;
        const std::string problem = json_syntax_problem(text, at, ec);
        diags.push_back({source.locate(at), "syntax error: " + problem});
        throw_error<config_error>(std::move(diags));
    }
    const boost::json::value root = parser.release();
    json_locator where(text);
    // Boost.JSON keeps the last of repeated keys: fewer members in the DOM than keys in the text means
    // repeats
    const bool repeated_keys = json_locator::key_count(text) != member_count(root);
    for (const auto& d : repeated_keys ? where.duplicates() : std::vector<json_locator::duplicate>{})
    {
        std::vector<std::string> tokens;
        for (std::size_t at = 1; at <= d.pointer.size();)
        {
            const std::size_t next = std::min(d.pointer.find('/', at), d.pointer.size());
            tokens.push_back(json_locator::unescape(d.pointer.substr(at, next - at)));
            at = next + 1;
        }
        const source_location first = source.locate(d.first);
        diags.push_back({source.locate(d.second),
                         duplicate_message(tokens) + " (first given at " + first.line_column() + ")"});
    }
    const json_field_reader::report_fn report =
      [&](const std::string& pointer, bool at_key, const std::string& message)
    {
        std::size_t at = at_key ? where.key_offset(pointer) : where.value_offset(pointer);
        diags.push_back({at == std::string::npos ? source_location{file, 0, 0} : source.locate(at), message});
    };
    read(root, report);
    if (!diags.empty())
    {
        sort_by_position(diags);
        throw_error<config_error>(std::move(diags));
    }
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
