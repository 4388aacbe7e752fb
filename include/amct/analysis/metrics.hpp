// amct/analysis/metrics.hpp: how far an actual (quantized, simulated) output is from its reference (float)
// output. The definitions are the CANN accuracy comparison tool's (msaccucmp,
// docs/analysis.md#canns-accuracy-comparison-tool; amct's: docs/analysis.md#metrics), with x = actual,
// y = reference, both flattened, e = x - y, n = the number of elements, and
//   eps       = 2^-52 (numpy's finfo(float).eps, msaccucmp's FLOAT_EPSILON): "zero" for norms and for |y|,
//   FLT_EPS   = 2^-23 (numpy's finfo(float32).eps): the floor of the KL divergence's normalised values.
// Everything is summed in double. Non-finite data propagate as IEEE arithmetic makes them (a NaN element
// gives NaN for every metric whose sum or maximum it enters; an infinite error gives an infinite one).
#pragma once

#include <array>        // std::array
#include <cmath>        // std::sqrt, std::log, std::log10, std::fabs, std::isnan
#include <cstddef>      // std::size_t
#include <limits>       // std::numeric_limits
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/format.hpp>
#include <amct/detail/xtensor.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief The comparison metrics. x = actual, y = reference, e = x - y (see the file comment for eps).
enum class metric
{
    cosine,  ///< Σxy / (‖x‖‖y‖) clamped to [-1, 1]; 1 if ‖x‖, ‖y‖ <= eps; NaN if one is
    max_abs_error,                ///< max |e|
    mean_abs_error,               ///< Σ|e| / n
    rmse,                         ///< sqrt(Σe² / n)
    max_relative_error,           ///< max over |y| > eps of |x/y - 1|; 0 if no |y| > eps
    mean_relative_error,          ///< Σ_{|y|>eps} |x/y - 1| / #{|y| > eps}; 0 if no |y| > eps
    accumulated_relative_error,   ///< Σ_{|y|>eps} |x/y - 1|
    relative_euclidean_distance,  ///< sqrt(Σe² / Σy²); 0 if ‖y‖ <= eps
    kl_divergence,                ///< Σ p log(p/q), p from x and q from y (see comparison::value)
    sqnr  ///< 10 log10(Σy² / Σe²) dB; +inf if Σe² = 0; -inf if Σy² = 0 < Σe²
};

/// Every metric, in the enum's order.
inline constexpr std::array<metric, 10> all_metrics = {metric::cosine,
                                                       metric::max_abs_error,
                                                       metric::mean_abs_error,
                                                       metric::rmse,
                                                       metric::max_relative_error,
                                                       metric::mean_relative_error,
                                                       metric::accumulated_relative_error,
                                                       metric::relative_euclidean_distance,
                                                       metric::kl_divergence,
                                                       metric::sqnr};

/// "Zero" of the norms and of |y| (msaccucmp's FLOAT_EPSILON, numpy's finfo(float).eps).
inline constexpr double metric_eps = 2.220446049250313e-16;

/// The floor of the KL divergence's min-max normalised values (numpy's finfo(float32).eps).
inline constexpr double kl_floor = 1.1920928955078125e-07;

