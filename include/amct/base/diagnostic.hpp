// amct/base/diagnostic.hpp: what is wrong in a configuration file and where, in a compiler's format:
//   config.json:14:23: layer "conv1": activation_quant_params.search_step = 0.9 must be in (0, 0.6]
// config_error (amct/base/error.hpp) carries every diagnostic of a file, so that all of them are reported at
// once.
#pragma once

#include <algorithm>  // std::min, std::stable_sort, std::upper_bound
#include <cstddef>    // std::size_t
#include <string>     // std::string, std::to_string
#include <utility>    // std::move
#include <vector>     // std::vector

#include <amct/base/macros.hpp>

namespace amct
{
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

    /// The line of `at` and a caret under its column.
    std::string excerpt(const source_location& at) const
    {
        const auto& starts = line_starts();
        if (at.line == 0 || at.line > starts.size())
        {
            return {};
        }
        const std::size_t from = starts[at.line - 1];
        const std::size_t to = std::min(m_text.find('\n', from), m_text.size());
        return m_text.substr(from, to - from) + "\n" + std::string(at.column - 1, ' ') + "^";
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
