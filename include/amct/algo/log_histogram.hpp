// amct/algo/log_histogram.hpp: a bounded-memory summary of float data for IFMR's bounded mode.
//
// Bins are the float values sharing sign, exponent and the top 10 mantissa bits (relative width 2^-10). Each
// bin keeps its count and the exact integer sums of the 24-bit significands m and of m^2 (x = +-m * 2^E
// within a bin), so adding, merging and saving are exact and independent of the order of the data. Memory is
// at most 512 blocks of 1024 bins, allocated per (sign, exponent) actually seen: it does not grow with the
// sample count.
#pragma once

#include <algorithm>  // std::sort
#include <cmath>      // std::ldexp, std::nearbyint
#include <cstdint>    // std::uint32_t, std::uint64_t
#include <cstring>    // std::memcpy
#include <limits>     // std::numeric_limits
#include <memory>     // std::unique_ptr
#include <vector>     // std::vector

#include <amct/algo/state_io.hpp>
#include <amct/config.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
class log_histogram
{
public:
    static constexpr int mantissa_bits = 10;
    static constexpr std::size_t bins_per_block = std::size_t{1} << mantissa_bits;

    /// One bin in value order, with its moments as doubles.
    struct bin
    {
        double lo = 0.0, hi = 0.0;     ///< value interval [lo, hi] (lo < 0 for negative bins)
        float min = 0.0f, max = 0.0f;  ///< smallest and largest value seen in the bin
        std::uint64_t count = 0;
        double sum = 0.0;     ///< sum of x
        double sum_sq = 0.0;  ///< sum of x^2
    };

    log_histogram() = default;

    log_histogram(const log_histogram& o)
    {
        *this = o;
    }

    log_histogram& operator=(const log_histogram& o)
    {
        if (this != &o)
        {
            for (std::size_t b = 0; b < block_count; ++b)
            {
                m_blocks[b].reset(o.m_blocks[b] ? new raw_bin[bins_per_block] : nullptr);
                if (o.m_blocks[b])
                {
                    std::copy(o.m_blocks[b].get(), o.m_blocks[b].get() + bins_per_block, m_blocks[b].get());
                }
            }
            m_count = o.m_count;
        }
        return *this;
    }

    log_histogram(log_histogram&&) noexcept = default;
    log_histogram& operator=(log_histogram&&) noexcept = default;

    /// Adds finite values.
    void add(const float* x, std::size_t n)
    {
        for (std::size_t i = 0; i < n; ++i)
        {
            std::uint32_t u;
            std::memcpy(&u, &x[i], 4);
            const std::uint32_t block = u >> 23;  // sign and exponent
            const std::uint32_t slot = (u >> (23 - mantissa_bits)) & (bins_per_block - 1);
            const std::uint64_t m = (u & 0x7FFFFFu) | ((block & 0xFFu) ? 0x800000u : 0u);
            raw_bin& r = at(block)[slot];
            r.min = x[i] < r.min ? x[i] : r.min;
            r.max = x[i] > r.max ? x[i] : r.max;
            ++r.count;
            r.sum_m += m;
            add_u128(r, m * m);
        }
        m_count += n;
    }

    void merge(const log_histogram& o)
    {
        for (std::size_t b = 0; b < block_count; ++b)
        {
            if (!o.m_blocks[b])
            {
                continue;
            }
            raw_bin* dst = at(static_cast<std::uint32_t>(b));
            for (std::size_t s = 0; s < bins_per_block; ++s)
            {
                const raw_bin& src = o.m_blocks[b][s];
                dst[s].min = src.min < dst[s].min ? src.min : dst[s].min;
                dst[s].max = src.max > dst[s].max ? src.max : dst[s].max;
                dst[s].count += src.count;
                dst[s].sum_m += src.sum_m;
                const std::uint64_t lo = dst[s].sq_lo + src.sq_lo;
                dst[s].sq_hi += src.sq_hi + (lo < dst[s].sq_lo ? 1u : 0u);
                dst[s].sq_lo = lo;
            }
        }
        m_count += o.m_count;
    }

    std::uint64_t count() const noexcept
    {
        return m_count;
    }

