// amct/detail/impl/text_file.ipp: the definitions of <amct/detail/text_file.hpp> (header-only: included by
// it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <filesystem>    // std::filesystem::is_directory
#include <fstream>       // std::ifstream
#include <sstream>       // std::ostringstream
#include <string>        // std::string, std::char_traits
#include <system_error>  // std::error_code
#include <vector>        // std::vector

#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/detail/text_file.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL std::string read_text_file(const std::string& path)
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
