// amct/config/diagnostic.hpp: what is wrong in a configuration file and where, in a compiler's format:
//   config.json:14:23: layer "conv1": activation_quant_params.search_step = 0.9 must be in (0, 0.6]
// config_error carries every diagnostic of a file, so that all of them are reported at once.
#pragma once

#include <cstddef>     // std::size_t
#include <filesystem>  // std::filesystem::is_directory
#include <fstream>     // std::ifstream
#include <sstream>     // std::ostringstream
#include <string>      // std::string
#include <utility>     // std::move
#include <vector>      // std::vector

#include <amct/error.hpp>

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
        std::string s = where.file;
        if (where.line > 0)
        {
            s += ":" + where.line_column();
        }
        return s + ": " + message;
    }
};

/// A configuration file with errors; what() lists every diagnostic, one per line.
class config_error : public error
{
public:
    explicit config_error(std::vector<diagnostic> diagnostics)
      : error(join(diagnostics))
      , m_diagnostics(std::move(diagnostics))
    {
    }

    const std::vector<diagnostic>& diagnostics() const noexcept
    {
        return m_diagnostics;
    }

private:
    static std::string join(const std::vector<diagnostic>& d)
    {
        std::string s;
        for (const auto& x : d)
        {
            s += (s.empty() ? "" : "\n") + x.to_string();
        }
        return s;
    }

    std::vector<diagnostic> m_diagnostics;
};

/// Line and column (from 1) of byte `offset` in `text`.
inline source_location locate(const std::string& file, const std::string& text, std::size_t offset)
{
    source_location loc{file, 1, 1};
    for (std::size_t i = 0; i < offset && i < text.size(); ++i)
    {
        if (text[i] == '\n')
        {
            ++loc.line;
            loc.column = 1;
        }
        else
        {
            ++loc.column;
        }
    }
    return loc;
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

/// The contents of a configuration file. @throws config_error naming the file when it cannot be read.
inline std::string read_text_file(const std::string& path)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
    {
        throw config_error({{source_location{path, 0, 0}, "is a directory, not a file"}});
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf()))
    {
        if (in && in.peek() == std::char_traits<char>::eof())
        {
            return {};  // an empty file
        }
        throw config_error({{source_location{path, 0, 0}, "cannot read the file"}});
    }
    return text.str();
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
