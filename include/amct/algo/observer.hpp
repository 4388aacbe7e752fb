// amct/algo/observer.hpp: the contract every calibration observer follows, and the part they share.
//
// An observer O of algorithm A (ifmr_observer, hfmg_observer, max_observer, ...) offers:
//   O(params, layer)                      typed parameters (amct/algo/params.hpp) and the layer's name
//   o.observe(batch)                      any number of times, on any xtensor expression of any rank
//   o.merge(other)                        other saw other batches (another thread or machine); the merged
//                                         observer computes what one observer that saw all batches computes
//   o.save() / O::load(bytes)             versioned, portable, checksummed state (amct/algo/state_io.hpp)
//   o.compute()                           a calibration_result (amct/algo/result.hpp); deterministic
// A batch with NaN or Inf is rejected with a value_error naming the layer and the batch, and the observer's
// state stays as it was before that batch. Parameters are validated when the observer is made.
#pragma once

#include <cmath>    // std::isnan
#include <cstddef>  // std::size_t
#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include <amct/algo/channels.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/format.hpp>
#include <amct/simd/finite_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// The layer name and batch count every observer carries, for its error messages.
class observer_base
{
public:
    /// Whether merging observers that saw parts of the batches, in any grouping and order, gives the result of
    /// one observer fed every batch in order, bit for bit (an observer whose result depends on the order
    /// says false: HFMG).
    static constexpr bool exact_merge = true;

    const std::string& layer() const noexcept
    {
        return m_layer;
    }

    /// Batches observed so far (including merged ones).
    std::size_t batches() const noexcept
    {
        return m_batches;
    }

protected:
    explicit observer_base(std::string layer)
      : m_layer(std::move(layer))
    {
    }

    /// "layer "conv1"" (or "unnamed layer"), the prefix of every message about this observer.
    std::string where() const
    {
        return m_layer.empty() ? std::string("unnamed layer") : "layer \"" + m_layer + "\"";
    }

    /// Rejects a batch holding NaN or Inf before anything is changed.
    void check_batch(const float* x, std::size_t n) const
    {
        const std::size_t i = kernel::first_nonfinite(x, n);
        if (i != n)
        {
            detail::throw_error<value_error>(
              where() + ": batch " + std::to_string(m_batches + 1) + " contains "
              + (std::isnan(x[i]) ? "NaN" : (x[i] > 0 ? "+Inf" : "-Inf")) + " at element " + std::to_string(i)
              + "; the batch was not observed");
        }
    }

    /// Checks a batch for a channel-wise method before anything changes: the axis and channel count (equal to
    /// `known` unless that is 0) and the values. Returns the batch's channel count.
    std::size_t check_channel_batch(const float* x,
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

    void count_batch() noexcept
    {
        ++m_batches;
    }

    /// Merging needs equal parameters; `same` says whether they are.
    void check_mergeable(const observer_base& other, bool same) const
    {
        if (!same)
        {
            detail::throw_error<value_error>(where() + ": cannot merge an observer with other parameters ("
                                             + other.where() + ")");
        }
    }

    void add_batches(const observer_base& other) noexcept
    {
        m_batches += other.m_batches;
    }

    /// Every value-carrying field of a saved state starts with the layer name and the batch count.
    std::string m_layer;
    std::size_t m_batches = 0;
};

namespace detail
{
/// Throws value_error "<at>: element <i> is NaN (infinite); the batch was not observed" for the first
/// non-finite x[i], i < n; returns if there is none.
inline void reject_nonfinite(const std::string& at, const float* x, std::size_t n)
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
