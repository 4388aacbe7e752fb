// amct/algo/hfmg.hpp: HFMG (Histogram Feature Map Glutton), AMCT's histogram activation calibration, as
// amct-algorithms.md section 4 defines it (a port of PyTorch HistogramObserver's L2 search):
//   4.1 batch 1: num_of_bins bins over [min, max] of the batch (the maximum falls in the last bin; all counts
//   in
//       bin num_of_bins/2 when the range is narrower than FLT_EPS); later batches widen the range to the
//       union, re-bin the old counts (each old bin goes to the new bin of its left edge, or is split between
//       two bins in proportion to the overlap, truncated to an integer) and add the batch histogrammed over
//       the new range;
//   4.2 candidates (l, r): starting from (0, bins-1), each side walks inward until it has passed
//       step = max(ceil(total / 100000), 1) counts (the right walk stops at the advanced left index); the
//       side whose walk crossed more bins (the sparser tail) moves; until r - l <= ceil(bins / 4);
//   4.3 loss: the L2 error of mapping bins [l, r] onto 2^b levels, with bins outside clamped to the end
//   levels; 4.4 clip [min + l w, min + (r + 1) w] -> choose_qparams' symmetric or asymmetric rule.
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
inline void histc(const float* x, std::size_t n, float lo, float hi, std::vector<std::int64_t>& counts)
{
    const std::size_t bins = counts.size();
    const float width = hi - lo;
    if (width < flt_eps)
    {
        counts[bins / 2] += static_cast<std::int64_t>(n);
        return;
    }
    if (!std::isfinite(width))  // a range wider than FLT_MAX: the same placement in double
    {
        const double dw = static_cast<double>(hi) - lo;
        for (std::size_t i = 0; i < n; ++i)
        {
            const double pos = (static_cast<double>(x[i]) - lo) / dw * static_cast<double>(bins);
            ++counts[std::min(static_cast<std::size_t>(pos > 0.0 ? pos : 0.0), bins - 1)];
        }
        return;
    }
    const float nb = static_cast<float>(bins);
    const auto bin_of = [&](float v) noexcept
    {
        const float pos = (v - lo) / width * nb;
        const std::size_t b = pos <= 0.0f ? 0 : static_cast<std::size_t>(pos);
        return b >= bins ? bins - 1 : b;
    };
    std::size_t i = 0;
#if AMCT_USE_XSIMD
    using fbatch = xsimd::batch<float, kernel::default_arch>;
    constexpr std::size_t w = fbatch::size;
    constexpr std::size_t chunk = std::size_t{1} << 30;  // keeps the 32-bit sub-counts from overflowing
    std::vector<std::uint32_t> sub(4 * bins, 0);
    const fbatch vlo(lo), vwidth(width), vnb(nb), zero(0.0f), top(nb - 1.0f);
    alignas(64) std::int32_t idx[w];
    while (i + w <= n)
    {
        const std::size_t end = std::min(n, i + chunk);
        for (; i + w <= end; i += w)
        {
            // clamping in float before the conversion keeps it in range; both bounds are integers
            const fbatch pos =
              xsimd::min(xsimd::max((fbatch::load_unaligned(x + i) - vlo) / vwidth * vnb, zero), top);
            xsimd::batch_cast<std::int32_t>(pos).store_aligned(idx);
            for (std::size_t k = 0; k < w; ++k)
            {
                ++sub[(k & 3u) * bins + static_cast<std::size_t>(idx[k])];
            }
        }
        for (std::size_t b = 0; b < bins; ++b)
        {
            counts[b] +=
              static_cast<std::int64_t>(sub[b]) + sub[bins + b] + sub[2 * bins + b] + sub[3 * bins + b];
            sub[b] = sub[bins + b] = sub[2 * bins + b] = sub[3 * bins + b] = 0;
        }
    }
#endif
    for (; i < n; ++i)
    {
        ++counts[bin_of(x[i])];
    }
}

