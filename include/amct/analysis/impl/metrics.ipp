// amct/analysis/impl/metrics.ipp: the definitions of <amct/analysis/metrics.hpp> (header-only: included by
// it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/analysis/metrics.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL std::optional<metric> find_metric(std::string_view name) noexcept
{
    for (const auto& s : metric_spellings)
    {
        for (std::string_view n : s.names)
        {
            if (!n.empty() && n == name)
            {
                return s.m;
            }
        }
    }
    return std::nullopt;
}

AMCT_DECL std::string unknown_metric_message(std::string_view name)
{
    std::string known;
    for (const auto& s : metric_spellings)
    {
        known += (known.empty() ? "" : ", ") + std::string(s.names[0]);
    }
    return "unknown metric \"" + std::string(name) + "\""
           + (name == "mse" ? " (amct has rmse, which ranks as mse does)" : "") + "; known: " + known;
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL metric parse_metric(std::string_view name)
{
    if (const auto m = detail::find_metric(name))
    {
        return *m;
    }
    detail::throw_error<value_error>(detail::unknown_metric_message(name));
}
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL void comparison_sums::add(const float* y, const float* x, std::size_t count) noexcept
{
    for (std::size_t i = 0; i < count; ++i)
    {
        const double xi = x[i], yi = y[i], e = xi - yi;
        xy += xi * yi;
        xx += xi * xi;
        yy += yi * yi;
        abs_e += std::fabs(e);
        sq_e += e * e;
        max_abs_e = nan_max(max_abs_e, std::fabs(e));
        if (std::fabs(yi) > metric_eps)
        {
            const double r = std::fabs(xi / yi - 1.0);
            rel += r;
            max_rel = nan_max(max_rel, r);
            ++rel_n;
        }
    }
    n += count;
}

AMCT_DECL void comparison_sums::merge(const comparison_sums& o) noexcept
{
    n += o.n;
    xy += o.xy;
    xx += o.xx;
    yy += o.yy;
    abs_e += o.abs_e;
    sq_e += o.sq_e;
    max_abs_e = nan_max(max_abs_e, o.max_abs_e);
    rel += o.rel;
    max_rel = nan_max(max_rel, o.max_rel);
    rel_n += o.rel_n;
}

AMCT_DECL double kl_normalised(double v, double lo, double range) noexcept
{
    const double u = range != 0.0 ? (v - lo) / range : v;
    return u < kl_floor ? kl_floor : u;
}

AMCT_DECL double kl_divergence(const float* y, const float* x, std::size_t count) noexcept
{
    double x_lo = x[0], x_hi = x[0], y_lo = y[0], y_hi = y[0];
    for (std::size_t i = 1; i < count; ++i)
    {
        x_lo = x[i] < x_lo ? x[i] : x_lo;
        x_hi = x[i] > x_hi ? x[i] : x_hi;
        y_lo = y[i] < y_lo ? y[i] : y_lo;
        y_hi = y[i] > y_hi ? y[i] : y_hi;
    }
    const double x_range = x_hi - x_lo, y_range = y_hi - y_lo;
    double x_sum = 0.0, y_sum = 0.0, a_log_ab = 0.0;
    for (std::size_t i = 0; i < count; ++i)
    {
        const double a = kl_normalised(x[i], x_lo, x_range), b = kl_normalised(y[i], y_lo, y_range);
        x_sum += a;
        y_sum += b;
        a_log_ab += a * std::log(a / b);
    }
    const double kl = a_log_ab / x_sum + std::log(y_sum / x_sum);
    return std::fabs(kl) < metric_eps ? 0.0 : kl;
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL void comparison::add(const float* reference, const float* actual, std::size_t n)
{
    if (n == 0)
    {
        return;
    }
    if (reference == nullptr || actual == nullptr)
    {
        detail::throw_error<value_error>("comparison::add: null data for " + std::to_string(n) + " elements");
    }
    m_sums.add(reference, actual, n);
    if (m_with_kl)
    {
        m_kl_sum += detail::kl_divergence(reference, actual, n);
        ++m_kl_parts;
    }
    ++m_parts;
}

AMCT_DECL void comparison::merge(const comparison& other) noexcept
{
    m_sums.merge(other.m_sums);
    m_kl_sum += other.m_kl_sum;
    m_kl_parts += other.m_kl_parts;
    m_parts += other.m_parts;
}

AMCT_DECL double comparison::value(metric m) const
{
    const auto& s = m_sums;
    if (s.n == 0)
    {
        detail::throw_error<value_error>("comparison::value(" + std::string(metric_name(m))
                                         + "): no data has been added");
    }
    if (m == metric::kl_divergence && m_kl_parts != m_parts)
    {
        detail::throw_error<value_error>(
          "comparison::value(kl-divergence): " + std::to_string(m_parts - m_kl_parts) + " of "
          + std::to_string(m_parts) + " parts were added with skip_kl_divergence");
    }
    const double n = static_cast<double>(s.n);
    switch (m)
    {
        case metric::cosine:
        {
            const double nx = std::sqrt(s.xx), ny = std::sqrt(s.yy);
            if (nx <= metric_eps && ny <= metric_eps)
            {
                return 1.0;
            }
            if (nx <= metric_eps || ny <= metric_eps)
            {
                return std::numeric_limits<double>::quiet_NaN();
            }
            const double c = s.xy / (nx * ny);
            return c > 1.0 ? 1.0 : (c < -1.0 ? -1.0 : c);
        }
        case metric::max_abs_error:
            return s.max_abs_e;
        case metric::mean_abs_error:
            return s.abs_e / n;
        case metric::rmse:
            return std::sqrt(s.sq_e / n);
        case metric::max_relative_error:
            return s.max_rel;
        case metric::mean_relative_error:
            return s.rel_n == 0 ? 0.0 : s.rel / static_cast<double>(s.rel_n);
        case metric::accumulated_relative_error:
            return s.rel;
        case metric::relative_euclidean_distance:
            return std::sqrt(s.yy) <= metric_eps ? 0.0 : std::sqrt(s.sq_e / s.yy);
        case metric::kl_divergence:
            return m_kl_sum / static_cast<double>(m_parts);
        case metric::sqnr:
            return s.sq_e == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(s.yy / s.sq_e);
    }
    return std::numeric_limits<double>::quiet_NaN();  // not reached: every enumerator is handled
}

AMCT_DECL comparison compare(const float* reference, const float* actual, std::size_t n)
{
    comparison c;
    c.add(reference, actual, n);
    return c;
}
}  // namespace AMCT_ABI
}  // namespace amct
