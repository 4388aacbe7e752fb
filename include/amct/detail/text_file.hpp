// amct/detail/text_file.hpp: a configuration file's contents, or a config_error naming the file. Only regular
// files are read, up to a size limit (docs/configuration.md#reading-files): a FIFO, a device such as
// /dev/zero or a directory is refused before it is opened, so that no read blocks or grows without bound.
#pragma once

#include <cstdint>  // std::uint64_t
#include <string>   // std::string

#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// The largest file amct's configuration readers (config.json, quant.cfg, record files, precision
/// configurations) read: 64 MiB, a thousand times a large model's record.txt.
inline constexpr std::uint64_t max_text_file_bytes = std::uint64_t{64} << 20;

/// @brief Reads a regular file of at most `max_bytes` bytes into `bytes`. On failure returns false and sets
/// `problem` to what is wrong, without the path ("is a FIFO (named pipe), not a regular file", "larger than
/// the 64 MiB limit of LIMIT_OWNER", ...). Symbolic links are followed.
AMCT_DECL bool read_regular_file(const std::string& path,
                                 std::uint64_t max_bytes,
                                 const std::string& limit_owner,
                                 std::string& bytes,
                                 std::string& problem);

/// A byte count for messages: "64 MiB", "2 GiB", else "N bytes".
AMCT_DECL std::string byte_size_string(std::uint64_t n);

/// The contents of a configuration file (read_regular_file with max_text_file_bytes).
/// @throws config_error naming the file when it cannot be read.
AMCT_DECL std::string read_text_file(const std::string& path);
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/detail/impl/text_file.ipp>
#endif
