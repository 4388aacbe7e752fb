// amct/algo/max.hpp: the max (min/max) method: the observed [min, max] per tensor or per channel, turned into
// scale and offset by choose_qparams' rules (PyTorch MinMaxObserver / PerChannelMinMaxObserver, ONNX Runtime
// MinMax, TensorRT MinMax; the same arithmetic as AMCT's ARQ and calculate_scale_offset).
#pragma once

#include <string>  // std::string
#include <vector>  // std::vector

#include <amct/algo/channels.hpp>
#include <amct/algo/observer.hpp>
#include <amct/algo/param.hpp>
#include <amct/algo/result.hpp>
#include <amct/algo/state_io.hpp>
#include <amct/base/macros.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/simd/minmax_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
class max_observer;

/// max: the observed [min, max] (PyTorch MinMaxObserver, ONNX Runtime MinMax, TensorRT MinMax). An extension.
struct max_params
{
    bool asymmetric = true;
    int num_bits = 8;
    channel_options channels;

    static constexpr std::string_view name = "max";
    static constexpr std::string_view cfg_message = {};
    static constexpr std::string_view cfg_type = {};
    static constexpr bool extension = true;
    using observer = max_observer;

    static constexpr auto fields()
    {
        using namespace param;
        using P = max_params;
        return std::make_tuple(make("asymmetric", &P::asymmetric, any{}, no_cfg, inherit),
                               make("num_bits", &P::num_bits, int_range{2, 16}),
                               make("channels", &P::channels, any{}, no_cfg, api_only));
    }

    template <class R>
    static void check(const max_params&, R&)
    {
    }
};

class max_observer : public observer_base
{
public:
    using params_type = max_params;
    static constexpr const char* algorithm = "max";
    static constexpr std::uint32_t state_version = 1;

    explicit max_observer(const max_params& params = {}, std::string layer = {})
      : observer_base(std::move(layer))
      , m_params(params)
    {
        require_valid(m_params, where());
    }

    const max_params& params() const noexcept
    {
        return m_params;
    }

    template <class E>
    void observe(const xt::xexpression<E>& batch)
    {
        const detail::contiguous_data<float> in(batch.derived_cast());
        observe(in.data(), in.shape());
    }

    /// @throws value_error for NaN/Inf, shape_error for a bad axis or another channel count; unchanged then.
    /// One pass: the finiteness check comes from the min/max fold itself.
    void observe(const float* x, const std::vector<std::size_t>& shape)
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

    void merge(const max_observer& other)
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

    /// @throws value_error if nothing was observed.
    calibration_result compute() const
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

    std::string save() const
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

    static max_observer load(const std::string& bytes)
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

private:
    max_params m_params;
    std::vector<kernel::minmax_result> m_ranges;  // one per channel
};
}  // namespace AMCT_ABI
}  // namespace amct
