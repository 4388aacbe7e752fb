// amct/base/diagnostic.hpp: what is wrong in a configuration file and where, in a compiler's format:
//   config.json:14:23: layer "conv1": activation_quant_params.search_step = 0.9 must be in (0, 0.6]
// config_error (amct/base/error.hpp) carries every diagnostic of a file, so that all of them are reported at
// once.
#pragma once

#include <algorithm>    // std::min, std::stable_sort, std::upper_bound
#include <cstddef>      // std::size_t
#include <string>       // std::string, std::to_string
#include <string_view>  // std::string_view
#include <utility>      // std::move
#include <vector>       // std::vector

#include <amct/base/macros.hpp>

namespace amct
{
/// The length of the well-formed UTF-8 sequence of a printable code point at the start of `s` (RFC 3629:
/// no overlong forms, no surrogates, at most U+10FFFF; C1 controls U+0080..U+009F and the invisible format
/// characters below are not printable), else 0.
inline std::size_t printable_utf8_length(std::string_view s) noexcept
{
    const auto b = [&](std::size_t i)
    {
        return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u;
    };
    const auto cont = [&](std::size_t i)
    {
        return (b(i) & 0xC0u) == 0x80u;
    };
    const unsigned c = b(0);
    if (c >= 0x20 && c < 0x7F)
    {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF && cont(1))
    {
        return c == 0xC2 && b(1) < 0xA0 ? 0 : 2;  // U+0080..U+009F: C1 controls
    }
    if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2))
    {
        const bool overlong = c == 0xE0 && b(1) < 0xA0;
        const bool surrogate = c == 0xED && b(1) >= 0xA0;
        // invisible format characters: U+200B..U+200F, U+2028..U+202E (line separators, bidi overrides),
        // U+2060..U+206F, U+FEFF (the byte-order mark)
        const unsigned cp = ((c & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
        const bool invisible = (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E)
                               || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF;
        return overlong || surrogate || invisible ? 0 : 3;
    }
    if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3))
    {
        const bool overlong = c == 0xF0 && b(1) < 0x90;
        const bool too_large = c == 0xF4 && b(1) >= 0x90;
        return overlong || too_large ? 0 : 4;
    }
    return 0;
}

/// `s` safe to print on a terminal: printable ASCII, tabs and well-formed printable UTF-8 as they are, every
/// other byte (control characters, invalid UTF-8) as \xNN; newlines kept when `keep_newlines`.
inline std::string escaped(std::string_view s, bool keep_newlines = false)
{
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();)
    {
        const std::size_t n = printable_utf8_length(s.substr(i));
        if (n > 0 || s[i] == '\t' || (keep_newlines && s[i] == '\n'))
        {
            const std::size_t k = n > 0 ? n : 1;
            out.append(s.substr(i, k));
            i += k;
            continue;
        }
        constexpr const char* hex = "0123456789ABCDEF";
        const auto c = static_cast<unsigned char>(s[i]);
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 0xF];
        ++i;
    }
    return out;
}

/// The UTF-8 byte-order mark EF BB BF. protobuf's TextFormat refuses it ("Interpreting non ascii codepoint
/// 239"); RFC 8259 lets a JSON parser refuse it too: amct names it in both files.
inline bool starts_with_byte_order_mark(std::string_view text) noexcept
{
    return text.substr(0, 3) == "\xEF\xBB\xBF";
}

inline constexpr const char* byte_order_mark_message =
  "the file starts with a UTF-8 byte-order mark (EF BB BF); save it without one";

/// A place in a text file; line and column count from 1 (column in bytes).
struct source_location
{
    std::string file;
    std::size_t line = 0;
    std::size_t column = 0;

    /// "line:column", for messages that point back at an earlier place in the same file.
    std::string line_column() const
    {
        return std::to_string(line) + ":" + std::to_string(column);
    }

    /// "file:line:column", or the file alone when the position is unknown.
    std::string to_string() const
    {
        return line > 0 ? file + ":" + line_column() : file;
    }
};

/// One problem in a configuration file.
struct diagnostic
{
    source_location where;
    std::string
      message;  ///< e.g. `layer "conv1": activation_quant_params.search_step = 0.9 must be in (0, 0.6]`

    /// `file:line:column: message` (the position is left out when unknown).
    std::string to_string() const
    {
        return where.to_string() + ": " + message;
    }
};

/// A file's text with its line starts, found on first use: file:line:column of any byte offset in
/// O(log lines), and the source line with a caret, as compilers print them. Keeps a reference to `text`.
class source_map
{
public:
    source_map(std::string file, const std::string& text)
      : m_file(std::move(file))
      , m_text(text)
    {
    }

    const std::string& file() const noexcept
    {
        return m_file;
    }

    /// Line and column (from 1, column in bytes) of byte `offset` (clamped to the end of the text).
    source_location locate(std::size_t offset) const
    {
        const auto& starts = line_starts();
        offset = std::min(offset, m_text.size());
        const auto line =
          static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), offset) - starts.begin());
        return {m_file, line, offset - starts[line - 1] + 1};
    }

    /// The line of `at` (escaped: amct::escaped) and a caret under its column.
    std::string excerpt(const source_location& at) const
    {
        const auto& starts = line_starts();
        if (at.line == 0 || at.line > starts.size())
        {
            return {};
        }
        const std::size_t from = starts[at.line - 1];
        const std::size_t to = std::min(m_text.find('\n', from), m_text.size());
        const std::string_view line = std::string_view(m_text).substr(from, to - from);
        const std::size_t before = std::min(at.column - 1, line.size());
        // the caret goes under the escaped form: one column per code point of the bytes before it
        std::size_t width = 0;
        for (std::size_t i = 0; i < before;)
        {
            const std::size_t n = printable_utf8_length(line.substr(i));
            width += n > 0 || line[i] == '\t' ? std::size_t{1} : std::size_t{4};
            i += n > 0 ? n : 1;
        }
        width += at.column - 1 - before;
        return escaped(line) + "\n" + std::string(width, ' ') + "^";
    }

private:
    const std::vector<std::size_t>& line_starts() const
    {
        if (m_starts.empty())
        {
            m_starts.push_back(0);
            for (std::size_t i = m_text.find('\n'); i != std::string::npos; i = m_text.find('\n', i + 1))
            {
                m_starts.push_back(i + 1);
            }
        }
        return m_starts;
    }

    std::string m_file;
    const std::string& m_text;
    mutable std::vector<std::size_t> m_starts;
};

/// Line and column (from 1) of byte `offset` in `text`; for one lookup (source_map for many).
inline source_location locate(const std::string& file, const std::string& text, std::size_t offset)
{
    return source_map(file, text).locate(offset);
}

inline namespace AMCT_ABI
{
namespace detail
{
/// Orders diagnostics by line and column (stable: problems at one place keep their order).
inline void sort_by_position(std::vector<diagnostic>& diags)
{
    std::stable_sort(diags.begin(),
                     diags.end(),
                     [](const diagnostic& a, const diagnostic& b)
                     {
                         return a.where.line != b.where.line ? a.where.line < b.where.line
                                                             : a.where.column < b.where.column;
                     });
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
