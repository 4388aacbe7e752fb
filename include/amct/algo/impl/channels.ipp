// amct/algo/impl/channels.ipp: the definitions of <amct/algo/channels.hpp> (header-only: included by it;
// separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/channels.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL std::size_t channel_count(const std::vector<std::size_t>& shape, const channel_options& opts)
{
    if (!opts.channel_wise)
    {
        return 1;
    }
    return shape[normalize_axis(opts.axis, shape.size())];
}

AMCT_DECL void check_channels(std::size_t expected, std::size_t got, const std::string& where)
{
    if (expected != 0 && expected != got)
    {
        throw_error<shape_error>(where + ": the batch has " + std::to_string(got)
                                 + " channels, earlier batches had " + std::to_string(expected));
    }
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
