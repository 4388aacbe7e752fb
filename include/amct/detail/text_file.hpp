// amct/detail/text_file.hpp: a configuration file's contents, or a config_error naming the file.
#pragma once

#include <string>  // std::string

#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// The contents of a configuration file. @throws config_error naming the file when it cannot be read.
AMCT_DECL std::string read_text_file(const std::string& path);
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/detail/impl/text_file.ipp>
#endif
