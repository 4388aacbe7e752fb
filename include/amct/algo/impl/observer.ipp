// amct/algo/impl/observer.ipp: the definitions of <amct/algo/observer.hpp> (header-only: included by it;
// separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/observer.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL void observer_base::check_batch(const float* x, std::size_t n) const
{
    const std::size_t i = kernel::first_nonfinite(x, n);
    if (i != n)
    {
        detail::reject_nonfinite(where() + ", batch " + std::to_string(batch_label()), x, n);
    }
}

AMCT_DECL std::size_t observer_base::check_channel_batch(const float* x,
                                                         const std::vector<std::size_t>& shape,
                                                         const channel_options& opts,
                                                         std::size_t known) const
{
    const std::size_t channels = detail::channel_count(shape, opts);
    detail::check_channels(known, channels, where());
    const std::size_t n = detail::element_count(shape);
    check_batch(x, n);
    return channels;
}

AMCT_DECL void observer_base::check_mergeable(const observer_base& other, bool same) const
{
    if (!same)
    {
        detail::throw_error<value_error>(where() + ": cannot merge an observer with other parameters ("
                                         + other.where() + ")");
    }
}
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL void reject_nonfinite(const std::string& at, const float* x, std::size_t n)
{
    const std::size_t i = kernel::first_nonfinite(x, n);
    if (i != n)
    {
        throw_error<value_error>(at + ": element " + std::to_string(i) + " is "
                                 + (std::isnan(x[i]) ? "NaN" : "infinite") + "; the batch was not observed");
    }
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
