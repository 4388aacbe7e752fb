// amct/algo/ifmr.hpp: IFMR (Input Feature Map Reconstruction), AMCT's activation calibration, exactly as
// docs/algorithms.md#ifmr-reference-algorithm and decision 4 of docs/sources.md#decisions define it:
// clang-format off
//   1. max0 = k_max-th largest, min0 = k_min-th smallest value, k = N - floor(p N)
//      (k = 1 when 1 - p < FLT_EPS); then max0 = max(max0, 0), min0 = min(min0, 0);
//   2. candidates ratio_i = start + i step, i < ceil((end - start) / step), both in double
//      (torch.arange), the ratios rounded to float32;
//   3. symmetric: c_i = ratio_i M with M = max(|max0|, |min0|), s_i = c_i / L (L = 127, or 128 when
//      |max0| < |min0|); asymmetric: c_i = ratio_i max0, s_i = (c_i - min0) / (2^b - 1); s_i < FLT_EPS -> 1;
//   4. loss_i = mean over all data of (round(clamp(x, lo_i, c_i) / s_i) s_i - x)^2
//      with lo_i = -c_i (symmetric) or min0 (asymmetric), the float clamp, round half to even;
//      the first minimum wins;
//   5. offset = 0 (symmetric) or -round(min0 / s) - 2^(b-1).
// clang-format on
// Exact mode keeps all data (sorted once, into a canonical order, so that merging in any order gives
// identical sums). Bounded mode (an extension) streams the data into a bit_histogram, O(1) per value, and
// runs the same search on it (amct/algo/bit_histogram_density.hpp); it keeps the values themselves, and runs
// exact IFMR, while a layer has at most bounded_exact_limit of them.
#pragma once

#include <algorithm>    // std::min
#include <array>        // std::array
#include <cmath>        // std::ceil, std::floor, std::fabs, std::nearbyint
#include <cstddef>      // std::size_t
#include <limits>       // std::numeric_limits
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <tuple>        // std::make_tuple
#include <vector>       // std::vector

#include <amct/algo/bit_histogram.hpp>
#include <amct/algo/bit_histogram_density.hpp>
#include <amct/algo/observer.hpp>
#include <amct/algo/param.hpp>
#include <amct/algo/result.hpp>
#include <amct/algo/state_io.hpp>
#include <amct/base/macros.hpp>
#include <amct/core/choose_qparams.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/radix_sort.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// IFMR's storage of the calibration data (an extension: config.json "ifmr_mode", quant.cfg ifmr_mode).
enum class ifmr_mode
{
    exact,   ///< keeps every calibration value: AMCT's algorithm, exact order statistics
    bounded  ///< counts by the top bits of each value (amct::bit_histogram): O(1) per value, bounded memory
};

template <>
struct enum_names<ifmr_mode>
{
    static constexpr std::array<std::string_view, 2> values = {"exact", "bounded"};
};

class ifmr_observer;

/// IFMR's parameters: AMCT's FMRQuantize (docs/algorithms.md, "IFMR"), ranges from AMCT's ptq_config_param.
struct ifmr_params
{
    double max_percentile = 0.999999;
    double min_percentile = 0.999999;
    double search_range_start = 0.7;
    double search_range_end = 1.3;
    double search_step = 0.01;
    bool asymmetric = true;  ///< unset in a file: activation_offset
    int num_bits = 8;
    ifmr_mode mode = ifmr_mode::exact;

    static constexpr std::string_view name = "ifmr";
    static constexpr std::string_view cfg_message = "ifmr_quantize";
    static constexpr std::string_view cfg_type = "IFMRQuantize";
    static constexpr bool extension = false;
    using observer = ifmr_observer;

    static constexpr auto fields()
    {
        using namespace param;
        using P = ifmr_params;
        return std::make_tuple(
          make("max_percentile", &P::max_percentile, open_closed(0.5, 1.0), cfg("max_percentile"), written),
          make("min_percentile", &P::min_percentile, open_closed(0.5, 1.0), cfg("min_percentile"), written),
          make_range("search_range",
                     &P::search_range_start,
                     &P::search_range_end,
                     increasing_positive{},
                     cfg_pair("search_range_start", "search_range_end"),
                     written),
          make("search_step", &P::search_step, any{}, cfg("search_step"), written),
          make("asymmetric", &P::asymmetric, any{}, cfg("asymmetric"), inherit),
          make("num_bits", &P::num_bits, values(4, 8, 16), cfg_bits("dst_type", 8, 16)),
          make("ifmr_mode", &P::mode, any{}, cfg("ifmr_mode")));
    }

    /// search_step in (0, end - start], at most 100000 candidates (ceil((end - start) / step)).
    template <class R>
    static void check(const ifmr_params& p, R& report)
    {
        if (!param::increasing_positive{}(p.search_range_start, p.search_range_end))
        {
            return;  // the range's own rule reports it
        }
        const double span = p.search_range_end - p.search_range_start;
        if (!(p.search_step > 0.0 && p.search_step <= span))
        {
            report("search_step",
                   detail::number_to_string(p.search_step),
                   "in (0, " + detail::number_to_string(span) + "]");
            return;
        }
        const double candidates = std::ceil(span / p.search_step);
        if (candidates > 100000.0)
        {
            report("search_step",
                   detail::number_to_string(p.search_step),
                   "large enough for at most 100000 candidates (it gives "
                     + std::to_string(static_cast<long long>(std::min(candidates, 1e18))) + ")");
        }
    }
};

