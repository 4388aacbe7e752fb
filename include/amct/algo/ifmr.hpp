// amct/algo/ifmr.hpp: IFMR (Input Feature Map Reconstruction), AMCT's activation calibration, exactly as
// amct-algorithms.md section 3.2 and Decision 4 define it:
//   1. max0 = k_max-th largest, min0 = k_min-th smallest value, k = N - floor(p N) (k = 1 when 1 - p <
//   FLT_EPS);
//      then max0 = max(max0, 0), min0 = min(min0, 0);
//   2. candidates ratio_i = start + i step, i < ceil((end - start) / step), both in double (torch.arange),
//   the
//      ratios rounded to float32;
//   3. symmetric: c_i = ratio_i M with M = max(|max0|, |min0|), s_i = c_i / L (L = 127, or 128 when
//      |max0| < |min0|); asymmetric: c_i = ratio_i max0, s_i = (c_i - min0) / (2^b - 1); s_i < FLT_EPS -> 1;
//   4. loss_i = mean over all data of (round(clamp(x, lo_i, c_i) / s_i) s_i - x)^2 with lo_i = -c_i
//   (symmetric)
//      or min0 (asymmetric), the float clamp, round half to even; the first minimum wins;
//   5. offset = 0 (symmetric) or -round(min0 / s) - 2^(b-1).
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
/// torch.arange(start, end, step, dtype=float32) as AMCT's torch code runs it on x86-64 CPUs: n = ceil((end -
/// start) / step) in double (61 for the defaults 0.7, 1.3, 0.01; amct-algorithms.md 13.3), values from ATen's
/// vectorized kernel of width 8: for a vector starting at b, f32(double(f32(start + b step)) + j step), two
/// vectors per iteration, and f32(start + i step) for the tail. This differs from f32(start + i step) in the
/// last bit for some i (e.g. i = 2 of the defaults gives 0.719999969, not 0.720000029).
inline std::vector<float> ifmr_ratios(const ifmr_params& p)
{
    const auto n =
      static_cast<std::size_t>(std::ceil((p.search_range_end - p.search_range_start) / p.search_step));
    constexpr std::size_t width = 8;
    std::vector<float> r(n);
    std::size_t i = 0;
    for (; i + 2 * width <= n; i += 2 * width)
    {
        for (std::size_t v = i; v < i + 2 * width; v += width)
        {
            const auto base = static_cast<double>(
              static_cast<float>(p.search_range_start + static_cast<double>(v) * p.search_step));
            for (std::size_t j = 0; j < width; ++j)
            {
                r[v + j] = static_cast<float>(base + static_cast<double>(j) * p.search_step);
            }
        }
    }
    for (; i < n; ++i)
    {
        r[i] = static_cast<float>(p.search_range_start + static_cast<double>(i) * p.search_step);
    }
    return r;
}

/// Rank of the percentile order statistic: k = N - floor(p N), or 1 when 1 - p < FLT_EPS (OSS-PY, in double).
inline std::size_t ifmr_rank(double p, std::size_t n) noexcept
{
    if (1.0 - p < static_cast<double>(flt_eps))
    {
        return 1;
    }
    const auto k = n - static_cast<std::size_t>(std::floor(p * static_cast<double>(n)));
    return k < 1 ? 1 : (k > n ? n : k);
}

