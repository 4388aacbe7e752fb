// amct/detail/text_file.hpp: a configuration file's contents, or a config_error naming the file.
#pragma once

#include <filesystem>    // std::filesystem::is_directory
#include <fstream>       // std::ifstream
#include <sstream>       // std::ostringstream
#include <string>        // std::string, std::char_traits
#include <system_error>  // std::error_code
#include <vector>        // std::vector

#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// The contents of a configuration file. @throws config_error naming the file when it cannot be read.
inline std::string read_text_file(const std::string& path)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
    {
        throw_error<config_error>(
          std::vector<diagnostic>{{source_location{path, 0, 0}, "is a directory, not a file"}});
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf()))
    {
        if (in && in.peek() == std::char_traits<char>::eof())
        {
            return {};  // an empty file
        }
        throw_error<config_error>(
          std::vector<diagnostic>{{source_location{path, 0, 0}, "cannot read the file"}});
    }
    return text.str();
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
