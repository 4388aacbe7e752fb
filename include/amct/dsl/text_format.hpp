// amct/dsl/text_format.hpp: a schema-free parser of the protobuf text format (Boost.Spirit X3), the syntax of
// AMCT's quant.cfg and record.txt. It accepts what protobuf's TextFormat accepts: # comments; `field: value`;
// `msg { }`, `msg: { }` and `msg < >`; repeated fields by repetition and as `[a, b]` lists; single- and
// double-quoted strings with escapes and adjacent-string concatenation; numbers (1, -1, .5, 1e-3, 1.0f, inf,
// nan, 0x10); identifiers (true, false, enum names); an optional `,` or `;` after each field. The result is a
// tree of text_field nodes with byte offsets; amct/dsl/quant_cfg.hpp gives them types and meaning.
#pragma once

#include <cstddef>  // std::size_t
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace dsl
{
/// One field of a text-format message. A list `f: [a, b]` becomes two fields named f.
struct text_field
{
    enum class kind
    {
        string,      ///< a quoted string (adjacent strings concatenated, escapes resolved)
        number,      ///< a numeric token as written (sign included)
        identifier,  ///< true, false, an enum value name, inf, nan
        message      ///< `{ ... }` or `< ... >`
    };

    std::string name;
    std::size_t name_offset = 0;
    kind type = kind::identifier;
    std::string text;  ///< the scalar's value (unescaped for strings)
    std::size_t value_offset = 0;
    std::vector<text_field> fields;  ///< a message's fields, in order
};

/// @brief Parses text-format `text`. @throws config_error "file:line:col: expected ..." with the source line
/// and a caret under the spot.
AMCT_DECL text_field parse_text_format(const std::string& text, const std::string& file);
}  // namespace dsl
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/dsl/impl/text_format.ipp>
#endif
