// amct/algo/impl/max.ipp: the definitions of <amct/algo/max.hpp> (header-only: included by it; separate
// compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/max.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL void max_observer::observe(const float* x, const std::vector<std::size_t>& shape)
{
    const std::size_t channels = detail::channel_count(shape, m_params.channels);
    detail::check_channels(m_ranges.size(), channels, where());
    std::vector<kernel::minmax_result> batch(channels);
    bool finite = true;
    detail::for_each_channel_run(x,
                                 shape,
                                 m_params.channels,
                                 [&](std::size_t c, const float* run, std::size_t len)
                                 {
                                     kernel::minmax(run, len, batch[c]);
                                     finite = finite && (len == 0 || !batch[c].has_nan);
                                 });
    for (const auto& r : batch)
    {
        finite = finite && (r.min > r.max || r.all_finite());
    }
    if (!finite)
    {
        check_channel_batch(x, shape, m_params.channels, channels);  // throws, naming the element
    }
    if (m_ranges.empty())
    {
        m_ranges = std::move(batch);
    }
    else
    {
        for (std::size_t c = 0; c < channels; ++c)
        {
            m_ranges[c].min = std::min(m_ranges[c].min, batch[c].min);
            m_ranges[c].max = std::max(m_ranges[c].max, batch[c].max);
        }
    }
    count_batch();
}

AMCT_DECL void max_observer::merge(const max_observer& other)
{
    check_mergeable(other, other.m_params == m_params);
    if (m_ranges.empty())
    {
        m_ranges = other.m_ranges;
    }
    else if (!other.m_ranges.empty())
    {
        detail::check_channels(m_ranges.size(), other.m_ranges.size(), where());
        for (std::size_t c = 0; c < m_ranges.size(); ++c)
        {
            m_ranges[c].min = std::min(m_ranges[c].min, other.m_ranges[c].min);
            m_ranges[c].max = std::max(m_ranges[c].max, other.m_ranges[c].max);
        }
    }
    add_batches(other);
}

AMCT_DECL calibration_result max_observer::compute() const
{
    if (m_ranges.empty() || m_ranges[0].min > m_ranges[0].max)
    {
        detail::throw_error<value_error>(where() + ": max has no calibration data");
    }
    calibration_result r;
    r.num_bits = m_params.num_bits;
    r.asymmetric = m_params.asymmetric;
    r.channel_wise = m_params.channels.channel_wise;
    r.axis = m_params.channels.axis;
    for (const auto& range : m_ranges)
    {
        const auto [s, o] = choose_scale_offset(range.min,
                                                range.max,
                                                detail::signed_qmin(r.num_bits),
                                                detail::signed_qmax(r.num_bits),
                                                !r.asymmetric);
        push_channel(r, s, o);
    }
    return r;
}

AMCT_DECL std::string max_observer::save() const
{
    state_writer w;
    w.str(m_layer);
    w.u64(m_batches);
    write_params(w, m_params);
    w.u64(m_ranges.size());
    for (const auto& r : m_ranges)
    {
        w.f32(r.min);
        w.f32(r.max);
    }
    return w.finish(algorithm, state_version);
}

AMCT_DECL max_observer max_observer::load(const std::string& bytes)
{
    state_reader r(bytes, algorithm, state_version);
    std::string layer = r.str();
    const std::uint64_t batches = r.u64();
    const auto p = read_params<max_params>(r);
    max_observer o(p, std::move(layer));
    o.m_ranges.resize(r.count(8));
    for (auto& range : o.m_ranges)
    {
        range.min = r.f32();
        range.max = r.f32();
        const bool empty = range.min > range.max;  // a channel with no value yet
        if (!empty && !range.all_finite())
        {
            state_reader::fail("max: a channel range is not finite");
        }
    }
    r.done();
    o.m_batches = static_cast<std::size_t>(batches);
    return o;
}
}  // namespace AMCT_ABI
}  // namespace amct