/// Re-bins `h` onto the wider range [lo, hi] (4.1): each old bin [a, a + w_old) lands in the new bin of a, or
/// is split between that bin and the next, in proportion to the overlap, the first part truncated to an
/// integer.
inline std::vector<std::int64_t> rebin(const hfmg_histogram& h, float lo, float hi)
{
    const std::size_t bins = h.counts.size();
    std::vector<std::int64_t> out(bins, 0);
    const double w_old = (static_cast<double>(h.max) - h.min) / static_cast<double>(bins);
    const double w = (static_cast<double>(hi) - lo) / static_cast<double>(bins);
    if (!(w > 0.0))
    {
        out[bins / 2] = std::accumulate(h.counts.begin(), h.counts.end(), std::int64_t{0});
        return out;
    }
    for (std::size_t i = 0; i < bins; ++i)
    {
        const std::int64_t c = h.counts[i];
        if (c == 0)
        {
            continue;
        }
        const double a = h.min + static_cast<double>(i) * w_old;
        const double b = a + w_old;
        auto index = [&](double v)
        {
            const double t = std::floor((v - lo) / w);
            return t < 0.0 ? std::size_t{0} : std::min(static_cast<std::size_t>(t), bins - 1);
        };
        const std::size_t i_lo = index(a);
        const std::size_t i_hi = index(b);
        if (i_lo == i_hi || !(w_old > 0.0))
        {
            out[i_lo] += c;
            continue;
        }
        const double edge = lo + static_cast<double>(i_lo + 1) * w;
        const auto first = static_cast<std::int64_t>(static_cast<double>(c) * (edge - a) / (b - a));
        out[i_lo] += first;
        out[i_hi] += c - first;
    }
    return out;
}

/// Two range edges closer than FLT_EPS count as the same (4.1: the range then stays).
inline bool same_edge(float a, float b) noexcept
{
    return std::fabs(a - b) < flt_eps;
}

/// Adds `other` (another histogram or a batch's) into `h`, widening h's range to the union first.
inline void merge_histogram(hfmg_histogram& h, const hfmg_histogram& other)
{
    const float lo = std::min(h.min, other.min);
    const float hi = std::max(h.max, other.max);
    if (!(same_edge(lo, h.min) && same_edge(hi, h.max)))
    {
        h.counts = rebin(h, lo, hi);
        h.min = lo;
        h.max = hi;
    }
    const std::vector<std::int64_t> add =
      same_edge(other.min, h.min) && same_edge(other.max, h.max) ? other.counts : rebin(other, h.min, h.max);
    for (std::size_t i = 0; i < add.size(); ++i)
    {
        h.counts[i] += add[i];
    }
}

/// Where 4.1 puts a batch: the range it is histogrammed over (the union of the running range and the batch's
/// [min, max]) and whether the running range moves there (there is none yet, or an edge moves by FLT_EPS or
/// more); otherwise the running range stays and the batch's counts add as they are.
struct hfmg_step
{
    float min = 0.0f;
    float max = 0.0f;
    bool moves = true;
};

/// The step of a batch of range [batch_min, batch_max] after a running range [run_min, run_max] (none if
/// `first`).
inline hfmg_step hfmg_next_step(bool first,
                                float run_min,
                                float run_max,
                                float batch_min,
                                float batch_max) noexcept
{
    if (first)
    {
        return {batch_min, batch_max, true};
    }
    const float lo = std::min(run_min, batch_min);
    const float hi = std::max(run_max, batch_max);
    return {lo, hi, !(same_edge(lo, run_min) && same_edge(hi, run_max))};
}

/// Adds `counts`, histogrammed over step's range, to `h`; h moves to that range first, re-binned, when the
/// step moves it.
inline void hfmg_apply(hfmg_histogram& h, const hfmg_step& step, std::vector<std::int64_t> counts)
{
    if (h.counts.empty())
    {
        h = {step.min, step.max, std::move(counts)};
        return;
    }
    if (step.moves)
    {
        h.counts = rebin(h, step.min, step.max);
        h.min = step.min;
        h.max = step.max;
    }
    for (std::size_t i = 0; i < counts.size(); ++i)
    {
        h.counts[i] += counts[i];
    }
}

