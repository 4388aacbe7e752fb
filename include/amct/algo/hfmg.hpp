// amct/algo/hfmg.hpp: HFMG (Histogram Feature Map Glutton), AMCT's histogram activation calibration, as
// docs/algorithms.md#hfmg defines it (a port of PyTorch HistogramObserver's L2 search):
// clang-format off
//   histogram (docs/algorithms.md#hfmg-histogram): batch 1: num_of_bins bins over [min, max] of the batch
//       (the maximum falls in the last bin; all counts in bin num_of_bins/2 when the range is narrower than
//       FLT_EPS); later batches widen the range to the union, re-bin the old counts (each old bin goes to the
//       new bin of its left edge, or is split between two bins in proportion to the overlap, truncated to an
//       integer) and add the batch histogrammed over the new range;
//   candidates (l, r) (docs/algorithms.md#hfmg-search-space): starting from (0, bins-1), each side walks
//       inward until it has passed step = max(ceil(total / 100000), 1) counts (the right walk stops at the
//       advanced left index); the side whose walk crossed more bins (the sparser tail) moves; until
//       r - l <= ceil(bins / 4);
//   loss (docs/algorithms.md#hfmg-loss): the L2 error of mapping bins [l, r] onto 2^b levels, with bins
//       outside clamped to the end levels;
//   result (docs/algorithms.md#hfmg-result): clip [min + l w, min + (r + 1) w] -> choose_qparams' symmetric
//       or asymmetric rule.
// clang-format on
// merge() re-bins the other histogram the same way, so it is exact when both cover the same range; fix the
// range up front with reserve_range() (e.g. from a max pass) to make merges across threads or machines exact.
// hfmg_segments gives the sequential result exactly for batches split over threads or machines, from their
// [min, max] alone (see there).
#pragma once

#include <algorithm>    // std::min, std::max
#include <array>        // std::array
#include <cmath>        // std::ceil, std::floor, std::ldexp
#include <cstdint>      // std::int64_t
#include <cstring>      // std::memcmp
#include <map>          // std::map
#include <numeric>      // std::accumulate
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <tuple>        // std::make_tuple
#include <utility>      // std::pair
#include <vector>       // std::vector

#include <amct/algo/observer.hpp>
#include <amct/algo/param.hpp>
#include <amct/algo/result.hpp>
#include <amct/algo/state_io.hpp>
#include <amct/base/macros.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/format.hpp>
#include <amct/simd/minmax_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
class hfmg_observer;

/// HFMG's parameters: AMCT's HFMGQuantize (docs/algorithms.md, "HFMG").
struct hfmg_params
{
    int num_of_bins = 4096;
    bool asymmetric = true;
    int num_bits = 8;

    static constexpr std::string_view name = "hfmg";
    static constexpr std::string_view cfg_message = "hfmg_quantize";
    static constexpr std::string_view cfg_type = "HFMGQuantize";
    static constexpr bool extension = false;
    using observer = hfmg_observer;

    static constexpr auto fields()
    {
        using namespace param;
        using P = hfmg_params;
        return std::make_tuple(
          make("num_of_bins", &P::num_of_bins, values(1024, 2048, 4096, 8192), cfg("num_of_bins"), written),
          make("asymmetric", &P::asymmetric, any{}, cfg("asymmetric"), inherit),
          make("num_bits", &P::num_bits, values(8, 16), cfg_bits("dst_type", 8, 16)));
    }

    template <class R>
    static void check(const hfmg_params&, R&)
    {
    }
};

/// The histogram HFMG searches, for reports.
struct hfmg_histogram
{
    float min = 0.0f;
    float max = 0.0f;
    std::vector<std::int64_t> counts;
};

