// amct/algo/impl/bit_histogram_density.ipp: the definitions of <amct/algo/bit_histogram_density.hpp>
// (header-only: included by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/bit_histogram_density.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL bit_histogram_density::bit_histogram_density(const bit_histogram& h, double min_step)
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

AMCT_DECL double bit_histogram_density::sum_sq(float lo, float hi, float s) const noexcept
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

AMCT_DECL std::uint32_t bit_histogram_density::piece_of(std::uint32_t m) const noexcept
{
    const std::uint32_t e = m >> bit_histogram::mantissa_bits;
    return m_base[e] + ((m & ((1u << bit_histogram::mantissa_bits) - 1)) >> m_shift[e]);
}

AMCT_DECL bit_histogram_density::moments bit_histogram_density::at(double t) const noexcept
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
}  // namespace AMCT_ABI
}  // namespace amct