/// The L2 loss of 4.3 for candidate (l, r) with 2^bits destination bins.
inline double hfmg_loss(const std::vector<std::int64_t>& counts,
                        double bin_width,
                        std::size_t l,
                        std::size_t r,
                        int bits)
{
    const double levels = std::ldexp(1.0, bits);
    const double dw = bin_width * static_cast<double>(r - l + 1) / levels;
    if (dw < static_cast<double>(flt_eps))
    {
        return 0.0;
    }
    const auto last = static_cast<std::int64_t>(levels) - 1;
    auto clamp_bin = [&](double v)
    {
        const double t = std::floor(v / dw);
        return t < 0.0 ? std::int64_t{0}
                       : (t > static_cast<double>(last) ? last : static_cast<std::int64_t>(t));
    };
    double loss = 0.0;
    for (std::size_t i = 0; i < counts.size(); ++i)
    {
        if (counts[i] == 0)
        {
            continue;
        }
        const double density = static_cast<double>(counts[i]) / bin_width;
        const auto norm = [&](double a, double e)
        {
            return density * (e * e * e - a * a * a) / 3.0;
        };
        const double sb = (static_cast<double>(i) - static_cast<double>(l)) * bin_width;
        const double se = sb + bin_width;
        const std::int64_t db = clamp_bin(sb);
        const std::int64_t de = clamp_bin(se);
        const double cb = (static_cast<double>(db) + 0.5) * dw;
        const double ce = (static_cast<double>(de) + 0.5) * dw;
        if (db == de)
        {
            loss += norm(sb - cb, se - cb);
        }
        else
        {
            loss += norm(sb - cb, dw / 2) + static_cast<double>(de - db - 1) * norm(-dw / 2, dw / 2)
                    + norm(-dw / 2, se - ce);
        }
    }
    return loss;
}

