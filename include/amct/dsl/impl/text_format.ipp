// amct/dsl/impl/text_format.ipp: the definitions of amct/dsl/text_format.hpp: the grammar (Spirit X3).
#pragma once

#include <cstddef>     // std::size_t
#include <functional>  // std::ref
#include <string>      // std::string
#include <utility>     // std::move
#include <vector>      // std::vector

#include <boost/spirit/home/x3.hpp>

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
namespace x3 = boost::spirit::x3;

/// protobuf's TextFormat::Parser refuses messages nested more than 100 deep (its default recursion limit),
/// which also bounds the grammar's recursion: the '{' or '<' of the 101st level is an error at its position.
inline constexpr std::size_t text_recursion_limit = 100;

/// Thrown by the builder at the '{' or '<' that opens a message beyond text_recursion_limit.
struct too_deep
{
    const char* at;
};

/// Collects the tree while the grammar runs (semantic actions call it through x3::with).
struct text_builder
{
    const char* begin = nullptr;
    std::vector<text_field> stack{text_field{}};  // stack[0] is the document
    std::string pending_name;
    std::size_t pending_name_offset = 0;
    bool in_list = false;
    std::string list_name;
    std::size_t list_name_offset = 0;

    void name(const std::string& n, const char* at)
    {
        pending_name = n;
        pending_name_offset = static_cast<std::size_t>(at - begin);
    }

    text_field make(text_field::kind k, std::string text, const char* at) const
    {
        text_field f;
        f.name = in_list ? list_name : pending_name;
        f.name_offset = in_list ? list_name_offset : pending_name_offset;
        f.type = k;
        f.text = std::move(text);
        f.value_offset = static_cast<std::size_t>(at - begin);
        return f;
    }

    void scalar(text_field::kind k, std::string text, const char* at)
    {
        stack.back().fields.push_back(make(k, std::move(text), at));
    }

    void open(const char* at)
    {
        if (stack.size()
            > text_recursion_limit)  // stack[0] is the document: this message is one level deeper
        {
            throw too_deep{at};
        }
        stack.push_back(make(text_field::kind::message, {}, at));
        in_list = false;
    }

    void close()
    {
        text_field done = std::move(stack.back());
        stack.pop_back();
        stack.back().fields.push_back(std::move(done));
    }

    void list_begin()
    {
        in_list = true;
        list_name = pending_name;
        list_name_offset = pending_name_offset;
    }

    void list_end()
    {
        in_list = false;
    }
};

struct builder_tag;

template <class Ctx>
inline text_builder& builder(const Ctx& ctx)
{
    return x3::get<builder_tag>(ctx).get();
}

/// Boost 1.81's X3 hands semantic actions the range [end of the match, end of input), so offsets are taken
/// from the end of each match (identifiers and numbers: minus their length) or from raw[] ranges (strings).
template <class Ctx>
inline const char* match_end(const Ctx& ctx)
{
    return &*x3::_where(ctx).begin();
}

/// The value of adjacent quoted strings as written between `from` and `to` (quotes and escapes resolved).
inline std::string unquote(const char* from, const char* to)
{
    std::string out;
    char quote = 0;
    for (const char* p = from; p < to; ++p)
    {
        if (!quote)
        {
            if (*p == '"' || *p == '\'')
            {
                quote = *p;
            }
            continue;  // white space and comments between adjacent strings
        }
        if (*p == quote)
        {
            quote = 0;
        }
        else if (*p == '\\' && p + 1 < to)
        {
            const char e = *++p;
            out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        }
        else
        {
            out += *p;
        }
    }
    return out;
}

inline const auto on_name = [](auto& ctx)
{
    const std::string& n = x3::_attr(ctx);
    builder(ctx).name(n, match_end(ctx) - n.size());
};
inline const auto on_string = [](auto& ctx)
{
    const auto& range = x3::_attr(ctx);
    builder(ctx).scalar(
      text_field::kind::string, unquote(&*range.begin(), &*range.begin() + range.size()), &*range.begin());
};
inline const auto on_number = [](auto& ctx)
{
    const std::string& t = x3::_attr(ctx);
    builder(ctx).scalar(text_field::kind::number, t, match_end(ctx) - t.size());
};
inline const auto on_identifier = [](auto& ctx)
{
    const std::string& t = x3::_attr(ctx);
    builder(ctx).scalar(text_field::kind::identifier, t, match_end(ctx) - t.size());
};
inline const auto on_open = [](auto& ctx)
{
    builder(ctx).open(match_end(ctx) - 1);
};
inline const auto on_close = [](auto& ctx)
{
    builder(ctx).close();
};
inline const auto on_list_begin = [](auto& ctx)
{
    builder(ctx).list_begin();
};
inline const auto on_list_end = [](auto& ctx)
{
    builder(ctx).list_end();
};

// ---- grammar ----

struct identifier_class;
struct string_class;
struct one_string_class;
struct number_class;
struct scalar_class;
struct message_class;
struct list_class;
struct field_class;
struct document_class;
struct value_class;
struct after_name_class;
struct close_brace_class;
struct close_angle_class;
struct close_bracket_class;