    /// Non-empty bins in ascending value order.
    std::vector<bin> bins() const
    {
        std::vector<bin> out;
        for (std::size_t b = 0; b < block_count; ++b)
        {
            if (!m_blocks[b])
            {
                continue;
            }
            const bool negative = (b & 0x100u) != 0;
            const int expf = static_cast<int>(b & 0xFFu);
            const int e = (expf ? expf : 1) - 150;  // x = m * 2^e
            for (std::size_t s = 0; s < bins_per_block; ++s)
            {
                const raw_bin& r = m_blocks[b][s];
                if (r.count == 0)
                {
                    continue;
                }
                const double m_lo =
                  static_cast<double>(((expf ? bins_per_block : 0) + s) << (23 - mantissa_bits));
                const double lo = std::ldexp(m_lo, e);
                const double hi = std::ldexp(m_lo + double(1u << (23 - mantissa_bits)), e);
                const double sum = std::ldexp(static_cast<double>(r.sum_m), e);
                const double sum_sq = std::ldexp(
                  std::ldexp(static_cast<double>(r.sq_hi), 64) + static_cast<double>(r.sq_lo), 2 * e);
                if (negative)
                {
                    out.push_back({-hi, -lo, r.min, r.max, r.count, -sum, sum_sq});
                }
                else
                {
                    out.push_back({lo, hi, r.min, r.max, r.count, sum, sum_sq});
                }
            }
        }
        std::sort(out.begin(),
                  out.end(),
                  [](const bin& a, const bin& b)
                  {
                      return a.lo < b.lo;
                  });
        return out;
    }

    void save(state_writer& w) const
    {
        w.u64(m_count);
        std::uint32_t blocks = 0;
        for (const auto& b : m_blocks)
        {
            blocks += b ? 1u : 0u;
        }
        w.u32(blocks);
        for (std::size_t b = 0; b < block_count; ++b)
        {
            if (!m_blocks[b])
            {
                continue;
            }
            w.u32(static_cast<std::uint32_t>(b));
            for (std::size_t s = 0; s < bins_per_block; ++s)
            {
                const raw_bin& r = m_blocks[b][s];
                w.f32(r.min);
                w.f32(r.max);
                w.u64(r.count);
                w.u64(r.sum_m);
                w.u64(r.sq_lo);
                w.u64(r.sq_hi);
            }
        }
    }

    static log_histogram load(state_reader& r)
    {
        log_histogram h;
        h.m_count = r.u64();
        const std::uint32_t blocks = r.u32();
        std::uint64_t total = 0;
        for (std::uint32_t i = 0; i < blocks; ++i)
        {
            const std::uint32_t b = r.u32();
            if (b >= block_count || h.m_blocks[b])
            {
                state_reader::fail("log histogram block index " + std::to_string(b)
                                   + " is invalid or repeated");
            }
            raw_bin* dst = h.at(b);
            for (std::size_t s = 0; s < bins_per_block; ++s)
            {
                dst[s].min = r.f32();
                dst[s].max = r.f32();
                dst[s].count = r.u64();
                dst[s].sum_m = r.u64();
                dst[s].sq_lo = r.u64();
                dst[s].sq_hi = r.u64();
                const auto key = [](float v)
                {
                    std::uint32_t u;
                    std::memcpy(&u, &v, 4);
                    return u >> (23 - mantissa_bits);
                };
                const std::uint32_t expected = (b << mantissa_bits) | static_cast<std::uint32_t>(s);
                const bool ok = dst[s].count == 0
                                  ? dst[s].sum_m == 0 && dst[s].sq_lo == 0 && dst[s].sq_hi == 0
                                  : key(dst[s].min) == expected && key(dst[s].max) == expected
                                      && dst[s].count < (std::uint64_t{1} << 40);
                if (!ok)
                {
                    state_reader::fail("log histogram bin " + std::to_string(expected) + " is inconsistent");
                }
                total += dst[s].count;
            }
        }
        if (total != h.m_count)
        {
            state_reader::fail("log histogram counts add up to " + std::to_string(total) + ", not "
                               + std::to_string(h.m_count));
        }
        return h;
    }

private:
    static constexpr std::size_t block_count = 512;

    struct raw_bin
    {
        float min = std::numeric_limits<float>::infinity();
        float max = -std::numeric_limits<float>::infinity();
        std::uint64_t count = 0;
        std::uint64_t sum_m = 0;  // < 2^24 * count: exact below 2^40 values per bin
        std::uint64_t sq_lo = 0;  // sum of m^2 as a 128-bit integer
        std::uint64_t sq_hi = 0;
    };

    static void add_u128(raw_bin& r, std::uint64_t v) noexcept
    {
        const std::uint64_t lo = r.sq_lo + v;
        r.sq_hi += lo < r.sq_lo ? 1u : 0u;
        r.sq_lo = lo;
    }

    raw_bin* at(std::uint32_t block)
    {
        auto& p = m_blocks[block];
        if (!p)
        {
            p.reset(new raw_bin[bins_per_block]);
        }
        return p.get();
    }

    std::unique_ptr<raw_bin[]> m_blocks[block_count];
    std::uint64_t m_count = 0;
};
}  // namespace AMCT_ABI
}  // namespace amct