namespace detail
{
/// A metric's names: the canonical one first (HMCT's where HMCT has the metric), then accepted aliases.
struct metric_spelling
{
    metric m;
    bool higher_is_better;
    std::array<std::string_view, 4> names;  ///< unused slots are empty
};

// HMCT's Loss names: cosine-similarity, chebyshev (max |e|), mre (which HMCT computes as mean |e|), sqnr
// (HMCT's is half amct's dB value, same order); CANN's are the msaccucmp column names.
inline constexpr std::array<metric_spelling, 10> metric_spellings = {{
  {metric::cosine, true, {"cosine-similarity", "cosine", "CosineSimilarity"}},
  {metric::max_abs_error, false, {"max-abs-error", "chebyshev", "MaxAbsoluteError"}},
  {metric::mean_abs_error, false, {"mean-abs-error", "mae", "mre", "MeanAbsoluteError"}},
  {metric::rmse, false, {"rmse", "RootMeanSquareError", ""}},
  {metric::max_relative_error, false, {"max-relative-error", "MaxRelativeError", ""}},
  {metric::mean_relative_error, false, {"mean-relative-error", "MeanRelativeError", ""}},
  {metric::accumulated_relative_error, false, {"accumulated-relative-error", "AccumulatedRelativeError", ""}},
  {metric::relative_euclidean_distance,
   false,
   {"relative-euclidean-distance", "RelativeEuclideanDistance", ""}},
  {metric::kl_divergence, false, {"kl-divergence", "KullbackLeiblerDivergence", ""}},
  {metric::sqnr, true, {"sqnr", "SQNR", ""}},
}};

static_assert(
  []
  {
      for (std::size_t i = 0; i < metric_spellings.size(); ++i)
      {
          if (static_cast<std::size_t>(metric_spellings[i].m) != i || metric_spellings[i].m != all_metrics[i])
          {
              return false;
          }
      }
      return true;
  }(),
  "amct: metric_spellings and all_metrics follow the order of enum metric");

inline const metric_spelling& spelling_of(metric m) noexcept
{
    return metric_spellings[static_cast<std::size_t>(m)];
}
}  // namespace detail

/// @brief The canonical name of `m`: cosine-similarity, max-abs-error, mean-abs-error, rmse,
/// max-relative-error, mean-relative-error, accumulated-relative-error, relative-euclidean-distance,
/// kl-divergence, sqnr.
inline std::string_view metric_name(metric m) noexcept
{
    return detail::spelling_of(m).names[0];
}

/// @brief True for cosine and sqnr (larger is closer), false for the errors and distances.
inline bool higher_is_better(metric m) noexcept
{
    return detail::spelling_of(m).higher_is_better;
}

namespace detail
{
/// The metric called `name` (any spelling of metric_spellings), or nothing.
AMCT_DECL std::optional<metric> find_metric(std::string_view name) noexcept;

/// Why `name` is not a metric: "unknown metric "x"; known: cosine-similarity, ..." (HMCT's "mse" gets a
/// pointer to rmse, which ranks as it does).
AMCT_DECL std::string unknown_metric_message(std::string_view name);
}  // namespace detail

/// @brief The metric called `name`: a canonical name (metric_name), HMCT's spelling (cosine-similarity,
/// chebyshev = max-abs-error, mae, mre = mean-abs-error as HMCT computes it, sqnr) or CANN's column name
/// (CosineSimilarity, MaxAbsoluteError, ...). @throws value_error naming `name` and listing the canonical
/// names; HMCT's "mse" is refused with a pointer to rmse, which ranks the same.
AMCT_DECL metric parse_metric(std::string_view name);

namespace detail
{
/// max(m, d) in which a NaN wins and stays (std::max would depend on the order).
inline double nan_max(double m, double d) noexcept
{
    return d > m || std::isnan(d) ? d : m;
}

/// The sums behind every metric but the KL divergence; each merges by addition (maxima by nan_max).
struct comparison_sums
{
    std::size_t n = 0;
    double xy = 0.0, xx = 0.0, yy = 0.0;  // Σxy, Σx², Σy²
    double abs_e = 0.0, sq_e = 0.0;       // Σ|e|, Σe²
    double max_abs_e = 0.0;
    double rel = 0.0, max_rel = 0.0;  // Σ and max of |x/y - 1| over |y| > eps
    std::size_t rel_n = 0;            // #{|y| > eps}

    AMCT_DECL void add(const float* y, const float* x, std::size_t count) noexcept;

