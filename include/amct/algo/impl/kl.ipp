// amct/algo/impl/kl.ipp: the definitions of <amct/algo/kl.hpp> (header-only: included by it; separate
// compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/kl.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL bool normalize_and_smooth(std::vector<double>& p) noexcept
{
    double sum = 0.0;
    std::size_t zeros = 0;
    for (double v : p)
    {
        sum += v;
        zeros += v == 0.0 ? std::size_t{1} : std::size_t{0};
    }
    if (!(sum > 0.0))
    {
        return false;
    }
    double smallest = 1.0;
    for (double& v : p)
    {
        v /= sum;
        smallest = v > 0.0 && v < smallest ? v : smallest;
    }
    if (zeros == 0)
    {
        return true;
    }
    const double nonzeros = static_cast<double>(p.size() - zeros);
    double eps = 1e-4;
    // bounded: smallest > 0, and halving takes eps below any positive double within 1100 steps
    while (eps * static_cast<double>(zeros) / nonzeros >= smallest)
    {
        eps /= 2.0;
    }
    const double give = eps * static_cast<double>(zeros) / nonzeros;
    for (double& v : p)
    {
        v = v == 0.0 ? eps : v - give;
    }
    return true;
}

AMCT_DECL std::size_t kl_threshold_bin(const std::vector<double>& hist, std::size_t levels)
{
    const std::size_t bins = hist.size();
    std::vector<double> outliers(bins + 1, 0.0);  // outliers[i] = sum of hist[i..]
    for (std::size_t k = bins; k-- > 0;)
    {
        outliers[k] = outliers[k + 1] + hist[k];
    }
    std::size_t best = bins;
    double best_kl = -1.0;
    std::vector<double> p, q;
    for (std::size_t i = levels; i < bins; ++i)
    {
        p.assign(hist.begin(), hist.begin() + static_cast<std::ptrdiff_t>(i));
        p[i - 1] += outliers[i];
        const std::size_t merged = i / levels;
        q.assign(i, 0.0);
        for (std::size_t j = 0; j < levels; ++j)
        {
            const std::size_t start = j * merged;
            const std::size_t stop = j + 1 == levels ? i : start + merged;
            double mass = 0.0;
            std::size_t nonzero = 0;
            for (std::size_t k = start; k < stop; ++k)
            {
                mass += hist[k];
                nonzero += hist[k] != 0.0 ? std::size_t{1} : std::size_t{0};
            }
            for (std::size_t k = start; k < stop && nonzero > 0; ++k)
            {
                q[k] = hist[k] != 0.0 ? mass / static_cast<double>(nonzero) : 0.0;
            }
        }
        if (!normalize_and_smooth(p) || !normalize_and_smooth(q))
        {
            continue;
        }
        double kl = 0.0;
        for (std::size_t k = 0; k < i; ++k)
        {
            kl += p[k] * std::log(p[k] / q[k]);
        }
        if (best_kl < 0.0 || kl < best_kl)
        {
            best = i;
            best_kl = kl;
        }
    }
    return best;
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL std::pair<float, float> kl_observer::clip(const grid_histogram& h) const
{
    const double amax = extent(h).second;
    const auto bins = static_cast<std::size_t>(m_params.num_of_bins);
    const std::vector<double> hist = h.resample(0.0, amax, bins);
    const std::size_t i =
      detail::kl_threshold_bin(hist, static_cast<std::size_t>(m_params.num_quantized_bins));
    const auto t = static_cast<float>((static_cast<double>(i) + 0.5) * amax / static_cast<double>(bins));
    return {-t, t};
}
}  // namespace AMCT_ABI
}  // namespace amct
