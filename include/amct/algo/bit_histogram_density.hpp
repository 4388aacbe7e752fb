// amct/algo/bit_histogram_density.hpp: a bit_histogram read as a piecewise-uniform density, and the squared
// error of quantizing it on a grid: sum over the data of (round(clamp(x, lo, hi) / s) s - x)^2 (IFMR's loss).
//
// Each bin's values are spread evenly over it, except that the outer edges of the lowest and highest bin are
// the exact minimum and maximum (a spike at the maximum, such as ReLU6's 6, is then a point mass). For grids
// no finer than `min_step`:
//   * bins of magnitude below min_step / 2 round to 0 on every such grid: they form one central piece, whose
//     moments are their bins' exact sums;
//   * elsewhere, bins narrower than min_step / 16 are merged into pieces of that width (a power of two of
//     bins, per binade), so a layer has a few thousand pieces whatever its range;
//   * prefix sums of the count and of sum x at each piece's lower edge give the moments M0(t), M1(t) of the
//     data below any t in O(1). A piece of the line on which q is constant adds M2 - 2 q M1 + q^2 M0 (its
//     moments); the M2 terms add up to sum x^2 of all data, so a grid costs one look-up of M0 and M1 per
//     rounding boundary (k + 1/2) s and clip, whatever the number of bins.
#pragma once

#include <cmath>    // std::ilogb, std::nearbyint
#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint32_t, std::uint8_t
#include <vector>   // std::vector

#include <amct/algo/bit_histogram.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
class bit_histogram_density
{
public:
    /// @param min_step the finest grid step sum_sq will be asked for (> 0).
    bit_histogram_density(const bit_histogram& h, double min_step)
    {
        constexpr std::uint32_t per_binade = 1u << bit_histogram::mantissa_bits;
        const double tau = min_step / 2.0;
        // the first magnitude key outside the central piece: no bin below it reaches above tau
        std::uint32_t mc = bit_histogram::magnitude_key(static_cast<float>(tau));
        mc = mc > 1 && bit_histogram::upper_magnitude(mc - 1) > tau ? mc - 1 : mc;
        mc = mc > 1 ? mc : 1;
        // merge: 2^r bins per piece in a binade whose bins (2^(e - 137), e >= 1) are narrower than
        // min_step / 16 >= 2^w
        const int w = std::ilogb(min_step / 16.0);
        const auto binade = [](std::uint32_t m)
        {
            return m >> bit_histogram::mantissa_bits;
        };
        m_shift.assign(binade(bit_histogram::sign - 1) + 1, 0);
        for (std::uint32_t e = 0; e < m_shift.size(); ++e)
        {
            const int r = w - ((e > 0 ? static_cast<int>(e) : 1) - 137);
            m_shift[e] = static_cast<std::uint8_t>(
              r < 0 ? 0 : (r > bit_histogram::mantissa_bits ? bit_histogram::mantissa_bits : r));
        }
        const std::uint32_t aligned = (mc >> m_shift[binade(mc)]) << m_shift[binade(mc)];  // down: below tau
        if (aligned > 0)
        {
            mc = aligned;
        }
        else
        {
            m_shift[0] = 0;  // (a min_step near the denormals) key 0 stays with the zeros
        }
        m_first = mc;
        const std::uint32_t neg_top = h.min() < 0.0f ? bit_histogram::magnitude_key(-h.min()) : 0;
        const std::uint32_t pos_top = h.max() > 0.0f ? bit_histogram::magnitude_key(h.max()) : 0;
        const std::uint32_t top = neg_top > pos_top ? neg_top : pos_top;
        // magnitude pieces of the binades mc .. top, and their lower edges
        m_base.assign(m_shift.size(), 0);
        std::vector<double> mag;
        for (std::uint32_t e = binade(mc); top >= mc && e <= binade(top); ++e)
        {
            const std::uint32_t j0 = e == binade(mc) ? (mc & (per_binade - 1)) >> m_shift[e] : 0;
            m_base[e] = static_cast<std::uint32_t>(mag.size()) - j0;  // mod 2^32: piece_of adds j0 back
            for (std::uint32_t j = j0; j < (per_binade >> m_shift[e]); ++j)
            {
                mag.push_back(
                  bit_histogram::lower_magnitude((e << bit_histogram::mantissa_bits) + (j << m_shift[e])));
            }
        }
        mag.push_back(
          bit_histogram::lower_magnitude(top >= mc ? (binade(top) + 1) << bit_histogram::mantissa_bits : mc));
        const std::uint32_t neg = neg_top >= mc ? piece_of(neg_top) + 1 : 0;
        const std::uint32_t pos = pos_top >= mc ? piece_of(pos_top) + 1 : 0;
        m_neg = neg;
        m_central = neg;
        // value order: neg pieces (largest magnitude first), central, pos pieces; one entry more for the top
        const std::size_t n = neg + 1 + pos;
        m_p.assign(n + 1, piece{});
        std::vector<double> counts(n, 0.0);
        double m1c = 0.0, m2c = 0.0;  // the central piece's moments, from its bins
        for (const std::uint32_t sign : {bit_histogram::sign, 0u})
        {
            const std::uint32_t top_m = sign ? neg_top : pos_top;
            const auto central = [&](std::uint32_t m, double c)
            {
                const double a = bit_histogram::lower_value(sign | m);
                const double b = bit_histogram::upper_value(sign | m);
                counts[m_central] += c;
                m1c += c * (a + b) / 2.0;
                m2c += c * (a * a + a * b + b * b) / 3.0;
            };
            h.for_each_count(sign, 0, 0, central);  // zeros; no other key below the smallest magnitude
            h.for_each_count(sign, h.first_magnitude(), mc - 1 < top_m ? mc - 1 : top_m, central);
            if (top_m >= mc)
            {
                std::uint32_t e = binade(mc);
                std::uint32_t shift = m_shift[e], base = m_base[e], next = (e + 1) * per_binade;
                std::uint32_t current = piece_of(mc);
                double sum = 0.0;  // of the current piece: one store per piece, not per bin
                const auto flush = [&]
                {
                    counts[sign ? m_neg - 1 - current : m_central + 1 + current] += sum;
                };
                h.for_each_count(sign,
                                 mc,
                                 top_m,
                                 [&](std::uint32_t m, double c)
                                 {
                                     if (m >= next)
                                     {
                                         e = binade(m);
                                         shift = m_shift[e];
                                         base = m_base[e];
                                         next = (e + 1) * per_binade;
                                     }
                                     const std::uint32_t i = base + ((m & (per_binade - 1)) >> shift);
                                     if (i != current)
                                     {
                                         flush();
                                         current = i;
                                         sum = 0.0;
                                     }
                                     sum += c;
                                 });
                flush();
            }
        }
        // lower edges in value order
        for (std::uint32_t i = 0; i < neg; ++i)
        {
            m_p[i].lo = -static_cast<float>(mag[neg - i]);  // magnitude piece neg - 1 - i, reversed
        }
        m_p[m_central].lo = neg ? -static_cast<float>(mag[0]) : h.min();
        for (std::uint32_t i = 0; i < pos; ++i)
        {
            m_p[m_central + 1 + i].lo = static_cast<float>(mag[i]);
        }
        m_p[n].lo = pos ? static_cast<float>(mag[pos]) : h.max();
        m_p[0].lo = m_p[0].lo > h.min() ? m_p[0].lo : h.min();
        m_p[n].lo = m_p[n].lo < h.max() ? m_p[n].lo : h.max();
        moments p{};
        double p2 = 0.0;
        for (std::size_t i = 0; i < n; ++i)
        {
            m_p[i].below = p;
            const double a = m_p[i].lo, b = m_p[i + 1].lo, c = counts[i];
            m_p[i].density = b > a ? c / (b - a) : 0.0;
            p.m0 += c;
            p.m1 += i == m_central ? m1c : c * (a + b) / 2.0;
            p2 += i == m_central ? m2c : c * (a * a + a * b + b * b) / 3.0;
        }
        m_p[n].below = p;
        m_sum_sq = p2;
    }