    AMCT_DECL void merge(const comparison_sums& o) noexcept;
};

/// msaccucmp's min-max normalisation of one value: (v - lo) / range (v itself when range = 0), floored at
/// FLT_EPS (numpy's maximum: a NaN stays NaN).
AMCT_DECL double kl_normalised(double v, double lo, double range) noexcept;

/// msaccucmp's KL divergence of one tensor (count > 0): each side min-max normalised to [0, 1] (a, b),
/// floored at FLT_EPS, divided by its sum (p = a / Σa, q = b / Σb); Σ p log(p / q), p from x, q from y, here
/// as Σ a log(a / b) / Σa + log(Σb / Σa) (one logarithm per element); |result| < eps gives 0.
AMCT_DECL double kl_divergence(const float* y, const float* x, std::size_t count) noexcept;
}  // namespace detail

/// Tag: a comparison that does not compute kl_divergence, whose logarithm per element costs about ten
/// times all the other metrics together.
struct skip_kl_divergence_t
{
};

inline constexpr skip_kl_divergence_t skip_kl_divergence{};

/// @brief An accumulator of every metric of one (reference, actual) pair, fed in parts (one add per batch
/// or per sample). All metrics but kl_divergence are those of the concatenation of everything added, in
/// the order added (sums in double, so a different split or order changes only the last bits).
class comparison
{
public:
    /// Every metric.
    comparison() = default;

    /// Every metric but kl_divergence (value(metric::kl_divergence) is then an error).
    explicit comparison(skip_kl_divergence_t) noexcept
      : m_with_kl(false)
    {
    }

    /// @brief Adds `n` elements of the reference (float) and actual (quantized) outputs.
    /// @throws value_error for a null pointer with n > 0. n = 0 adds nothing.
    AMCT_DECL void add(const float* reference, const float* actual, std::size_t n);

    /// @brief add() for two xtensor expressions of one shape (any layout; evaluated to float32 if need be).
    /// @throws shape_error naming both shapes when they differ.
    template <class R, class A>
    void add(const xt::xexpression<R>& reference, const xt::xexpression<A>& actual)
    {
        const detail::contiguous_data<float> y(reference.derived_cast());
        const detail::contiguous_data<float> x(actual.derived_cast());
        if (y.shape() != x.shape())
        {
            detail::throw_error<shape_error>("comparison::add: reference shape "
                                             + detail::shape_string(y.shape()) + " and actual shape "
                                             + detail::shape_string(x.shape()) + " differ");
        }
        add(y.data(), x.data(), y.size());
    }

    /// @brief Adds everything `other` has accumulated: its parts as if added here after ours (up to the
    /// rounding of the double sums, which are added rather than continued).
    AMCT_DECL void merge(const comparison& other) noexcept;

    /// @brief The value of `m` (definitions at enum metric). kl_divergence needs each tensor's minimum and
    /// maximum, so it is exact for one add; after several it is the mean of the per-add divergences (the
    /// per-sample average of HMCT's debugger when each add is one sample).
    /// @throws value_error when nothing has been added, and for kl_divergence when a part was added (here or
    /// in a merged comparison) with skip_kl_divergence.
    AMCT_DECL double value(metric m) const;

    /// The number of elements added.
    std::size_t count() const noexcept
    {
        return m_sums.n;
    }

    /// The number of non-empty add() calls (the parts kl_divergence averages over).
    std::size_t parts() const noexcept
    {
        return m_parts;
    }

private:
    detail::comparison_sums m_sums;
    bool m_with_kl = true;
    double m_kl_sum = 0.0;
    std::size_t m_kl_parts = 0;  // parts whose KL divergence is in m_kl_sum
    std::size_t m_parts = 0;
};

/// @brief The comparison of `n` reference and actual values. @throws as comparison::add.
AMCT_DECL comparison compare(const float* reference, const float* actual, std::size_t n);

/// @brief The comparison of two expressions of one shape. @throws shape_error naming both shapes.
template <class R, class A>
inline comparison compare(const xt::xexpression<R>& reference, const xt::xexpression<A>& actual)
{
    comparison c;
    c.add(reference, actual);
    return c;
}
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/metrics.ipp>
#endif