/// 4.2 and 4.3: the (l, r) with the least loss, first minimum; (0, bins - 1) when there is no candidate.
inline std::pair<std::size_t, std::size_t> hfmg_search(const hfmg_histogram& h, int bits)
{
    const std::size_t bins = h.counts.size();
    const double bin_width = (static_cast<double>(h.max) - h.min) / static_cast<double>(bins);
    std::int64_t total = 0;
    for (auto c : h.counts)
    {
        total += c;
    }
    const std::int64_t step = std::max<std::int64_t>((total + 99999) / 100000, 1);
    const auto min_bins = static_cast<std::size_t>(std::ceil(static_cast<double>(bins) / 4.0));
    std::size_t left = 0, right = bins - 1;
    std::pair<std::size_t, std::size_t> best{left, right};
    double best_loss = 0.0;
    bool have = false;
    while (right - left > min_bins)
    {
        std::size_t nl = left;
        for (std::int64_t acc = 0; acc < step && nl < right; ++nl)
        {
            acc += h.counts[nl];
        }
        std::size_t nr = right;  // AMCT bounds the right walk by the advanced left index
        for (std::int64_t acc = 0; acc < step && nr > nl; --nr)
        {
            acc += h.counts[nr];
        }
        if (right - nr >= nl - left)
        {
            right = nr;
        }
        else
        {
            left = nl;
        }
        const double loss = hfmg_loss(h.counts, bin_width, left, right, bits);
        if (!have || loss < best_loss)
        {
            best = {left, right};
            best_loss = loss;
            have = true;
        }
    }
    return best;
}
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
    void reserve_range(float min, float max)
    {
        if (!m_hist.counts.empty())
        {
            detail::throw_error<value_error>(where() + ": reserve_range must come before the first batch");
        }
        validate_range(min, max, "");
        m_hist = {min, max, std::vector<std::int64_t>(static_cast<std::size_t>(m_params.num_of_bins), 0)};
    }

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

    void observe(const float* x, std::size_t n)
    {
        if (n > 0)
        {
            kernel::minmax_result r;
            kernel::minmax(x, n, r);  // one pass gives the range and the finiteness check
            if (!r.all_finite())
            {
                check_batch(x, n);  // throws, naming the element
            }
            const detail::hfmg_step step =
              detail::hfmg_next_step(m_hist.counts.empty(), m_hist.min, m_hist.max, r.min, r.max);
            std::vector<std::int64_t> counts(static_cast<std::size_t>(m_params.num_of_bins), 0);
            detail::histc(x, n, step.min, step.max, counts);
            detail::hfmg_apply(m_hist, step, std::move(counts));
        }
        count_batch();
    }

    void merge(const hfmg_observer& other)
    {
        check_mergeable(other, other.m_params == m_params);
        if (m_hist.counts.empty())
        {
            m_hist = other.m_hist;
        }
        else if (!other.m_hist.counts.empty())
        {
            detail::merge_histogram(m_hist, other.m_hist);
        }
        add_batches(other);
    }

    /// @throws value_error if nothing was observed.
    calibration_result compute() const
    {
        std::int64_t total = 0;
        for (auto c : m_hist.counts)
        {
            total += c;
        }
        if (total == 0)
        {
            detail::throw_error<value_error>(where() + ": HFMG has no calibration data");
        }
        const auto [l, r] = detail::hfmg_search(m_hist, m_params.num_bits);
        const float w = (m_hist.max - m_hist.min) / static_cast<float>(m_params.num_of_bins);
        float clip_min = m_hist.min + static_cast<float>(l) * w;
        float clip_max = m_hist.min + static_cast<float>(r + 1) * w;
        if (!std::isfinite(w))  // a range wider than FLT_MAX
        {
            const double dw = (static_cast<double>(m_hist.max) - m_hist.min) / m_params.num_of_bins;
            clip_min = static_cast<float>(m_hist.min + static_cast<double>(l) * dw);
            clip_max = static_cast<float>(
              std::min(m_hist.min + static_cast<double>(r + 1) * dw, static_cast<double>(m_hist.max)));
        }
        calibration_result res;
        res.num_bits = m_params.num_bits;
        res.asymmetric = m_params.asymmetric;
        const auto [s, o] = choose_scale_offset(clip_min,
                                                clip_max,
                                                detail::signed_qmin(res.num_bits),
                                                detail::signed_qmax(res.num_bits),
                                                !res.asymmetric);
        push_channel(res, s, o);
        return res;
    }

    std::string save() const
    {
        state_writer w;
        w.str(m_layer);
        w.u64(m_batches);
        write_params(w, m_params);
        w.f32(m_hist.min);
        w.f32(m_hist.max);
        w.u64(m_hist.counts.size());
        for (auto c : m_hist.counts)
        {
            w.i64(c);
        }
        return w.finish(algorithm, state_version);
    }

    static hfmg_observer load(const std::string& bytes)
    {
        state_reader r(bytes, algorithm, state_version);
        std::string layer = r.str();
        const std::uint64_t batches = r.u64();
        const auto p = read_params<hfmg_params>(r);
        hfmg_observer o(p, std::move(layer));
        o.m_hist.min = r.f32();
        o.m_hist.max = r.f32();
        const std::size_t n = r.count(8);
        if (n != 0
            && !(std::isfinite(o.m_hist.min) && std::isfinite(o.m_hist.max) && o.m_hist.min <= o.m_hist.max))
        {
            state_reader::fail("HFMG histogram range is not finite and ordered");
        }
        if (n != 0 && n != static_cast<std::uint64_t>(p.num_of_bins))
        {
            state_reader::fail("HFMG histogram has " + std::to_string(n) + " bins, num_of_bins is "
                               + std::to_string(p.num_of_bins));
        }
        o.m_hist.counts.resize(n);
        for (auto& c : o.m_hist.counts)
        {
            c = r.i64();
            if (c < 0 || c > (std::int64_t{1} << 56))
            {
                state_reader::fail("HFMG histogram has a count out of range");
            }
        }
        r.done();
        o.m_batches = static_cast<std::size_t>(batches);
        return o;
    }

