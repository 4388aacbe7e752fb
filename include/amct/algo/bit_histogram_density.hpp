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
    AMCT_DECL bit_histogram_density(const bit_histogram& h, double min_step);

    /// Sum over the data of (round(clamp(x, lo, hi) / s) s - x)^2, q computed in float as IFMR does; lo <= 0
    /// <= hi and s >= min_step.
    AMCT_DECL double sum_sq(float lo, float hi, float s) const noexcept;

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
    AMCT_DECL std::uint32_t piece_of(std::uint32_t m) const noexcept;

    /// Moments of the data below t.
    AMCT_DECL moments at(double t) const noexcept;

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

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/bit_histogram_density.ipp>
#endif
