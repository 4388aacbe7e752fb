// amct/algo/observer.hpp: the contract every calibration observer follows (checked at compile time by
// is_observer_v), and the part they share.
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

#include <cmath>        // std::isnan
#include <cstddef>      // std::size_t
#include <string>       // std::string
#include <type_traits>  // std::void_t, std::false_type, std::true_type
#include <utility>      // std::declval
#include <utility>      // std::move
#include <vector>       // std::vector

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
namespace detail
{
inline void reject_nonfinite(const std::string& at, const float* x, std::size_t n);

template <class O, class = void>
struct is_observer : std::false_type
{
};

template <class O>
struct is_observer<
  O,
  std::void_t<typename O::params_type,
              decltype(O::algorithm),
              decltype(O::state_version),
              decltype(O::exact_merge),
              decltype(std::declval<O&>().observe(std::declval<const float*>(),
                                                  std::declval<const std::vector<std::size_t>&>())),
              decltype(std::declval<O&>().merge(std::declval<const O&>())),
              decltype(std::declval<const O&>().compute()),
              decltype(std::declval<const O&>().save()),
              decltype(O::load(std::declval<const std::string&>())),
              decltype(std::declval<const O&>().params()),
              decltype(std::declval<O&>().label_batches(std::size_t{}))>> : std::true_type
{
};
}  // namespace detail

/// Whether O follows the observer contract above: observe(const float*, shape), merge, compute, save and
/// load, params, and the static algorithm, state_version and exact_merge (an ordered-merge observer also
/// names its O::ordered companion: see hfmg_segments).
template <class O>
inline constexpr bool is_observer_v = detail::is_observer<O>::value;

/// The layer name and batch count every observer carries, for its error messages.
class observer_base
{
public:
    /// Whether merging observers that saw parts of the batches, in any grouping and order, gives the result
    /// of one observer fed every batch in order, bit for bit (an observer whose result depends on the order
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

    /// Messages about the next batches name them by `index` (a pool's global batch index) instead of their
    /// count.
    void label_batches(std::size_t index) noexcept
    {
        m_label = index;
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

    /// Rejects a batch holding NaN or Inf before anything is changed: "layer "conv1", batch 2: element 5 is
    /// NaN; the batch was not observed" (the batch's index: its label, or the batches observed before it).
    void check_batch(const float* x, std::size_t n) const
    {
        const std::size_t i = kernel::first_nonfinite(x, n);
        if (i != n)
        {
            detail::reject_nonfinite(where() + ", batch " + std::to_string(batch_label()), x, n);
        }
    }

    /// The index messages give the batch being observed.
    std::size_t batch_label() const noexcept
    {
        return m_label != no_label ? m_label : m_batches;
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

private:
    static constexpr std::size_t no_label = static_cast<std::size_t>(-1);
    std::size_t m_label = no_label;
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