/// The search IFMR ran, for logs and reports.
struct ifmr_search
{
    float max0 = 0.0f;           ///< initial upper clip (after clamping to >= 0)
    float min0 = 0.0f;           ///< initial lower clip (after clamping to <= 0)
    std::vector<float> ratios;   ///< candidate ratios
    std::vector<double> losses;  ///< mean squared error of each candidate
    std::size_t best = 0;        ///< index of the first minimum
};

namespace detail
{
/// torch.arange(start, end, step, dtype=float32) as AMCT's torch code runs it on x86-64 CPUs:
/// n = ceil((end - start) / step) in double (61 for the defaults 0.7, 1.3, 0.01;
/// docs/algorithms.md#ifmr-candidate-counts), values from ATen's vectorized kernel of width 8: for a vector
/// starting at b, f32(double(f32(start + b step)) + j step), two vectors per iteration, and
/// f32(start + i step) for the tail. This differs from f32(start + i step) in the last bit for some i (e.g.
/// i = 2 of the defaults gives 0.719999969, not 0.720000029).
AMCT_DECL std::vector<float> ifmr_ratios(const ifmr_params& p);

/// Rank of the percentile order statistic: k = N - floor(p N), or 1 when 1 - p < FLT_EPS (OSS-PY, in double).
AMCT_DECL std::size_t ifmr_rank(double p, std::size_t n) noexcept;

/// Sum over x of (round(clamp(x, lo, hi) / s) * s - x)^2, squares of float errors accumulated per block in
/// float and across blocks in double, in a fixed order.
AMCT_DECL double ifmr_sum_sq(const float* x, std::size_t n, float lo, float hi, float s) noexcept;

/// Exact data in ascending order. q(x) = round(clamp(x, lo, hi) / s) s is nondecreasing in x, so the sorted
/// data splits into runs of equal q, found by binary search on q itself; a run [i, j) adds
/// sum x^2 - 2 q sum x + (j - i) q^2 from prefix sums kept every `block` values: the sum of ifmr_sum_sq's
/// element loop up to rounding (both within 1e-7 relative), at O(runs (block + log n)) per candidate
/// instead of O(n). With more runs than that pays for, the element loop runs.
struct ifmr_sorted_source
{
    static constexpr std::size_t block = 64;

    const std::vector<float>& x;
    std::vector<double> s1, s2;  // sums of x and x^2 over x[0, k block), k = 0 .. n / block

    AMCT_DECL explicit ifmr_sorted_source(const std::vector<float>& sorted);

    std::size_t size() const noexcept
    {
        return x.size();
    }

    float kth_largest(std::size_t k) const noexcept
    {
        return x[x.size() - k];
    }

    float kth_smallest(std::size_t k) const noexcept
    {
        return x[k - 1];
    }

    AMCT_DECL double sum_sq(float lo, float hi, float s) const noexcept;

private:
    AMCT_DECL void prefix(std::size_t k, double& a, double& b) const noexcept;
};

/// One candidate of the search: q(x) = round(clamp(x, lo, hi) / s) s.
struct ifmr_candidate
{
    float lo, hi, s;
};

/// The sums of squared errors of every candidate, one sum_sq(lo, hi, s) each.
template <class Source>
inline std::vector<double> ifmr_sums(const Source& src, const std::vector<ifmr_candidate>& cs)
{
    std::vector<double> out;
    out.reserve(cs.size());
    for (const auto& c : cs)
    {
        out.push_back(src.sum_sq(c.lo, c.hi, c.s));
    }
    return out;
}

/// A bit_histogram; the order statistics and sums of amct/algo/bit_histogram_density.hpp.
struct ifmr_bit_source
{
    const bit_histogram& h;

    std::size_t size() const noexcept
    {
        return static_cast<std::size_t>(h.count());
    }

    float kth_largest(std::size_t k) const
    {
        return h.kth(k, true);
    }

