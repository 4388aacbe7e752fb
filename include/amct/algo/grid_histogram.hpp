// amct/algo/grid_histogram.hpp: an exactly mergeable histogram for the percentile, KL and MSE methods.
//
// Bins sit on a grid anchored at 0 with a power-of-two width w = 2^e: bin k holds [k w, (k + 1) w). The width
// is the smallest that spans the observed range in at most `capacity` bins; when the range grows, pairs of
// bins merge (exact, no splitting). floor(x / 2^e) is exact, so the final histogram is a function of the
// observed multiset alone: any split into batches, threads or machines, merged in any order, gives identical
// counts.
#pragma once

#include <cmath>    // std::floor, std::ldexp, std::ilogb
#include <cstdint>  // std::int64_t
#include <vector>   // std::vector

#include <amct/algo/state_io.hpp>
#include <amct/base/macros.hpp>
#include <amct/simd/minmax_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
class grid_histogram
{
public:
    explicit grid_histogram(std::size_t capacity = 8192)
      : m_capacity(capacity < 2 ? 2 : capacity)
    {
    }

    std::size_t capacity() const noexcept
    {
        return m_capacity;
    }

    /// Adds finite values.
    AMCT_DECL void add(const float* x, std::size_t n);

    AMCT_DECL void merge(const grid_histogram& o);

    std::int64_t total() const noexcept
    {
        return m_total;
    }

    double bin_width() const noexcept
    {
        return std::ldexp(1.0, static_cast<int>(m_exp));
    }

    /// Lower edge of counts()[0].
    double lower() const noexcept
    {
        return static_cast<double>(m_first) * bin_width();
    }

    const std::vector<std::int64_t>& counts() const noexcept
    {
        return m_counts;
    }

    /// The counts spread over `bins` equal bins on [lo, hi], each grid bin shared in proportion to its
    /// overlap.
    AMCT_DECL std::vector<double> resample(double lo, double hi, std::size_t bins) const;

    AMCT_DECL void save(state_writer& w) const;

    AMCT_DECL static grid_histogram load(state_reader& r);

private:
    /// floor(k / 2^shift) for shift >= 0, also for negative k and shifts past the width of k.
    AMCT_DECL static std::int64_t floor_shift(std::int64_t k, std::int64_t shift) noexcept;

    /// floor(v / 2^e) in double (no overflow: v is a float and |e| < 400).
    static double scaled_floor(double v, std::int64_t e) noexcept
    {
        return std::floor(std::ldexp(v, -static_cast<int>(e)));
    }

    std::int64_t index(float x) const noexcept
    {
        return static_cast<std::int64_t>(scaled_floor(x, m_exp));
    }

    /// Lower edge of the last bin.
    double last_edge() const noexcept
    {
        return static_cast<double>(m_first + static_cast<std::int64_t>(m_counts.size()) - 1) * bin_width();
    }

    /// Grows the grid to hold the values [lo, hi].
    AMCT_DECL void cover(float lo, float hi);

    /// Regrids to the smallest width 2^e, e >= `from`, whose bins hold [a, b] (and the current bins) within
    /// the capacity. The fit test runs in double before any index is formed, so no index can overflow.
    AMCT_DECL void cover_edges(std::int64_t from, double a, double b);

    /// An exponent no larger than the smallest that fits any data containing [lo, hi]: a width near
    /// (hi - lo) / capacity, or for a single value v a width below ulp(v) / (2 capacity), so that whatever
    /// comes later, growing from here reaches the same grid as seeing everything at once.
    AMCT_DECL std::int64_t start_exp(float lo, float hi) const noexcept;

    std::size_t m_capacity;
    std::int64_t m_exp = 0;
    std::int64_t m_first = 0;
    std::int64_t m_total = 0;
    std::vector<std::int64_t> m_counts;
};
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/grid_histogram.ipp>
#endif
