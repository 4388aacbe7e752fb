// amct/algo/impl/bit_histogram.ipp: the definitions of <amct/algo/bit_histogram.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/bit_histogram.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL void zeroed_deleter::operator()(void* p) const noexcept
{
#if AMCT_BIT_HISTOGRAM_MMAP
    if (bytes)
    {
        munmap(p, bytes);
        return;
    }
#endif
    std::free(p);
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL bit_histogram& bit_histogram::operator=(const bit_histogram& o)
{
    if (this != &o)
    {
        bit_histogram h;
        h.merge(o);  // into an empty one: o's extremes (never -0: fold), counts and total
        *this = std::move(h);
    }
    return *this;
}

AMCT_DECL bool bit_histogram::add(const float* x, std::size_t n)
{
    constexpr std::size_t chunk = std::size_t{1} << 31;
    if (n > chunk && kernel::first_nonfinite(x, n) != n)
    {
        return false;  // a batch counted in several chunks is checked first: no chunk is undone
    }
    for (std::size_t i = 0; i < n; i += chunk)
    {
        const std::size_t m = n - i < chunk ? n - i : chunk;
        make_room(m);
        kernel::bit_count_stats s;
        kernel::count_bits<shift>(x + i, m, low(), zero_slot, 1u, s);
        if (!s.finite)
        {
            kernel::bit_count_stats ignored;
            kernel::count_bits<shift>(x + i, m, low(), zero_slot, ~0u, ignored);  // mod 2^32: minus one
            collect_zeros();
            return false;
        }
        collect_zeros();
        m_low_bound += m;
        m_count += m;
        fold(s.min, s.max, s.min_abs());
    }
    return true;
}

AMCT_DECL void bit_histogram::merge(const bit_histogram& o)
{
    fold(o.m_min, o.m_max, o.m_min_abs);  // first: make_room must see every key that can hold a count
    o.for_each_key(
      [&](std::uint32_t k)
      {
          if (const std::uint64_t c = o.at(k))
          {
              put(k, c);
          }
      });
    m_count += o.m_count;
}

AMCT_DECL std::uint64_t bit_histogram::at(std::uint32_t k) const noexcept
{
    if (!m_low)
    {
        return 0;
    }
    return m_low[k] + (m_wide ? m_wide[k] : 0);
}

AMCT_DECL float bit_histogram::kth(std::uint64_t k, bool from_top) const
{
    std::uint64_t seen = 0;
    const std::uint32_t key = find_key(from_top,
                                       [&](std::uint32_t j)
                                       {
                                           seen += at(j);
                                           return seen >= k;
                                       });
    if (key == keys)
    {
        return from_top ? m_min : m_max;
    }
    const double c = static_cast<double>(at(key));
    const double a = lower_value(key) > m_min ? lower_value(key) : m_min;
    const double b = upper_value(key) < m_max ? upper_value(key) : m_max;
    const bool extreme = from_top ? b == m_max : a == m_min;
    const double j = static_cast<double>(k) - (static_cast<double>(seen) - c) - (extreme ? 1.0 : 0.5);
    return static_cast<float>(from_top ? b - j * (b - a) / c : a + j * (b - a) / c);
}

AMCT_DECL std::uint32_t bit_histogram::key_of(float v) noexcept
{
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    return u >> shift;
}

AMCT_DECL void bit_histogram::save(state_writer& w) const
{
    w.u64(m_count);
    w.f32(m_min);
    w.f32(m_max);
    w.f32(m_min_abs);
    std::uint64_t nonzero = 0;
    for_each_key(
      [&](std::uint32_t k)
      {
          nonzero += at(k) != 0;
      });
    w.u64(nonzero);
    for_each_key(
      [&](std::uint32_t k)
      {
          if (const std::uint64_t c = at(k))
          {
              w.u32(k);
              w.u64(c);
          }
      });
}

AMCT_DECL bit_histogram bit_histogram::load(state_reader& r)
{
    bit_histogram h;
    const std::uint64_t count = r.u64();
    const float lo = r.f32(), hi = r.f32(), lo_abs = r.f32();
    const bool empty = count == 0;
    const float inf = std::numeric_limits<float>::infinity();
    const bool extremes_ok =
      empty ? lo == inf && hi == -inf && lo_abs == inf
            : lo <= hi && std::isfinite(lo) && std::isfinite(hi) && lo_abs > 0.0f
                && (lo_abs == inf ? lo == 0.0f && hi == 0.0f
                                  : std::isfinite(lo_abs) && lo_abs <= (-lo > hi ? -lo : hi));
    if (!extremes_ok)
    {
        state_reader::fail("bit histogram extremes are inconsistent");
    }
    h.fold(lo, hi, lo_abs);
    std::uint64_t total = 0;
    std::uint32_t previous = 0;
    bool in_range = true;
    for (std::uint64_t i = r.count(12); i > 0 && in_range; --i)
    {
        const std::uint32_t k = r.u32();
        const std::uint64_t c = r.u64();
        in_range = h.can_hold(k) && c != 0 && c <= count - total && (total == 0 || order(k) > previous);
        if (in_range)
        {
            h.put(k, c);
            total += c;
            previous = order(k);
        }
    }
    if (!in_range || total != count)
    {
        state_reader::fail("bit histogram counts do not match its extremes and total");
    }
    h.m_count = count;
    return h;
}

AMCT_DECL bool bit_histogram::can_hold(std::uint32_t k) const noexcept
{
    const std::uint32_t m = k & (sign - 1);
    const std::uint32_t first = first_magnitude();
    if (k >= keys || m == 0)
    {
        return k < keys;
    }
    return (k & sign) ? m_min < 0.0f && m >= first && m <= magnitude_key(-m_min)
                      : m_max > 0.0f && m >= first && m <= magnitude_key(m_max);
}

AMCT_DECL double bit_histogram::magnitude_of(std::uint32_t bits) noexcept
{
    if (bits >= 0x7F800000u)
    {
        return std::ldexp(1.0, 128);
    }
    float v;
    std::memcpy(&v, &bits, 4);
    return static_cast<double>(v);
}

AMCT_DECL std::uint32_t* bit_histogram::low()
{
    if (!m_low)
    {
        m_low = zeroed<std::uint32_t>(low_size);
    }
    return m_low.get();
}

AMCT_DECL void bit_histogram::collect_zeros() noexcept
{
    for (std::size_t j = 0; j < kernel::bit_count_zero_slots; ++j)
    {
        m_low[0] += m_low[zero_slot + 16 * j];
        m_low[zero_slot + 16 * j] = 0;
    }
}

AMCT_DECL void bit_histogram::make_room(std::uint64_t n)
{
    if (m_low_bound + n <= std::numeric_limits<std::uint32_t>::max())
    {
        return;
    }
    if (!m_wide)
    {
        m_wide = zeroed<std::uint64_t>(keys);
    }
    for_each_key(
      [&](std::uint32_t k)
      {
          m_wide[k] += m_low[k];
          m_low[k] = 0;
      });
    m_low_bound = 0;
}

AMCT_DECL void bit_histogram::put(std::uint32_t k, std::uint64_t c)
{
    low();
    if (c <= std::numeric_limits<std::uint32_t>::max())
    {
        make_room(c);
        m_low[k] += static_cast<std::uint32_t>(c);
        m_low_bound += c;
    }
    else
    {
        if (!m_wide)
        {
            m_wide = zeroed<std::uint64_t>(keys);
        }
        m_wide[k] += c;
    }
}

AMCT_DECL void bit_histogram::fold(float lo, float hi, float lo_abs) noexcept
{
    // +0.0 for either zero: the state does not depend on which zero came first
    m_min = lo < m_min ? lo + 0.0f : m_min;
    m_max = hi > m_max ? hi + 0.0f : m_max;
    m_min_abs = lo_abs < m_min_abs ? lo_abs : m_min_abs;
}
}  // namespace AMCT_ABI
}  // namespace amct
