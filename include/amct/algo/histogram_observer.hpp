// amct/algo/histogram_observer.hpp: the observer machinery shared by the histogram methods (percentile, kl,
// mse): one grid_histogram per channel, of the values or of their magnitudes, and the observer contract
// around it. Because grid_histogram merges exactly, merge() equals one pass over all batches for these
// methods.
#pragma once

#include <cmath>    // std::fabs
#include <string>   // std::string
#include <utility>  // std::pair
#include <vector>   // std::vector

#include <amct/algo/channels.hpp>
#include <amct/algo/grid_histogram.hpp>
#include <amct/algo/observer.hpp>
#include <amct/algo/param.hpp>
#include <amct/algo/result.hpp>
#include <amct/algo/state_io.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/detail/contiguous.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief CRTP base. Derived provides: `static constexpr const char* algorithm`, `state_version`,
/// `bool symmetric()` and
/// `std::pair<float, float> clip(const grid_histogram&) const` (the chosen [min, max] of one channel).
/// Symmetric methods histogram |x|.
/// num_of_bins of the histogram methods: the grid they resample from holds 4 bins for each of theirs.
inline constexpr param::int_range histogram_bins_rule{16, 1 << 20, "in [16, 2^20]"};

template <class Derived, class Params>
class histogram_observer : public observer_base
{
public:
    using params_type = Params;

    const Params& params() const noexcept
    {
        return m_params;
    }

    /// The histogram of each channel (one for per-tensor).
    const std::vector<grid_histogram>& histograms() const noexcept
    {
        return m_hists;
    }

    template <class E>
    void observe(const xt::xexpression<E>& batch)
    {
        const detail::contiguous_data<float> in(batch.derived_cast());
        observe(in.data(), in.shape());
    }

    /// @throws value_error for NaN/Inf, shape_error for a bad axis or another channel count; unchanged then.
    void observe(const float* x, const std::vector<std::size_t>& shape)
    {
        const std::size_t channels = check_channel_batch(x, shape, m_params.channels, m_hists.size());
        if (m_hists.empty())
        {
            m_hists.assign(channels, grid_histogram(capacity()));
        }
        std::vector<float> magnitudes;
        detail::for_each_channel_run(x,
                                     shape,
                                     m_params.channels,
                                     [&](std::size_t c, const float* run, std::size_t len)
                                     {
                                         if (!magnitude())
                                         {
                                             m_hists[c].add(run, len);
                                             return;
                                         }
                                         magnitudes.resize(len);
                                         for (std::size_t i = 0; i < len; ++i)
                                         {
                                             magnitudes[i] = std::fabs(run[i]);
                                         }
                                         m_hists[c].add(magnitudes.data(), len);
                                     });
        count_batch();
    }

    void merge(const Derived& other)
    {
        check_mergeable(other, m_params == other.m_params);
        if (m_hists.empty())
        {
            m_hists = other.m_hists;
        }
        else if (!other.m_hists.empty())
        {
            detail::check_channels(m_hists.size(), other.m_hists.size(), where());
            for (std::size_t c = 0; c < m_hists.size(); ++c)
            {
                m_hists[c].merge(other.m_hists[c]);
            }
        }
        add_batches(other);
    }

    /// @throws value_error if nothing was observed.
    calibration_result compute() const
    {
        if (m_hists.empty() || m_hists[0].total() == 0)
        {
            detail::throw_error<value_error>(where() + ": " + Derived::algorithm
                                             + " has no calibration data");
        }
        calibration_result r;
        r.num_bits = m_params.num_bits;
        r.asymmetric = !derived().symmetric();
        r.channel_wise = m_params.channels.channel_wise;
        r.axis = m_params.channels.axis;
        for (const auto& h : m_hists)
        {
            const auto [lo, hi] = derived().clip(h);
            const auto [s, o] = choose_scale_offset(
              lo, hi, detail::signed_qmin(r.num_bits), detail::signed_qmax(r.num_bits), !r.asymmetric);
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
        w.u64(m_hists.size());
        for (const auto& h : m_hists)
        {
            h.save(w);
        }
        return w.finish(Derived::algorithm, Derived::state_version);
    }

    static Derived load(const std::string& bytes)
    {
        state_reader r(bytes, Derived::algorithm, Derived::state_version);
        std::string layer = r.str();
        const std::uint64_t batches = r.u64();
        Derived o(read_params<Params>(r), std::move(layer));
        const std::size_t n = r.count(40);  // a saved grid_histogram takes at least 40 bytes
        for (std::size_t c = 0; c < n; ++c)
        {
            o.m_hists.push_back(grid_histogram::load(r));
        }
        r.done();
        o.m_batches = static_cast<std::size_t>(batches);
        return o;
    }

protected:
    histogram_observer(const Params& params, std::string layer)
      : observer_base(std::move(layer))
      , m_params(params)
    {
        require_valid(m_params, where());
    }

    /// Grid resolution: 4 grid bins per bin of the method, so that resampling to num_of_bins stays close.
    std::size_t capacity() const noexcept
    {
        return 4 * static_cast<std::size_t>(m_params.num_of_bins);
    }

    bool magnitude() const noexcept
    {
        return derived().symmetric();
    }

    /// The data range a histogram covers: [lower edge, upper edge of the last non-empty bin].
    static std::pair<double, double> extent(const grid_histogram& h) noexcept
    {
        const auto& c = h.counts();
        std::size_t first = 0, last = c.size();
        while (first < c.size() && c[first] == 0)
        {
            ++first;
        }
        while (last > first && c[last - 1] == 0)
        {
            --last;
        }
        return {h.lower() + static_cast<double>(first) * h.bin_width(),
                h.lower() + static_cast<double>(last) * h.bin_width()};
    }

    /// fake_quantize(v) in double with a (scale, offset) of `bits` (for the error of a candidate).
    static double fake(double v, float scale, std::int32_t offset, int bits) noexcept
    {
        double q = std::nearbyint(v / scale) + offset;
        q = q < detail::signed_qmin(bits) ? detail::signed_qmin(bits)
                                          : (q > detail::signed_qmax(bits) ? detail::signed_qmax(bits) : q);
        return (q - offset) * static_cast<double>(scale);
    }

    Params m_params;
    std::vector<grid_histogram> m_hists;

private:
    const Derived& derived() const noexcept
    {
        return static_cast<const Derived&>(*this);
    }
};
}  // namespace AMCT_ABI
}  // namespace amct