/// Sum over x of (round(clamp(x, lo, hi) / s) * s - x)^2, squares of float errors accumulated per block in
/// float and across blocks in double, in a fixed order.
inline double ifmr_sum_sq(const float* x, std::size_t n, float lo, float hi, float s) noexcept
{
    double total = 0.0;
    std::size_t i = 0;
#if AMCT_USE_XSIMD
    using batch = xsimd::batch<float, kernel::default_arch>;
    constexpr std::size_t w = batch::size;
    constexpr std::size_t block = 64 * w;
    const batch vlo(lo), vhi(hi), vs(s);
    for (; i + block <= n; i += block)
    {
        batch acc0(0.0f), acc1(0.0f);
        for (std::size_t k = 0; k < block; k += 2 * w)
        {
            const batch a = batch::load_unaligned(x + i + k);
            const batch b = batch::load_unaligned(x + i + k + w);
            const batch ea = xsimd::nearbyint(xsimd::min(xsimd::max(a, vlo), vhi) / vs) * vs - a;
            const batch eb = xsimd::nearbyint(xsimd::min(xsimd::max(b, vlo), vhi) / vs) * vs - b;
            acc0 += ea * ea;
            acc1 += eb * eb;
        }
        total += static_cast<double>(xsimd::hadd(acc0 + acc1));
    }
#endif
    float acc = 0.0f;
    for (; i < n; ++i)
    {
        const float c = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
        const float e = std::nearbyint(c / s) * s - x[i];
        acc += e * e;
    }
    return total + static_cast<double>(acc);
}

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

    explicit ifmr_sorted_source(const std::vector<float>& sorted)
      : x(sorted)
    {
        const std::size_t blocks = x.size() / block + 1;
        s1.resize(blocks);
        s2.resize(blocks);
        double a = 0.0, b = 0.0;
        for (std::size_t k = 0; k < blocks; ++k)
        {
            s1[k] = a;
            s2[k] = b;
            double a4[4] = {}, b4[4] = {};  // independent chains: the block's sums do not wait on each other
            const std::size_t end = std::min(x.size(), (k + 1) * block);
            std::size_t i = k * block;
            for (; i + 4 <= end; i += 4)
            {
                for (std::size_t j = 0; j < 4; ++j)
                {
                    const auto v = static_cast<double>(x[i + j]);
                    a4[j] += v;
                    b4[j] += v * v;
                }
            }
            for (; i < end; ++i)
            {
                a4[0] += static_cast<double>(x[i]);
                b4[0] += static_cast<double>(x[i]) * static_cast<double>(x[i]);
            }
            a += (a4[0] + a4[1]) + (a4[2] + a4[3]);
            b += (b4[0] + b4[1]) + (b4[2] + b4[3]);
        }
    }

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

    double sum_sq(float lo, float hi, float s) const noexcept
    {
        const std::size_t n = x.size();
        const double runs =
          (static_cast<double>(hi) - static_cast<double>(lo)) / static_cast<double>(s) + 2.0;
        if (!(runs * (2.0 * block + 64.0) < static_cast<double>(n)))
        {
            return ifmr_sum_sq(x.data(), n, lo, hi, s);
        }
        const auto q_of = [&](float v)
        {
            const float c = v < lo ? lo : (v > hi ? hi : v);
            return std::nearbyint(c / s) * s;
        };
        double total = 0.0, a0 = 0.0, b0 = 0.0;  // prefix sums at i
        for (std::size_t i = 0; i < n;)
        {
            const float q = q_of(x[i]);
            // first j > i with q_of(x[j]) > q
            std::size_t lo_i = i + 1, hi_i = n;
            while (lo_i < hi_i)
            {
                const std::size_t mid = lo_i + (hi_i - lo_i) / 2;
                if (q_of(x[mid]) > q)
                {
                    hi_i = mid;
                }
                else
                {
                    lo_i = mid + 1;
                }
            }
            double a1, b1;
            prefix(lo_i, a1, b1);
            const double qd = static_cast<double>(q);
            total += (b1 - b0) - 2.0 * qd * (a1 - a0) + static_cast<double>(lo_i - i) * qd * qd;
            a0 = a1;
            b0 = b1;
            i = lo_i;
        }
        return total;
    }