private:
    friend class hfmg_segments;

    hfmg_params m_params;
    hfmg_histogram m_hist;
};

/// @brief HFMG over batches numbered 0 .. batches - 1 in the calibration order, observed in any order and
/// split over threads or machines, with exactly the histogram of one hfmg_observer fed them in order.
///
/// 4.1 places batch k by the running range after batches 0 .. k - 1, a function of their [min, max] alone
/// (hfmg_next_step). Whoever holds batch k can histogram it once those ranges are known (add_range, place).
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
    void add_range(std::size_t k, float min, float max)
    {
        check_range(k, min, max);
        if (m_ranges.emplace(k, std::make_pair(min, max)).second)
        {
            extend();
        }
    }

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
    std::vector<std::int64_t> contribution(const float* x, std::size_t n, const placement& p) const
    {
        std::vector<std::int64_t> counts(static_cast<std::size_t>(params().num_of_bins), 0);
        detail::histc(x, n, p.step.min, p.step.max, counts);
        return counts;
    }

    /// Adds the contribution of a batch placed at `p` to its segment.
    void add(const placement& p, std::vector<std::int64_t> counts)
    {
        add(p.segment, std::move(counts));
    }

    /// Adds the counts of a batch histogrammed over place(k).step (detail::histc) to place(k).segment.
    void add(std::size_t segment, std::vector<std::int64_t> counts)
    {
        auto& sum = m_sums[segment];
        if (sum.empty())
        {
            sum = std::move(counts);
            return;
        }
        for (std::size_t i = 0; i < sum.size(); ++i)
        {
            sum[i] += counts[i];
        }
    }

    /// @throws value_error as merge(other) would; changes nothing.
    void check_merge(const hfmg_segments& other) const
    {
        if (other.params() != params() || batches() != other.batches())
        {
            detail::throw_error<value_error>(where() + ": cannot merge HFMG segments of other parameters or "
                                             + std::to_string(other.batches()) + " batches");
        }
        for (const auto& [k, range] : other.m_ranges)
        {
            check_range(k, range.first, range.second);
        }
    }

    /// Adds another holder's ranges and counts. @throws value_error for other parameters, another batch
    /// count, or a range that differs from this one's; nothing changes then.
    void merge(const hfmg_segments& other)
    {
        check_merge(other);
        m_ranges.insert(other.m_ranges.begin(), other.m_ranges.end());
        extend();
        for (const auto& [segment, counts] : other.m_sums)
        {
            add(segment, counts);
        }
    }

    /// The observer that saw every batch in order. Requires every range and every batch's counts.
    /// @throws value_error if a range is missing.
    hfmg_observer result() const
    {
        if (batches() == 0 || !placed(batches() - 1))
        {
            detail::throw_error<value_error>(where() + ": HFMG lacks the range of batch "
                                             + std::to_string(m_places.size()));
        }
        for (std::size_t k = 0; k < m_places.size(); ++k)
        {
            if (m_places[k].segment == k && !m_sums.count(k))
            {
                detail::throw_error<value_error>(where() + ": HFMG lacks the counts of batch "
                                                 + std::to_string(k));
            }
        }
        hfmg_observer o = m_result;
        for (const auto& [segment, counts] : m_sums)
        {
            detail::hfmg_apply(o.m_hist, m_places[segment].step, counts);
        }
        o.m_batches = batches();
        return o;
    }

    void save(state_writer& w) const
    {
        write_params(w, params());
        w.u64(batches());
        w.u64(m_ranges.size());
        for (const auto& [k, range] : m_ranges)
        {
            w.u64(k);
            w.f32(range.first);
            w.f32(range.second);
        }
        w.u64(m_sums.size());
        for (const auto& [segment, counts] : m_sums)
        {
            w.u64(segment);
            for (auto c : counts)
            {
                w.i64(c);
            }
        }
    }

    /// @throws state_error for inconsistent state.
    static hfmg_segments load(state_reader& r, std::string layer)
    {
        const auto p = read_params<hfmg_params>(r);
        const auto batches = static_cast<std::size_t>(r.u64());
        hfmg_segments s(p, std::move(layer), batches);
        for (std::size_t n = r.count(16); n > 0; --n)
        {
            const auto k = static_cast<std::size_t>(r.u64());
            const float lo = r.f32();
            const float hi = r.f32();
            if (s.known(k))
            {
                state_reader::fail(s.where() + ": HFMG range of batch " + std::to_string(k) + " given twice");
            }
            try
            {
                s.add_range(k, lo, hi);
            }
            catch (const value_error& e)
            {
                state_reader::fail(e.what());
            }
        }
        const auto bins = static_cast<std::size_t>(p.num_of_bins);
        for (std::size_t n = r.count(8 * (bins + 1)); n > 0; --n)
        {
            const auto segment = static_cast<std::size_t>(r.u64());
            if (!s.placed(segment) || s.m_places[segment].segment != segment || s.m_sums.count(segment))
            {
                state_reader::fail(s.where() + ": HFMG counts for batch " + std::to_string(segment)
                                   + ", which does not start a known segment");
            }
            std::vector<std::int64_t> counts(bins);
            for (auto& c : counts)
            {
                c = r.i64();
                if (c < 0 || c > (std::int64_t{1} << 56))
                {
                    state_reader::fail(s.where() + ": HFMG histogram has a count out of range");
                }
            }
            s.m_sums.emplace(segment, std::move(counts));
        }
        return s;
    }

    /// @throws value_error as add_range(k, min, max) would; changes nothing.
    void check_range(std::size_t k, float min, float max) const
    {
        const auto at = [&]  // built only for a message
        {
            return where() + ", batch " + std::to_string(k);
        };
        if (k >= batches())
        {
            detail::throw_error<value_error>(at() + ": beyond the " + std::to_string(batches()) + " batches");
        }
        if (!(std::isfinite(min) && std::isfinite(max) && min <= max))
        {
            detail::throw_error<value_error>(at() + ": HFMG range [" + detail::number_to_string(min) + ", "
                                             + detail::number_to_string(max) + "] is not finite and ordered");
        }
        const auto it = m_ranges.find(k);
        if (it != m_ranges.end()
            && !(bits_equal(it->second.first, min) && bits_equal(it->second.second, max)))
        {
            detail::throw_error<value_error>(at() + ": observed twice, with different ranges");
        }
    }

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
    void extend()
    {
        for (auto it = m_ranges.find(m_places.size()); it != m_ranges.end() && it->first == m_places.size();
             ++it)
        {
            const std::size_t k = it->first;
            // the running range: the step of the last batch that moved it (ignored for the first batch)
            const detail::hfmg_step run =
              m_places.empty() ? detail::hfmg_step{} : m_places[m_places.back().segment].step;
            const detail::hfmg_step step =
              detail::hfmg_next_step(m_places.empty(), run.min, run.max, it->second.first, it->second.second);
            m_places.push_back({step, step.moves ? k : m_places.back().segment});
        }
    }

    hfmg_observer m_result;  ///< parameters and layer name; no data
    std::size_t m_batches;
    std::map<std::size_t, std::pair<float, float>> m_ranges;  ///< [min, max] of each known batch
    std::vector<placement> m_places;                          ///< of batches 0 .. m_places.size() - 1
    std::map<std::size_t, std::vector<std::int64_t>> m_sums;  ///< counts per segment (its first batch)
};
}  // namespace AMCT_ABI
}  // namespace amct
