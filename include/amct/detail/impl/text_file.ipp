// amct/detail/impl/text_file.ipp: the definitions of <amct/detail/text_file.hpp> (header-only: included by
// it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <filesystem>    // std::filesystem::status, std::filesystem::file_type
#include <fstream>       // std::ifstream
#include <string>        // std::string, std::to_string
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
AMCT_DECL std::string byte_size_string(std::uint64_t n)
{
    constexpr std::uint64_t mib = std::uint64_t{1} << 20, gib = std::uint64_t{1} << 30;
    if (n != 0 && n % gib == 0)
    {
        return std::to_string(n / gib) + " GiB";
    }
    if (n != 0 && n % mib == 0)
    {
        return std::to_string(n / mib) + " MiB";
    }
    return std::to_string(n) + " bytes";
}

AMCT_DECL bool read_regular_file(const std::string& path,
                                 std::uint64_t max_bytes,
                                 const std::string& limit_owner,
                                 std::string& bytes,
                                 std::string& problem)
{
    namespace fs = std::filesystem;
    bytes.clear();
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    const auto not_regular = [&](const char* what)
    {
        problem = std::string("is ") + what + ", not a regular file";
        return false;
    };
    switch (st.type())
    {
        case fs::file_type::regular:
            break;
        case fs::file_type::not_found:
            problem = "cannot read the file";  // no such file
            return false;
        case fs::file_type::directory:
            return not_regular("a directory");
        case fs::file_type::fifo:
            return not_regular("a FIFO (named pipe)");
        case fs::file_type::character:
            return not_regular("a character device");
        case fs::file_type::block:
            return not_regular("a block device");
        case fs::file_type::socket:
            return not_regular("a socket");
        default:
            problem = ec ? "cannot read the file (" + ec.message() + ")" : "cannot read the file";
            return false;
    }
    const auto too_large = [&]
    {
        bytes.clear();
        problem = "larger than the " + byte_size_string(max_bytes) + " limit of " + limit_owner;
        return false;
    };
    const std::uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > max_bytes)
    {
        return too_large();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in)
    {
        problem = "cannot open the file";
        return false;
    }
    // read at most max_bytes + 1 bytes, whatever the size said: the file may grow while it is read
    constexpr std::size_t chunk = std::size_t{1} << 16;
    for (;;)
    {
        const std::size_t at = bytes.size();
        const std::uint64_t room = max_bytes + 1 - at;
        const std::size_t want = room < chunk ? static_cast<std::size_t>(room) : chunk;
        bytes.resize(at + want);
        in.read(&bytes[at], static_cast<std::streamsize>(want));
        const auto got = static_cast<std::size_t>(in.gcount());
        bytes.resize(at + got);
        if (bytes.size() > max_bytes)
        {
            return too_large();
        }
        if (got < want)
        {
            break;
        }
    }
    if (in.bad())
    {
        bytes.clear();
        problem = "cannot read the file";
        return false;
    }
    return true;
}

AMCT_DECL std::string read_text_file(const std::string& path)
{
    std::string bytes, problem;
    if (!read_regular_file(path, max_text_file_bytes, "amct's configuration readers", bytes, problem))
    {
        throw_error<config_error>(std::vector<diagnostic>{{source_location{path, 0, 0}, problem}});
    }
    return bytes;
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