private:
    void prefix(std::size_t k, double& a, double& b) const noexcept
    {
        a = s1[k / block];
        b = s2[k / block];
        for (std::size_t i = k / block * block; i < k; ++i)
        {
            a += static_cast<double>(x[i]);
            b += static_cast<double>(x[i]) * static_cast<double>(x[i]);
        }
    }
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
inline std::vector<double> ifmr_sums(const ifmr_bit_source& src, const std::vector<ifmr_candidate>& cs)
{
    float s_min = std::numeric_limits<float>::infinity();
    for (const auto& c : cs)
    {
        s_min = c.s < s_min ? c.s : s_min;
    }
    return ifmr_sums(bit_histogram_density(src.h, static_cast<double>(s_min)), cs);
}

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

    void observe(const float* x, std::size_t n)
    {
        if (m_params.mode == ifmr_mode::exact)
        {
            check_batch(x, n);
            m_data.insert(m_data.end(), x, x + n);
        }
        else if (!m_hist.add(x, n))  // the histogram's own pass finds NaN and Inf, and undoes the batch
        {
            check_batch(x, n);  // names the element
        }
        else
        {
            keep_while_small(x, n);
        }
        count_batch();
    }

    /// Adds what `other` observed. @throws value_error if the parameters differ.
    void merge(const ifmr_observer& other)
    {
        check_mergeable(other, other.m_params == m_params);
        m_hist.merge(other.m_hist);
        if (m_params.mode == ifmr_mode::exact)
        {
            m_data.insert(m_data.end(), other.m_data.begin(), other.m_data.end());
        }
        else
        {
            keep_while_small(other.m_data.data(), other.m_data.size());
        }
        add_batches(other);
    }

    /// Runs IFMR. @throws value_error if nothing was observed.
    calibration_result compute(ifmr_search* log = nullptr) const
    {
        if (count() == 0)
        {
            detail::throw_error<value_error>(where() + ": IFMR has no calibration data");
        }
        if (m_params.mode == ifmr_mode::exact || count() <= bounded_exact_limit)
        {
            // a sorted copy: the canonical order gives the same sums whatever the batch order, and compute()
            // stays const and safe to call from several threads
            const std::vector<float> sorted = detail::radix_sorted(m_data);
            return detail::run_ifmr(detail::ifmr_sorted_source(sorted), m_params, log);
        }
        return detail::run_ifmr(detail::ifmr_bit_source{m_hist}, m_params, log);
    }

    std::string save() const
    {
        state_writer w;
        w.str(m_layer);
        w.u64(m_batches);
        write_params(w, m_params);
        w.f32s(m_data);
        if (m_params.mode == ifmr_mode::bounded)
        {
            m_hist.save(w);
        }
        return w.finish(algorithm, state_version);
    }

    /// @throws state_error for corrupt or foreign state; value_error for invalid parameters or data in it.
    static ifmr_observer load(const std::string& bytes)
    {
        state_reader r(bytes, algorithm, state_version);
        std::string layer = r.str();
        const std::uint64_t batches = r.u64();
        const auto p = read_params<ifmr_params>(r);
        ifmr_observer o(p, std::move(layer));
        o.m_data = r.f32s();
        o.check_batch(o.m_data.data(), o.m_data.size());
        if (p.mode == ifmr_mode::bounded)
        {
            o.m_hist = bit_histogram::load(r);
            if (o.m_data.size() != (o.m_hist.count() <= bounded_exact_limit ? o.m_hist.count() : 0))
            {
                state_reader::fail("IFMR bounded state keeps " + std::to_string(o.m_data.size())
                                   + " values for a histogram of " + std::to_string(o.m_hist.count()));
            }
        }
        r.done();
        o.m_batches = static_cast<std::size_t>(batches);
        return o;
    }

private:
    /// Bounded mode: appends x to the kept values while the count (already including them) stays within
    /// bounded_exact_limit, drops them for good once it does not.
    void keep_while_small(const float* x, std::size_t n)
    {
        if (m_hist.count() <= bounded_exact_limit)
        {
            m_data.insert(m_data.end(), x, x + n);
        }
        else
        {
            std::vector<float>().swap(m_data);
        }
    }

    ifmr_params m_params;
    std::vector<float> m_data;  // exact mode: every value, in observation order; bounded: while few
    bit_histogram m_hist;       // bounded mode
};
}  // namespace AMCT_ABI
}  // namespace amct
