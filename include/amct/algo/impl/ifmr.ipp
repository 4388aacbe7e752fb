// amct/algo/impl/ifmr.ipp: the definitions of <amct/algo/ifmr.hpp> (header-only: included by it; separate
// compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/ifmr.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL std::vector<float> ifmr_ratios(const ifmr_params& p)
{
    const auto n =
      static_cast<std::size_t>(std::ceil((p.search_range_end - p.search_range_start) / p.search_step));
    constexpr std::size_t width = 8;
    std::vector<float> r(n);
    std::size_t i = 0;
    for (; i + 2 * width <= n; i += 2 * width)
    {
        for (std::size_t v = i; v < i + 2 * width; v += width)
        {
            const auto base = static_cast<double>(
              static_cast<float>(p.search_range_start + static_cast<double>(v) * p.search_step));
            for (std::size_t j = 0; j < width; ++j)
            {
                r[v + j] = static_cast<float>(base + static_cast<double>(j) * p.search_step);
            }
        }
    }
    for (; i < n; ++i)
    {
        r[i] = static_cast<float>(p.search_range_start + static_cast<double>(i) * p.search_step);
    }
    return r;
}

AMCT_DECL std::size_t ifmr_rank(double p, std::size_t n) noexcept
{
    if (1.0 - p < static_cast<double>(flt_eps))
    {
        return 1;
    }
    const auto k = n - static_cast<std::size_t>(std::floor(p * static_cast<double>(n)));
    return k < 1 ? 1 : (k > n ? n : k);
}

AMCT_DECL double ifmr_sum_sq(const float* x, std::size_t n, float lo, float hi, float s) noexcept
{
    double total = 0.0;
    std::size_t i = 0;
#if AMCT_USE_XSIMD
    using batch = xsimd::batch<float, kernel::default_arch>;
    constexpr std::size_t w = batch::size;
    constexpr std::size_t block = 64 * w;
    const batch vlo(lo), vhi(hi), vs(s);
    for (; i + block <= n; i += block)
    {
        batch acc0(0.0f), acc1(0.0f);
        for (std::size_t k = 0; k < block; k += 2 * w)
        {
            const batch a = batch::load_unaligned(x + i + k);
            const batch b = batch::load_unaligned(x + i + k + w);
            const batch ea = xsimd::nearbyint(xsimd::min(xsimd::max(a, vlo), vhi) / vs) * vs - a;
            const batch eb = xsimd::nearbyint(xsimd::min(xsimd::max(b, vlo), vhi) / vs) * vs - b;
            acc0 += ea * ea;
            acc1 += eb * eb;
        }
        total += static_cast<double>(xsimd::hadd(acc0 + acc1));
    }
#endif
    float acc = 0.0f;
    for (; i < n; ++i)
    {
        const float c = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
        const float e = std::nearbyint(c / s) * s - x[i];
        acc += e * e;
    }
    return total + static_cast<double>(acc);
}

AMCT_DECL ifmr_sorted_source::ifmr_sorted_source(const std::vector<float>& sorted)
  : x(sorted)
{
    const std::size_t blocks = x.size() / block + 1;
    s1.resize(blocks);
    s2.resize(blocks);
    double a = 0.0, b = 0.0;
    for (std::size_t k = 0; k < blocks; ++k)
    {
        s1[k] = a;
        s2[k] = b;
        double a4[4] = {}, b4[4] = {};  // independent chains: the block's sums do not wait on each other
        const std::size_t end = std::min(x.size(), (k + 1) * block);
        std::size_t i = k * block;
        for (; i + 4 <= end; i += 4)
        {
            for (std::size_t j = 0; j < 4; ++j)
            {
                const auto v = static_cast<double>(x[i + j]);
                a4[j] += v;
                b4[j] += v * v;
            }
        }
        for (; i < end; ++i)
        {
            a4[0] += static_cast<double>(x[i]);
            b4[0] += static_cast<double>(x[i]) * static_cast<double>(x[i]);
        }
        a += (a4[0] + a4[1]) + (a4[2] + a4[3]);
        b += (b4[0] + b4[1]) + (b4[2] + b4[3]);
    }
}

