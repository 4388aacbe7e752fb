// amct/algo/impl/grid_histogram.ipp: the definitions of <amct/algo/grid_histogram.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <string>  // std::to_string

#include <amct/algo/grid_histogram.hpp>
#include <amct/base/error.hpp>
#include <amct/detail/format.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL void grid_histogram::add(const float* x, std::size_t n)
{
    if (n == 0)
    {
        return;
    }
    kernel::minmax_result r;  // the caller has rejected non-finite values
    kernel::minmax(x, n, r);
    cover(r.min, r.max);
    for (std::size_t i = 0; i < n; ++i)
    {
        ++m_counts[static_cast<std::size_t>(index(x[i]) - m_first)];
    }
    m_total += static_cast<std::int64_t>(n);
}

AMCT_DECL void grid_histogram::merge(const grid_histogram& o)
{
    if (o.m_total == 0)
    {
        return;
    }
    if (m_counts.empty())
    {
        *this = o;
        return;
    }
    cover_edges(std::max(m_exp, o.m_exp), o.lower(), o.last_edge());
    for (std::size_t k = 0; k < o.m_counts.size(); ++k)
    {
        const std::int64_t bin = floor_shift(o.m_first + static_cast<std::int64_t>(k), m_exp - o.m_exp);
        m_counts[static_cast<std::size_t>(bin - m_first)] += o.m_counts[k];
    }
    m_total += o.m_total;
}

AMCT_DECL std::vector<double> grid_histogram::resample(double lo, double hi, std::size_t bins) const
{
    std::vector<double> out(bins, 0.0);
    const double w = bin_width();
    const double step = (hi - lo) / static_cast<double>(bins);
    for (std::size_t k = 0; k < m_counts.size(); ++k)
    {
        if (m_counts[k] == 0)
        {
            continue;
        }
        const double a = lower() + static_cast<double>(k) * w;
        const double b = a + w;
        const double c = static_cast<double>(m_counts[k]);
        if (!(step > 0.0))
        {
            out[0] += c;
            continue;
        }
        for (double u = a; u < b;)
        {
            double t = std::floor((u - lo) / step);
            const std::size_t j =
              t < 0.0 ? 0 : (t >= static_cast<double>(bins) ? bins - 1 : static_cast<std::size_t>(t));
            const double edge = j + 1 == bins ? b : std::min(b, lo + static_cast<double>(j + 1) * step);
            const double v = edge > u ? edge : b;
            out[j] += c * (v - u) / w;
            u = v;
        }
    }
    return out;
}

AMCT_DECL void grid_histogram::save(state_writer& w) const
{
    w.u64(m_capacity);
    w.i64(m_exp);
    w.i64(m_first);
    w.i64(m_total);
    w.u64(m_counts.size());
    for (auto c : m_counts)
    {
        w.i64(c);
    }
}

AMCT_DECL grid_histogram grid_histogram::load(state_reader& r)
{
    grid_histogram h(static_cast<std::size_t>(r.u64()));
    h.m_exp = r.i64();
    h.m_first = r.i64();
    h.m_total = r.i64();
    const std::uint64_t n = r.u64();
    if (n > h.m_capacity || h.m_exp < -200 || h.m_exp > 200)
    {
        state_reader::fail("grid histogram has " + std::to_string(n) + " bins of width 2^"
                           + std::to_string(h.m_exp) + " for capacity " + std::to_string(h.m_capacity));
    }
    h.m_counts.resize(static_cast<std::size_t>(n));
    std::int64_t sum = 0;
    for (auto& c : h.m_counts)
    {
        c = r.i64();
        sum += c;
    }
    if (sum != h.m_total)
    {
        state_reader::fail("grid histogram counts add up to " + std::to_string(sum) + ", not "
                           + std::to_string(h.m_total));
    }
    return h;
}

AMCT_DECL std::int64_t grid_histogram::floor_shift(std::int64_t k, std::int64_t shift) noexcept
{
    if (shift <= 0)
    {
        return k;
    }
    if (shift >= 63)
    {
        return k >= 0 ? 0 : -1;
    }
    return k >= 0 ? k >> shift : -((-k - 1) >> shift) - 1;
}

AMCT_DECL void grid_histogram::cover(float lo, float hi)
{
    // already inside the grid: nothing to do (compared in double, so no index can overflow)
    if (!m_counts.empty() && scaled_floor(lo, m_exp) >= static_cast<double>(m_first)
        && scaled_floor(hi, m_exp) <= static_cast<double>(m_first) + static_cast<double>(m_counts.size() - 1))
    {
        return;
    }
    if (m_counts.empty())
    {
        cover_edges(start_exp(lo, hi), lo, hi);
    }
    else
    {
        cover_edges(
          m_exp, std::min(static_cast<double>(lo), lower()), std::max(static_cast<double>(hi), last_edge()));
    }
}

AMCT_DECL void grid_histogram::cover_edges(std::int64_t from, double a, double b)
{
    if (!m_counts.empty())
    {
        a = std::min(a, lower());
        b = std::max(b, last_edge());
    }
    // With a, b finite (|a|, |b| < 2^1024) and capacity >= 2, at e >= 1024 both floors are in {-1, 0} and
    // the span fits; from >= -1100 (start_exp of float values), so 2200 steps always suffice.
    if (!std::isfinite(a) || !std::isfinite(b))
    {
        detail::throw_error<value_error>("grid_histogram: the range [" + detail::number_to_string(a) + ", "
                                         + detail::number_to_string(b) + "] is not finite");
    }
    std::int64_t e = from;
    constexpr std::int64_t max_steps = 2200;
    while (scaled_floor(b, e) - scaled_floor(a, e) + 1.0 > static_cast<double>(m_capacity))
    {
        if (++e - from > max_steps)
        {
            detail::throw_error<value_error>("grid_histogram: no grid of " + std::to_string(m_capacity)
                                             + " bins covers [" + detail::number_to_string(a) + ", "
                                             + detail::number_to_string(b) + "] within "
                                             + std::to_string(max_steps) + " doublings");
        }
    }
    const auto first = static_cast<std::int64_t>(scaled_floor(a, e));
    const auto last = static_cast<std::int64_t>(scaled_floor(b, e));
    std::vector<std::int64_t> grown(static_cast<std::size_t>(last - first + 1), 0);
    for (std::size_t k = 0; k < m_counts.size(); ++k)
    {
        const std::int64_t bin = floor_shift(m_first + static_cast<std::int64_t>(k), e - m_exp);
        grown[static_cast<std::size_t>(bin - first)] += m_counts[k];
    }
    m_counts.swap(grown);
    m_first = first;
    m_exp = e;
}

AMCT_DECL std::int64_t grid_histogram::start_exp(float lo, float hi) const noexcept
{
    const double span = static_cast<double>(hi) - lo;
    if (span > 0.0)
    {
        return std::ilogb(span / static_cast<double>(m_capacity)) - 1;
    }
    const double m = std::max(std::fabs(static_cast<double>(lo)), std::ldexp(1.0, -149));
    return std::ilogb(m) - 25 - std::ilogb(static_cast<double>(m_capacity));
}
}  // namespace AMCT_ABI
}  // namespace amct
