// TEMPORARY stand-in (replaced by the i7-metrics branch's metrics.hpp at merge).
#pragma once
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include <amct/config.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
enum class metric
{
    cosine,
    max_abs_error,
    mean_abs_error,
    rmse,
    max_relative_error,
    mean_relative_error,
    accumulated_relative_error,
    relative_euclidean_distance,
    kl_divergence,
    sqnr
};

inline const char* metric_name(metric m) noexcept
{
    return m == metric::cosine ? "cosine-similarity" : m == metric::sqnr ? "sqnr" : "other";
}

inline bool higher_is_better(metric m) noexcept
{
    return m == metric::cosine || m == metric::sqnr;
}

class comparison
{
public:
    void add(const float* reference, const float* actual, std::size_t n)
    {
        for (std::size_t i = 0; i < n; ++i)
        {
            const double y = reference[i], x = actual[i];
            m_xy += x * y;
            m_xx += x * x;
            m_yy += y * y;
            m_ee += (x - y) * (x - y);
        }
        m_n += n;
    }

    void merge(const comparison& o)
    {
        m_xy += o.m_xy;
        m_xx += o.m_xx;
        m_yy += o.m_yy;
        m_ee += o.m_ee;
        m_n += o.m_n;
    }

    std::size_t count() const
    {
        return m_n;
    }

    double value(metric m) const
    {
        if (m == metric::cosine)
        {
            return m_xx == 0 && m_yy == 0 ? 1.0 : std::min(1.0, m_xy / std::sqrt(m_xx * m_yy));
        }
        return m_ee == 0 ? std::numeric_limits<double>::infinity() : 10 * std::log10(m_yy / m_ee);
    }

private:
    double m_xy = 0, m_xx = 0, m_yy = 0, m_ee = 0;
    std::size_t m_n = 0;
};
}  // namespace AMCT_ABI
}  // namespace amct
