// amct/algo/bit_histogram.hpp: a streaming, bounded-memory summary of float data for IFMR's bounded mode.
//
// Each value is counted under the top 19 bits of its IEEE-754 pattern (key = bits >> 13: sign, exponent and
// the top 10 mantissa bits), so a bin spans a relative width of 2^-10 and adding a value is one shift and
// one increment (amct/simd/bit_count_kernel.hpp). NaN and Inf land in exponent-255 keys: the same pass tells
// a bad batch, whose counts are then subtracted again, so a rejected batch leaves no trace. Counts are
// integers, so merging and saving are exact and independent of the order of the data. The exact minimum,
// maximum and smallest nonzero magnitude are kept too: they bound the keys that can be non-zero, and the
// extremes are exact order statistics. Memory: one table of 2^19 32-bit counts mapped zeroed, of which
// only the pages of keys actually counted are ever touched (a few hundred KiB per layer); counts past
// 2^32 - 1 go to a second table of 64-bit counts, allocated only then.
#pragma once

#include <cmath>    // std::fabs, std::isfinite, std::ldexp
#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint32_t, std::uint64_t
#include <cstdlib>  // std::calloc, std::free
#include <cstring>  // std::memcpy
#include <limits>   // std::numeric_limits
#include <memory>   // std::unique_ptr
#include <new>      // std::bad_alloc
#include <utility>  // std::move

// AMCT_BIT_HISTOGRAM_MMAP: tables from anonymous mmap (POSIX default) or calloc (0).
#ifndef AMCT_BIT_HISTOGRAM_MMAP
#if defined(__unix__) || defined(__APPLE__)
#define AMCT_BIT_HISTOGRAM_MMAP 1
#else
#define AMCT_BIT_HISTOGRAM_MMAP 0
#endif
#endif
#if AMCT_BIT_HISTOGRAM_MMAP
#include <sys/mman.h>  // mmap, munmap
#endif

#include <amct/algo/state_io.hpp>
#include <amct/base/macros.hpp>
#include <amct/simd/bit_count_kernel.hpp>
#include <amct/simd/finite_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// Frees a bit_histogram table: munmap when it was mapped (`bytes` > 0), else free.
struct zeroed_deleter
{
    std::size_t bytes = 0;

    AMCT_DECL void operator()(void* p) const noexcept;
};
}  // namespace detail

class bit_histogram
{
public:
    static constexpr int mantissa_bits = 10;
    static constexpr int shift = 23 - mantissa_bits;
    static constexpr std::uint32_t keys = std::uint32_t{1} << (32 - shift);  ///< 2^19
    static constexpr std::uint32_t sign = keys >> 1;                         ///< the sign bit of a key

    bit_histogram() = default;

    bit_histogram(const bit_histogram& o)
    {
        *this = o;
    }

    AMCT_DECL bit_histogram& operator=(const bit_histogram& o);

    bit_histogram(bit_histogram&&) noexcept = default;
    bit_histogram& operator=(bit_histogram&&) noexcept = default;

    /// Adds x[0, n). Returns false, with nothing changed, when x holds NaN or Inf.
    AMCT_DECL bool add(const float* x, std::size_t n);

    AMCT_DECL void merge(const bit_histogram& o);

    std::uint64_t count() const noexcept
    {
        return m_count;
    }

    /// Smallest and largest value (+inf and -inf before any value).
    float min() const noexcept
    {
        return m_min;
    }

    float max() const noexcept
    {
        return m_max;
    }

    /// The count under key k.
    AMCT_DECL std::uint64_t at(std::uint32_t k) const noexcept;

    /// Visits every key that can hold a count in ascending (or descending) order of value, keys in between
    /// holding none included, until stop(key) returns true; returns that key, or `keys` if none did.
    template <class F>
    std::uint32_t find_key(bool descending, F&& stop) const
    {
        const std::uint32_t first = first_magnitude();
        const std::uint32_t neg_last = m_min < 0.0f ? magnitude_key(-m_min) : 0;
        const std::uint32_t pos_last = m_max > 0.0f ? magnitude_key(m_max) : 0;
        // value order: -pos_last.. -first, -0, +0, first.. pos_last
        const std::uint32_t n_neg = neg_last >= first ? neg_last - first + 1 : 0;
        const std::uint32_t n_pos = pos_last >= first ? pos_last - first + 1 : 0;
        const std::uint32_t total = n_neg + 2 + n_pos;
        for (std::uint32_t i = 0; i < total; ++i)
        {
            const std::uint32_t p = descending ? total - 1 - i : i;
            const std::uint32_t k = p < n_neg        ? sign | (neg_last - p)
                                    : p == n_neg     ? sign
                                    : p == n_neg + 1 ? 0
                                                     : first + (p - n_neg - 2);
            if (stop(k))
            {
                return k;
            }
        }
        return keys;
    }

    /// The k-th largest (from_top) or smallest value (1-based), placed evenly in its bin: a bin of c values
    /// over [a, b) holds them at b - (j + 1/2) (b - a) / c, j < c, from the top (a + (j + 1/2) (b - a) / c
    /// from the bottom), except that the bin of the maximum (minimum) starts with it: b - j (b - a) / c.
    AMCT_DECL float kth(std::uint64_t k, bool from_top) const;