    /// Sum over the data of (round(clamp(x, lo, hi) / s) s - x)^2, q computed in float as IFMR does; lo <= 0
    /// <= hi and s >= min_step.
    double sum_sq(float lo, float hi, float s) const noexcept
    {
        const float k_lo = std::nearbyint(lo / s), k_hi = std::nearbyint(hi / s);
        // pieces: (-inf, lo) at q(lo), the cells k_lo .. k_hi of [lo, hi], (hi, inf) at q(hi)
        double total = m_sum_sq;
        moments below{};
        const auto piece_to = [&](const moments& up_to, float k)
        {
            const double q = static_cast<double>(k * s);
            total += q * ((up_to.m0 - below.m0) * q - 2.0 * (up_to.m1 - below.m1));
            below = up_to;
        };
        piece_to(at(lo), k_lo);
        for (float k = k_lo; k < k_hi; k += 1.0f)
        {
            const double t = (static_cast<double>(k) + 0.5) * static_cast<double>(s);
            piece_to(at(t < lo ? lo : (t > hi ? hi : t)), k);
        }
        piece_to(at(hi), k_hi);
        piece_to(m_p.back().below, k_hi);
        return total;
    }

private:
    struct moments
    {
        double m0, m1;  // count and sum of x
    };

    struct piece
    {
        moments below;   // of the data below the piece
        double density;  // count / width (0 for a point mass)
        float lo;        // its lower edge
    };

    /// Magnitude piece of magnitude key m >= m_first.
    std::uint32_t piece_of(std::uint32_t m) const noexcept
    {
        const std::uint32_t e = m >> bit_histogram::mantissa_bits;
        return m_base[e] + ((m & ((1u << bit_histogram::mantissa_bits) - 1)) >> m_shift[e]);
    }

    /// Moments of the data below t.
    moments at(double t) const noexcept
    {
        const float v = static_cast<float>(t);
        const std::uint32_t k = bit_histogram::key_of(v);
        const std::uint32_t m = k & (bit_histogram::sign - 1);
        std::size_t i;
        if (m < m_first)
        {
            i = m_central;
        }
        else if (v < 0.0f)
        {
            const std::uint32_t j = piece_of(m);
            i = j >= m_neg ? 0 : m_neg - 1 - j;
        }
        else
        {
            i = m_central + 1 + piece_of(m);
            i = i < m_p.size() - 1 ? i : m_p.size() - 2;
        }
        const piece& p = m_p[i];
        const piece& next = m_p[i + 1];
        if (t >= next.lo)  // also the whole of a point mass (a spike at the exact minimum or maximum)
        {
            return next.below;
        }
        const double a = p.lo, u = t > a ? t : a;
        return {p.below.m0 + p.density * (u - a), p.below.m1 + p.density * (u * u - a * a) / 2.0};
    }

    std::vector<std::uint8_t> m_shift;  // per binade: log2 of the bins per piece
    std::vector<std::uint32_t> m_base;  // per binade: magnitude index of its first piece (minus the offset)
    std::vector<piece> m_p;             // in value order, and one for the top
    double m_sum_sq = 0.0;              // sum of x^2 over the data
    std::uint32_t m_first = 1;          // the first magnitude key outside the central piece
    std::uint32_t m_neg = 0;            // negative pieces
    std::size_t m_central = 0;          // index of the central piece
};
}  // namespace AMCT_ABI
}  // namespace amct