    float kth_smallest(std::size_t k) const
    {
        return h.kth(k, false);
    }
};

/// One density for all candidates: it only needs the finest step.
AMCT_DECL std::vector<double> ifmr_sums(const ifmr_bit_source& src, const std::vector<ifmr_candidate>& cs);

/// Steps 1 to 5 of the file comment on any source.
template <class Source>
inline calibration_result run_ifmr(const Source& src, const ifmr_params& p, ifmr_search* log)
{
    const std::size_t n = src.size();
    float max0 = src.kth_largest(ifmr_rank(p.max_percentile, n));
    float min0 = src.kth_smallest(ifmr_rank(p.min_percentile, n));
    max0 = max0 > 0.0f ? max0 : 0.0f;
    min0 = min0 < 0.0f ? min0 : 0.0f;
    const std::int32_t qmin = signed_qmin(p.num_bits);
    const std::int32_t qmax = signed_qmax(p.num_bits);
    const float bound = std::fabs(max0) > std::fabs(min0) ? std::fabs(max0) : std::fabs(min0);
    const float levels = static_cast<float>(std::fabs(max0) < std::fabs(min0) ? -qmin : qmax);
    const float range_levels = static_cast<float>(qmax - qmin);

    ifmr_search search;
    search.max0 = max0;
    search.min0 = min0;
    search.ratios = ifmr_ratios(p);
    std::vector<ifmr_candidate> candidates;
    candidates.reserve(search.ratios.size());
    for (const float ratio : search.ratios)
    {
        float clip, lo, scale;
        if (p.asymmetric)
        {
            clip = ratio * max0;
            lo = min0;
            scale = (clip - min0) / range_levels;
        }
        else
        {
            clip = ratio * bound;
            lo = -clip;
            scale = clip / levels;
        }
        if (!std::isfinite(scale))  // a range beyond FLT_MAX: the same scale through double
        {
            const double c = static_cast<double>(ratio) * (p.asymmetric ? max0 : bound);
            scale = static_cast<float>(p.asymmetric ? (c - min0) / range_levels : c / levels);
            clip = static_cast<float>(std::min(c, static_cast<double>(std::numeric_limits<float>::max())));
            lo = p.asymmetric ? min0 : -clip;
        }
        candidates.push_back({lo, clip, scale < flt_eps ? 1.0f : scale});
    }
    search.losses = ifmr_sums(src, candidates);
    for (std::size_t i = 0; i < search.losses.size(); ++i)
    {
        search.losses[i] /= static_cast<double>(n);
        if (search.losses[i] < search.losses[search.best])
        {
            search.best = i;
        }
    }
    const float best_scale = candidates[search.best].s;
    calibration_result r;
    r.num_bits = p.num_bits;
    r.asymmetric = p.asymmetric;
    const std::int32_t offset =
      p.asymmetric ? static_cast<std::int32_t>(-std::nearbyint(min0 / best_scale)) + qmin : 0;
    push_channel(r, best_scale, offset);
    if (log)
    {
        *log = std::move(search);
    }
    return r;
}
}  // namespace detail

/// @brief IFMR observer (see the file comment). In exact mode memory is 4 bytes per observed value; in
/// bounded mode a few MiB at most, whatever the number of values.
class ifmr_observer : public observer_base
{
public:
    using params_type = ifmr_params;
    static constexpr const char* algorithm = "ifmr";
    static constexpr std::uint32_t state_version = 2;  // 2: bounded mode keeps a bit_histogram

    /// @throws value_error naming the layer and field for parameters outside AMCT's ranges.
    explicit ifmr_observer(const ifmr_params& params = {}, std::string layer = {})
      : observer_base(std::move(layer))
      , m_params(params)
    {
        require_valid(m_params, where());
    }

    const ifmr_params& params() const noexcept
    {
        return m_params;
    }

    /// Bounded mode keeps the values themselves, and runs exact IFMR on them, while there are at most this
    /// many (a layer with few values has bins of one value each, which the histogram would smear).
    static constexpr std::size_t bounded_exact_limit = 16384;

    /// Number of values observed.
    std::size_t count() const noexcept
    {
        return m_params.mode == ifmr_mode::exact ? m_data.size() : static_cast<std::size_t>(m_hist.count());
    }

    /// Adds every element of `batch` (any rank; the data is flattened, as AMCT does).
    /// @throws value_error if it holds NaN or Inf; the observer is then unchanged.
    template <class E>
    void observe(const xt::xexpression<E>& batch)
    {
        const detail::contiguous_data<float> in(batch.derived_cast());
        observe(in.data(), in.size());
    }

    /// The observer contract's form: the shape gives the element count (the data is flattened, as AMCT does).
    void observe(const float* x, const std::vector<std::size_t>& shape)
    {
        observe(x, detail::element_count(shape));
    }

    AMCT_DECL void observe(const float* x, std::size_t n);

    /// Adds what `other` observed. @throws value_error if the parameters differ.
    AMCT_DECL void merge(const ifmr_observer& other);

    /// Runs IFMR. @throws value_error if nothing was observed.
    AMCT_DECL calibration_result compute(ifmr_search* log = nullptr) const;

    AMCT_DECL std::string save() const;

    /// @throws state_error for corrupt or foreign state; value_error for invalid parameters or data in it.
    AMCT_DECL static ifmr_observer load(const std::string& bytes);

private:
    /// Bounded mode: appends x to the kept values while the count (already including them) stays within
    /// bounded_exact_limit, drops them for good once it does not.
    AMCT_DECL void keep_while_small(const float* x, std::size_t n);

    ifmr_params m_params;
    std::vector<float> m_data;  // exact mode: every value, in observation order; bounded: while few
    bit_histogram m_hist;       // bounded mode
};
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/ifmr.ipp>
#endif