inline const x3::rule<identifier_class, std::string> identifier = "field name";
inline const x3::rule<string_class, boost::iterator_range<const char*>> quoted = "string";
inline const x3::rule<one_string_class> one_string = "string";
inline const x3::rule<number_class, std::string> number = "number";
inline const x3::rule<scalar_class> scalar = "value";
inline const x3::rule<message_class> message = "'{' or '<'";
inline const x3::rule<list_class> list = "'['";
inline const x3::rule<field_class> field = "field";
inline const x3::rule<document_class> document = "a field name";
inline const x3::rule<value_class> value = "a value, '{' or '['";
inline const x3::rule<after_name_class> after_name = "':' or '{'";
inline const x3::rule<close_brace_class> close_brace = "'}'";
inline const x3::rule<close_angle_class> close_angle = "'>'";
inline const x3::rule<close_bracket_class> close_bracket = "',' or ']'";

inline const auto escape = x3::lit('\\') > x3::char_("ntr\\\\'\"");
// ASCII character sets (bitset lookups) rather than the locale's classification: protobuf's tokenizer is
// ASCII.
inline const auto space = x3::char_(" \t\r\n\v\f");
inline const auto digit = x3::char_("0-9");
inline const auto word_char = x3::char_("a-zA-Z0-9_");
inline const auto identifier_def = x3::lexeme[x3::char_("a-zA-Z_") >> *word_char];
inline const auto one_string_def = x3::lexeme['"' > *(escape | ~x3::char_("\"\\\n")) > '"']
                                   | x3::lexeme['\'' > *(escape | ~x3::char_("'\\\n")) > '\''];
inline const auto quoted_def = x3::raw[x3::lexeme[one_string >> *(*space >> one_string)]];
inline const auto digits = +digit;
inline const auto exponent = x3::no_case['e'] >> -x3::char_("+-") >> digits;
inline const auto number_def =
  x3::raw[x3::lexeme[-x3::char_('-')
                     >> (x3::no_case["0x"] >> +x3::char_("0-9a-fA-F")
                         | ((digits >> -('.' >> *digit)) | ('.' >> digits)) >> -exponent >> -x3::no_case['f']
                         | x3::no_case[x3::lit("infinity") | "inf" | "nan"] >> !word_char)]];
inline const auto scalar_def = quoted[on_string] | number[on_number] | identifier[on_identifier];
inline const auto separator = -(x3::lit(',') | ';');
inline const auto close_brace_def = x3::lit('}')[on_close];
inline const auto close_angle_def = x3::lit('>')[on_close];
inline const auto close_bracket_def = x3::lit(']')[on_list_end];
inline const auto message_def = (x3::lit('{')[on_open] > *(field >> separator) > close_brace)
                                | (x3::lit('<')[on_open] > *(field >> separator) > close_angle);
inline const auto list_def = x3::lit('[')[on_list_begin] > -((message | scalar) % ',') > close_bracket;
inline const auto value_def = message | list | scalar;
inline const auto after_name_def = (x3::lit(':') > value) | message;
inline const auto field_def = identifier[on_name] > after_name;
inline const auto document_def = *(field >> separator) > x3::eoi;

BOOST_SPIRIT_DEFINE(identifier,
                    one_string,
                    quoted,
                    number,
                    scalar,
                    message,
                    list,
                    field,
                    document,
                    value,
                    after_name,
                    close_brace,
                    close_angle,
                    close_bracket)

/// Skips white space and # comments.
inline const auto skipper = space | x3::lexeme['#' >> *(x3::char_ - x3::eol)];
}  // namespace detail

AMCT_DECL text_field parse_text_format(const std::string& text, const std::string& file)
{
    namespace x3 = boost::spirit::x3;
    detail::text_builder b;
    b.begin = text.data();
    const char* first = text.data();
    const char* last = text.data() + text.size();
    const source_map source(file, text);
    const auto fail = [&](const char* where, const std::string& what)
    {
        while (where < last && (*where == ' ' || *where == '\t'))  // point at the offending token
        {
            ++where;
        }
        std::string why = what;
        const bool in_string =
          what == "expected '\"'" || what == "expected '\\''";  // a string left open at the line's end
        if (!in_string
            && text.find_first_not_of(" \t\r\n", static_cast<std::size_t>(where - text.data()))
                 == std::string::npos)
        {
            // at the end of the file: point just after the last token and name the message left open
            const std::size_t end = text.find_last_not_of(" \t\r\n");
            where = text.data() + (end == std::string::npos ? 0 : end + 1);
            why = "unexpected end of file: " + what;
            if (b.stack.size() > 1)
            {
                const text_field& open = b.stack.back();
                why += " to close \"" + open.name + "\" (opened at "
                       + source.locate(open.name_offset).line_column() + ")";
            }
        }
        const auto offset = static_cast<std::size_t>(where - text.data());
        const source_location loc = source.locate(offset);
        const std::string message = why + "\n" + source.excerpt(loc);
        amct::AMCT_ABI::detail::throw_error<config_error>(std::vector<diagnostic>{{loc, message}});
    };
    try
    {
        const bool ok = x3::phrase_parse(
          first, last, x3::with<detail::builder_tag>(std::ref(b))[detail::document], detail::skipper);
        if (!ok)
        {
            fail(first, "expected a field name");
        }
    }
    catch (const x3::expectation_failure<const char*>& e)
    {
        fail(e.where(), e.which() == "eoi" ? std::string("expected a field name") : "expected " + e.which());
    }
    catch (const detail::too_deep& e)
    {
        fail(e.at,
             "messages nested more than " + std::to_string(detail::text_recursion_limit)
               + " levels deep (protobuf's limit)");
    }
    return std::move(b.stack.front());
}
}  // namespace dsl
}  // namespace AMCT_ABI
}  // namespace amct