AMCT_DECL double ifmr_sorted_source::sum_sq(float lo, float hi, float s) const noexcept
{
    const std::size_t n = x.size();
    const double runs = (static_cast<double>(hi) - static_cast<double>(lo)) / static_cast<double>(s) + 2.0;
    if (!(runs * (2.0 * block + 64.0) < static_cast<double>(n)))
    {
        return ifmr_sum_sq(x.data(), n, lo, hi, s);
    }
    const auto q_of = [&](float v)
    {
        const float c = v < lo ? lo : (v > hi ? hi : v);
        return std::nearbyint(c / s) * s;
    };
    double total = 0.0, a0 = 0.0, b0 = 0.0;  // prefix sums at i
    for (std::size_t i = 0; i < n;)
    {
        const float q = q_of(x[i]);
        // first j > i with q_of(x[j]) > q
        std::size_t lo_i = i + 1, hi_i = n;
        while (lo_i < hi_i)
        {
            const std::size_t mid = lo_i + (hi_i - lo_i) / 2;
            if (q_of(x[mid]) > q)
            {
                hi_i = mid;
            }
            else
            {
                lo_i = mid + 1;
            }
        }
        double a1, b1;
        prefix(lo_i, a1, b1);
        const double qd = static_cast<double>(q);
        total += (b1 - b0) - 2.0 * qd * (a1 - a0) + static_cast<double>(lo_i - i) * qd * qd;
        a0 = a1;
        b0 = b1;
        i = lo_i;
    }
    return total;
}

AMCT_DECL void ifmr_sorted_source::prefix(std::size_t k, double& a, double& b) const noexcept
{
    a = s1[k / block];
    b = s2[k / block];
    for (std::size_t i = k / block * block; i < k; ++i)
    {
        a += static_cast<double>(x[i]);
        b += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    }
}

AMCT_DECL std::vector<double> ifmr_sums(const ifmr_bit_source& src, const std::vector<ifmr_candidate>& cs)
{
    float s_min = std::numeric_limits<float>::infinity();
    for (const auto& c : cs)
    {
        s_min = c.s < s_min ? c.s : s_min;
    }
    return ifmr_sums(bit_histogram_density(src.h, static_cast<double>(s_min)), cs);
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL void ifmr_observer::observe(const float* x, std::size_t n)
{
    if (m_params.mode == ifmr_mode::exact)
    {
        check_batch(x, n);
        m_data.insert(m_data.end(), x, x + n);
    }
    else if (!m_hist.add(x, n))  // the histogram's own pass finds NaN and Inf, and undoes the batch
    {
        check_batch(x, n);  // names the element
    }
    else
    {
        keep_while_small(x, n);
    }
    count_batch();
}

AMCT_DECL void ifmr_observer::merge(const ifmr_observer& other)
{
    check_mergeable(other, other.m_params == m_params);
    m_hist.merge(other.m_hist);
    if (m_params.mode == ifmr_mode::exact)
    {
        m_data.insert(m_data.end(), other.m_data.begin(), other.m_data.end());
    }
    else
    {
        keep_while_small(other.m_data.data(), other.m_data.size());
    }
    add_batches(other);
}

AMCT_DECL calibration_result ifmr_observer::compute(ifmr_search* log) const
{
    if (count() == 0)
    {
        detail::throw_error<value_error>(where() + ": IFMR has no calibration data");
    }
    if (m_params.mode == ifmr_mode::exact || count() <= bounded_exact_limit)
    {
        // a sorted copy: the canonical order gives the same sums whatever the batch order, and compute()
        // stays const and safe to call from several threads
        const std::vector<float> sorted = detail::radix_sorted(m_data);
        return detail::run_ifmr(detail::ifmr_sorted_source(sorted), m_params, log);
    }
    return detail::run_ifmr(detail::ifmr_bit_source{m_hist}, m_params, log);
}

AMCT_DECL std::string ifmr_observer::save() const
{
    state_writer w;
    w.str(m_layer);
    w.u64(m_batches);
    write_params(w, m_params);
    w.f32s(m_data);
    if (m_params.mode == ifmr_mode::bounded)
    {
        m_hist.save(w);
    }
    return w.finish(algorithm, state_version);
}

AMCT_DECL ifmr_observer ifmr_observer::load(const std::string& bytes)
{
    state_reader r(bytes, algorithm, state_version);
    std::string layer = r.str();
    const std::uint64_t batches = r.u64();
    const auto p = read_params<ifmr_params>(r);
    ifmr_observer o(p, std::move(layer));
    o.m_data = r.f32s();
    o.check_batch(o.m_data.data(), o.m_data.size());
    if (p.mode == ifmr_mode::bounded)
    {
        o.m_hist = bit_histogram::load(r);
        if (o.m_data.size() != (o.m_hist.count() <= bounded_exact_limit ? o.m_hist.count() : 0))
        {
            state_reader::fail("IFMR bounded state keeps " + std::to_string(o.m_data.size())
                               + " values for a histogram of " + std::to_string(o.m_hist.count()));
        }
    }
    r.done();
    o.m_batches = static_cast<std::size_t>(batches);
    return o;
}

AMCT_DECL void ifmr_observer::keep_while_small(const float* x, std::size_t n)
{
    if (m_hist.count() <= bounded_exact_limit)
    {
        m_data.insert(m_data.end(), x, x + n);
    }
    else
    {
        std::vector<float>().swap(m_data);
    }
}
}  // namespace AMCT_ABI
}  // namespace amct