    /// Calls f(key) for every key find_key visits, in ascending order of value.
    template <class F>
    void for_each_key(F&& f) const
    {
        find_key(false,
                 [&](std::uint32_t k)
                 {
                     f(k);
                     return false;
                 });
    }

    /// Calls f(m, count) for every magnitude key m in [from, to] of one sign (`sign` or 0), in ascending
    /// order of m, the count (0 included: no branch on it) as a double.
    template <class F>
    void for_each_count(std::uint32_t sign_bit, std::uint32_t from, std::uint32_t to, F&& f) const
    {
        if (!m_low)
        {
            return;
        }
        const std::uint32_t* low = m_low.get() + sign_bit;
        const std::uint64_t* wide = m_wide ? m_wide.get() + sign_bit : nullptr;
        for (std::uint32_t m = from; m <= to && m < sign; ++m)
        {
            f(m, static_cast<double>(low[m] + (wide ? wide[m] : 0)));
        }
    }

    /// Smallest nonzero magnitude (+inf without one).
    float min_abs() const noexcept
    {
        return m_min_abs;
    }

    /// The smallest key magnitude (key without sign) counted apart from key 0.
    std::uint32_t first_magnitude() const noexcept
    {
        return magnitude_key(m_min_abs) > 1 ? magnitude_key(m_min_abs) : 1;
    }

    /// The values under key k: [lower_value, upper_value) (the reverse for negative keys), exact doubles.
    static double lower_value(std::uint32_t k) noexcept
    {
        return (k & sign) ? -upper_magnitude(k) : lower_magnitude(k);
    }

    static double upper_value(std::uint32_t k) noexcept
    {
        return (k & sign) ? -lower_magnitude(k) : upper_magnitude(k);
    }

    /// The values a key holds: [lower, upper) in magnitude, as doubles (exact).
    static double lower_magnitude(std::uint32_t k) noexcept
    {
        return magnitude_of((k & (sign - 1)) << shift);
    }

    static double upper_magnitude(std::uint32_t k) noexcept
    {
        return magnitude_of(((k & (sign - 1)) + 1) << shift);
    }

    /// The key of a finite value.
    AMCT_DECL static std::uint32_t key_of(float v) noexcept;

    /// The key of |v| (0 for +inf, the value of an empty histogram's extremes).
    static std::uint32_t magnitude_key(float v) noexcept
    {
        return v == std::numeric_limits<float>::infinity() ? 0 : key_of(std::fabs(v));
    }

    AMCT_DECL void save(state_writer& w) const;

    /// @throws state_error when the counts do not fit the extremes or the total.
    AMCT_DECL static bit_histogram load(state_reader& r);

private:
    template <class T>
    using buffer = std::unique_ptr<T[], detail::zeroed_deleter>;

    // the kernel's zero slots follow the keys, one cache line apart
    static constexpr std::uint32_t zero_slot = keys;
    static constexpr std::size_t low_size = keys + 16 * kernel::bit_count_zero_slots;

    /// Zero-filled memory of which only the pages touched cost memory and time: an anonymous mapping where
    /// there is mmap (calloc clears a block it takes from the heap: 2 MiB per histogram), else calloc.
    template <class T>
    static buffer<T> zeroed(std::size_t n)
    {
#if AMCT_BIT_HISTOGRAM_MMAP
        const std::size_t bytes = n * sizeof(T);
        void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
        {
            throw std::bad_alloc();
        }
        return buffer<T>(static_cast<T*>(p), detail::zeroed_deleter{bytes});
#else
        void* p = std::calloc(n, sizeof(T));
        if (!p)
        {
            throw std::bad_alloc();
        }
        return buffer<T>(static_cast<T*>(p));
#endif
    }

    /// Position of key k in value order.
    static std::uint32_t order(std::uint32_t k) noexcept
    {
        return (k & sign) ? (sign - 1) - (k & (sign - 1)) : sign + k;
    }

    /// Whether for_each_key visits k.
    AMCT_DECL bool can_hold(std::uint32_t k) const noexcept;

    AMCT_DECL static double magnitude_of(std::uint32_t bits) noexcept;

    AMCT_DECL std::uint32_t* low();

    /// Adds the kernel's zero slots to key 0.
    AMCT_DECL void collect_zeros() noexcept;

    /// Makes sure every 32-bit count can take n more: moves them all to the 64-bit table when one might not.
    AMCT_DECL void make_room(std::uint64_t n);

    /// Adds c to key k.
    AMCT_DECL void put(std::uint32_t k, std::uint64_t c);

    AMCT_DECL void fold(float lo, float hi, float lo_abs) noexcept;

    buffer<std::uint32_t> m_low;    // counts since they were last moved to m_wide
    buffer<std::uint64_t> m_wide;   // null until a count could pass 2^32 - 1
    std::uint64_t m_low_bound = 0;  // no 32-bit count exceeds this
    std::uint64_t m_count = 0;
    float m_min = std::numeric_limits<float>::infinity();
    float m_max = -std::numeric_limits<float>::infinity();
    float m_min_abs = std::numeric_limits<float>::infinity();
};
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/bit_histogram.ipp>
#endif