namespace detail
{
/// Adds x[0, n) to `counts` over [lo, hi] (torch.histc placement, computed in float32:
/// bin = min(trunc((x - lo) / (hi - lo) * bins), bins - 1)). The vector body computes the same float
/// operations lane by lane and counts into four interleaved sub-histograms, so that consecutive increments do
/// not wait on each other.
AMCT_DECL void histc(const float* x, std::size_t n, float lo, float hi, std::vector<std::int64_t>& counts);

/// Re-bins `h` onto the wider range [lo, hi] (docs/algorithms.md#hfmg-histogram): each old bin [a, a + w_old)
/// lands in the new bin of a, or is split between that bin and the next, in proportion to the overlap, the
/// first part truncated to an integer.
AMCT_DECL std::vector<std::int64_t> rebin(const hfmg_histogram& h, float lo, float hi);

/// Two range edges closer than FLT_EPS count as the same (docs/algorithms.md#hfmg-histogram: the range then
/// stays).
inline bool same_edge(float a, float b) noexcept
{
    return std::fabs(a - b) < flt_eps;
}

/// Adds `other` (another histogram or a batch's) into `h`, widening h's range to the union first.
AMCT_DECL void merge_histogram(hfmg_histogram& h, const hfmg_histogram& other);

/// Where docs/algorithms.md#hfmg-histogram puts a batch: the range it is histogrammed over (the union of the
/// running range and the batch's [min, max]) and whether the running range moves there (there is none yet,
/// or an edge moves by FLT_EPS or more); otherwise the running range stays and the batch's counts add as they
/// are.
struct hfmg_step
{
    float min = 0.0f;
    float max = 0.0f;
    bool moves = true;
};

/// The step of a batch of range [batch_min, batch_max] after a running range [run_min, run_max] (none if
/// `first`).
AMCT_DECL hfmg_step
hfmg_next_step(bool first, float run_min, float run_max, float batch_min, float batch_max) noexcept;

/// Adds `counts`, histogrammed over step's range, to `h`; h moves to that range first, re-binned, when the
/// step moves it.
AMCT_DECL void hfmg_apply(hfmg_histogram& h, const hfmg_step& step, std::vector<std::int64_t> counts);

/// The L2 loss of docs/algorithms.md#hfmg-loss for candidate (l, r) with 2^bits destination bins.
AMCT_DECL double hfmg_loss(const std::vector<std::int64_t>& counts,
                           double bin_width,
                           std::size_t l,
                           std::size_t r,
                           int bits);

/// docs/algorithms.md#hfmg-search-space and docs/algorithms.md#hfmg-loss: the (l, r) with the least loss,
/// first minimum; (0, bins - 1) when there is no candidate.
AMCT_DECL std::pair<std::size_t, std::size_t> hfmg_search(const hfmg_histogram& h, int bits);
}  // namespace detail

class hfmg_segments;

class hfmg_observer : public observer_base
{
public:
    using params_type = hfmg_params;
    using ordered = hfmg_segments;  ///< how batches observed apart are put back in order (indexed_observer)
    /// Re-binning depends on the order of the batches (hfmg_segments restores it).
    static constexpr bool exact_merge = false;

    static constexpr const char* algorithm = "hfmg";
    static constexpr std::uint32_t state_version = 1;

    /// @throws value_error naming the layer for num_of_bins outside {1024, 2048, 4096, 8192} or num_bits
    /// outside {8, 16}.
    explicit hfmg_observer(const hfmg_params& params = {}, std::string layer = {})
      : observer_base(std::move(layer))
      , m_params(params)
    {
        require_valid(m_params, where());
    }

    const hfmg_params& params() const noexcept
    {
        return m_params;
    }

    const hfmg_histogram& histogram() const noexcept
    {
        return m_hist;
    }

    /// Fixes the histogram's range before the first batch, so that observers fed different batches merge
    /// exactly.
    /// @throws value_error if data was already observed or the range is not finite and ordered.
    AMCT_DECL void reserve_range(float min, float max);

    template <class E>
    void observe(const xt::xexpression<E>& batch)
    {
        const detail::contiguous_data<float> in(batch.derived_cast());
        observe(in.data(), in.size());
    }

    /// @throws value_error for NaN/Inf (the observer is then unchanged).
    /// The observer contract's form: the shape gives the element count (the data is flattened, as AMCT does).
    void observe(const float* x, const std::vector<std::size_t>& shape)
    {
        observe(x, detail::element_count(shape));
    }

    AMCT_DECL void observe(const float* x, std::size_t n);

    AMCT_DECL void merge(const hfmg_observer& other);

    /// @throws value_error if nothing was observed.
    AMCT_DECL calibration_result compute() const;

    AMCT_DECL std::string save() const;

    AMCT_DECL static hfmg_observer load(const std::string& bytes);

private:
    friend class hfmg_segments;

    hfmg_params m_params;
    hfmg_histogram m_hist;
};

