// amct/dsl/schema_reader.hpp: the rules of protobuf's TextFormat for reading a text_field tree into typed
// structs: unknown fields, wrong types, a second value for a non-repeated field (naming where the first was
// given), two members of one oneof, two entries with one key; every problem collected as a file:line:column
// diagnostic. The readers of quant.cfg and record.txt derive from it.
#pragma once

#include <algorithm>         // std::find_if
#include <cerrno>            // errno
#include <cstdint>           // std::int32_t, std::uint32_t
#include <cstdlib>           // std::strtod, std::strtoll, std::strtoull
#include <initializer_list>  // std::initializer_list
#include <map>               // std::map
#include <optional>          // std::optional
#include <string>            // std::string
#include <utility>           // std::pair
#include <vector>            // std::vector

#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/dsl/text_format.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace dsl
{
namespace detail
{
/// Typed access to the fields of a parsed text-format document, collecting diagnostics.
class schema_reader
{
public:
    schema_reader(const std::string& text, const std::string& file)
      : m_source(file, text)
    {
    }

    std::vector<diagnostic>& diagnostics() noexcept
    {
        return m_diags;
    }

protected:
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

    /// Whether `f` is the first of its name in this message; a second one of a non-repeated field is
    /// reported.
    bool first_time(const text_field& f, seen_map& seen)
    {
        const auto it = std::find_if(seen.begin(),
                                     seen.end(),
                                     [&](const auto& s)
                                     {
                                         return *s.first == f.name;
                                     });
        if (it != seen.end())
        {
            const source_location first = m_source.locate(it->second);
            report(f.name_offset,
                   "\"" + f.name + "\" is given twice (first at " + first.line_column()
                     + "); it is not a repeated field");
            return false;
        }
        seen.emplace_back(&f.name, f.name_offset);
        return true;
    }

    template <class T>
    void set(std::optional<T>& slot, std::optional<T> v, const text_field& f, seen_map& seen)
    {
        if (!first_time(f, seen))
        {
            return;
        }
        if (v)
        {
            slot = std::move(v);
        }
    }

    /// Two entries with one key (overrides of one layer, records of one layer) would leave the choice to
    /// their order: an error. `Entry` has the key and an `offset`.
    template <class Entry>
    void unique(const std::vector<Entry>& entries, std::string Entry::*key, const char* what)
    {
        std::map<std::string, std::size_t> first;
        for (const auto& o : entries)
        {
            const auto [it, fresh] = first.emplace(o.*key, o.offset);
            if (!fresh)
            {
                const source_location at = m_source.locate(it->second);
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
            const source_location where = m_source.locate(first_at);
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
        const std::vector<std::string> all(names.begin(), names.end());
        const auto i = enumeration_index(f, all);
        return i ? std::optional<std::string>(all[*i]) : std::nullopt;
    }

    /// The index of the enum value `f` names among `names`; reported when none.
    std::optional<std::size_t> enumeration_index(const text_field& f, const std::vector<std::string>& names)
    {
        std::string all;
        for (std::size_t i = 0; i < names.size(); ++i)
        {
            if (f.type == text_field::kind::identifier && f.text == names[i])
            {
                return i;
            }
            all += (all.empty() ? "" : ", ") + names[i];
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

    std::optional<std::int32_t> int32(const text_field& f)
    {
        const std::string& t = f.text;
        if (f.type == text_field::kind::number && t.find_first_of(".eEfFiInN") == std::string::npos)
        {
            errno = 0;
            char* end = nullptr;
            const long long v = std::strtoll(t.c_str(), &end, 0);  // decimal or 0x hex
            if (errno == 0 && *end == '\0' && v >= INT32_MIN && v <= INT32_MAX)
            {
                return static_cast<std::int32_t>(v);
            }
        }
        wrong(f, "a 32-bit integer");
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
        report(f.value_offset, "\"" + f.name + "\" = " + escaped(shown) + " must be " + expected);
        return std::nullopt;
    }

    void report(std::size_t offset, std::string message)
    {
        m_diags.push_back({m_source.locate(offset), std::move(message)});
    }

    source_map m_source;
    std::vector<diagnostic> m_diags;
};

/// Parses `text` and converts it with `Reader` (a schema_reader with `read(doc)`). @throws config_error: the
/// syntax error, or every schema problem sorted by position.
template <class Reader>
auto read_document(const std::string& text, const std::string& file)
{
    const text_field doc = parse_text_format(text, file);
    Reader reader(text, file);
    auto result = reader.read(doc);
    if (!reader.diagnostics().empty())
    {
        amct::AMCT_ABI::detail::sort_by_position(reader.diagnostics());
        amct::AMCT_ABI::detail::throw_error<config_error>(std::move(reader.diagnostics()));
    }
    return result;
}
}  // namespace detail
}  // namespace dsl
}  // namespace AMCT_ABI
}  // namespace amct
