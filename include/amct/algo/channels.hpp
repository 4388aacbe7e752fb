// amct/algo/channels.hpp: per-channel observation: where the channel axis is (channel_options, a parameter of
// the per-channel methods) and a batch split into the runs of each channel along it.
#pragma once

#include <cstddef>  // std::size_t, std::ptrdiff_t
#include <string>   // std::to_string

#include <amct/base/macros.hpp>
#include <amct/core/qparams.hpp>
#include <amct/detail/contiguous.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Where the channel axis is, for methods that can calibrate per channel (an API parameter; config files
/// calibrate activations per tensor).
struct channel_options
{
    bool channel_wise = false;  ///< one scale/offset per index of `axis`
    std::ptrdiff_t axis = 1;    ///< activations NCHW: 1; negative counts from the end

    bool operator==(const channel_options& o) const noexcept
    {
        return channel_wise == o.channel_wise && axis == o.axis;
    }

    bool operator!=(const channel_options& o) const noexcept
    {
        return !(*this == o);
    }
};

namespace detail
{
/// Number of channels a batch has for `opts` (1 when not channel-wise). @throws shape_error for a bad axis.
AMCT_DECL std::size_t channel_count(const std::vector<std::size_t>& shape, const channel_options& opts);

/// Calls f(channel, pointer, length) for every contiguous run of every channel (one run for per-tensor).
template <class F>
inline void for_each_channel_run(const float* data,
                                 const std::vector<std::size_t>& shape,
                                 const channel_options& opts,
                                 F&& f)
{
    if (!opts.channel_wise)
    {
        const std::size_t n = detail::element_count(shape);
        f(std::size_t{0}, data, n);
        return;
    }
    const axis_split s = split_at(shape, normalize_axis(opts.axis, shape.size()));
    for (std::size_t o = 0; o < s.outer; ++o)
    {
        for (std::size_t c = 0; c < s.channels; ++c)
        {
            f(c, data + (o * s.channels + c) * s.inner, s.inner);
        }
    }
}

/// Every batch of a channel-wise observer must have the channel count of the first.
AMCT_DECL void check_channels(std::size_t expected, std::size_t got, const std::string& where);
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/channels.ipp>
#endif