/// @brief HFMG over batches numbered 0 .. batches - 1 in the calibration order, observed in any order and
/// split over threads or machines, with exactly the histogram of one hfmg_observer fed them in order.
///
/// docs/algorithms.md#hfmg-histogram places batch k by the running range after batches 0 .. k - 1, a function
/// of their [min, max] alone (hfmg_next_step). Whoever holds batch k can histogram it once those ranges are
/// known (add_range, place).
/// Where the running range does not move, histograms just add; only where it moves is the sum so far
/// re-binned. So the batches split into segments, each starting at a batch that moves the range, whose counts
/// are exact integer sums in any order; result() chains them: H = S_0, then H = rebin(H, R_j) + S_j for each
/// later segment j, which is what the sequential observer computes. State: 16 bytes per known range and 8
/// (num_of_bins + 1) bytes per segment with counts. Not thread-safe (indexed_observer locks it).
class hfmg_segments
{
public:
    /// Where a batch goes: its step (histogram range) and its segment (the batch that started it).
    struct placement
    {
        detail::hfmg_step step;
        std::size_t segment = 0;
    };

    /// @throws value_error naming the layer for invalid parameters.
    hfmg_segments(const hfmg_params& params, std::string layer, std::size_t batches)
      : m_result(params, std::move(layer))
      , m_batches(batches)
    {
    }

    const hfmg_params& params() const noexcept
    {
        return m_result.params();
    }

    std::size_t batches() const noexcept
    {
        return m_batches;
    }

    bool known(std::size_t k) const noexcept
    {
        return m_ranges.count(k) != 0;
    }

    /// The recorded [min, max] of every batch, by index.
    const std::map<std::size_t, std::pair<float, float>>& ranges() const noexcept
    {
        return m_ranges;
    }

    /// Records the [min, max] of batch k, seen here or elsewhere (again with the same values is allowed).
    /// @throws value_error naming the layer and batch for k >= batches(), a range that is not finite and
    /// ordered, or one that differs from the range recorded before.
    AMCT_DECL void add_range(std::size_t k, float min, float max);

    /// Whether batch k can be placed: the ranges of batches 0 .. k are known.
    bool placed(std::size_t k) const noexcept
    {
        return k < m_places.size();
    }

    /// Requires placed(k).
    const placement& place(std::size_t k) const noexcept
    {
        return m_places[k];
    }

    /// The counts of a batch placed at `p`: its histogram over p.step. Thread-safe (const, no shared state).
    AMCT_DECL std::vector<std::int64_t> contribution(const float* x, std::size_t n, const placement& p) const;

    /// Adds the contribution of a batch placed at `p` to its segment.
    void add(const placement& p, std::vector<std::int64_t> counts)
    {
        add(p.segment, std::move(counts));
    }

    /// Adds the counts of a batch histogrammed over place(k).step (detail::histc) to place(k).segment.
    AMCT_DECL void add(std::size_t segment, std::vector<std::int64_t> counts);

    /// @throws value_error as merge(other) would; changes nothing.
    AMCT_DECL void check_merge(const hfmg_segments& other) const;

    /// Adds another holder's ranges and counts. @throws value_error for other parameters, another batch
    /// count, or a range that differs from this one's; nothing changes then.
    AMCT_DECL void merge(const hfmg_segments& other);

    /// The observer that saw every batch in order. Requires every range and every batch's counts.
    /// @throws value_error if a range is missing.
    AMCT_DECL hfmg_observer result() const;

    AMCT_DECL void save(state_writer& w) const;

    /// @throws state_error for inconsistent state.
    AMCT_DECL static hfmg_segments load(state_reader& r, std::string layer);

    /// @throws value_error as add_range(k, min, max) would; changes nothing.
    AMCT_DECL void check_range(std::size_t k, float min, float max) const;

private:
    std::string where() const
    {
        return m_result.where();
    }

    static bool bits_equal(float a, float b) noexcept
    {
        return std::memcmp(&a, &b, sizeof a) == 0;
    }

    /// Places every batch whose predecessors' ranges have all become known.
    AMCT_DECL void extend();

    hfmg_observer m_result;  ///< parameters and layer name; no data
    std::size_t m_batches;
    std::map<std::size_t, std::pair<float, float>> m_ranges;  ///< [min, max] of each known batch
    std::vector<placement> m_places;                          ///< of batches 0 .. m_places.size() - 1
    std::map<std::size_t, std::vector<std::int64_t>> m_sums;  ///< counts per segment (its first batch)
};
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/hfmg.ipp>
#endif
