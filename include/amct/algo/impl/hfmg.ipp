// amct/algo/impl/hfmg.ipp: the definitions of <amct/algo/hfmg.hpp> (header-only: included by it; separate
// compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/hfmg.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL void histc(const float* x, std::size_t n, float lo, float hi, std::vector<std::int64_t>& counts)
{
    const std::size_t bins = counts.size();
    const float width = hi - lo;
    if (width < flt_eps)
    {
        counts[bins / 2] += static_cast<std::int64_t>(n);
        return;
    }
    if (!std::isfinite(width))  // a range wider than FLT_MAX: the same placement in double
    {
        const double dw = static_cast<double>(hi) - lo;
        for (std::size_t i = 0; i < n; ++i)
        {
            const double pos = (static_cast<double>(x[i]) - lo) / dw * static_cast<double>(bins);
            ++counts[std::min(static_cast<std::size_t>(pos > 0.0 ? pos : 0.0), bins - 1)];
        }
        return;
    }
    const float nb = static_cast<float>(bins);
    const auto bin_of = [&](float v) noexcept
    {
        const float pos = (v - lo) / width * nb;
        const std::size_t b = pos <= 0.0f ? 0 : static_cast<std::size_t>(pos);
        return b >= bins ? bins - 1 : b;
    };
    std::size_t i = 0;
#if AMCT_USE_XSIMD
    using fbatch = xsimd::batch<float, kernel::default_arch>;
    constexpr std::size_t w = fbatch::size;
    constexpr std::size_t chunk = std::size_t{1} << 30;  // keeps the 32-bit sub-counts from overflowing
    std::vector<std::uint32_t> sub(4 * bins, 0);
    const fbatch vlo(lo), vwidth(width), vnb(nb), zero(0.0f), top(nb - 1.0f);
    alignas(64) std::int32_t idx[w];
    while (i + w <= n)
    {
        const std::size_t end = std::min(n, i + chunk);
        for (; i + w <= end; i += w)
        {
            // clamping in float before the conversion keeps it in range; both bounds are integers
            const fbatch pos =
              xsimd::min(xsimd::max((fbatch::load_unaligned(x + i) - vlo) / vwidth * vnb, zero), top);
            xsimd::batch_cast<std::int32_t>(pos).store_aligned(idx);
            for (std::size_t k = 0; k < w; ++k)
            {
                ++sub[(k & 3u) * bins + static_cast<std::size_t>(idx[k])];
            }
        }
        for (std::size_t b = 0; b < bins; ++b)
        {
            counts[b] +=
              static_cast<std::int64_t>(sub[b]) + sub[bins + b] + sub[2 * bins + b] + sub[3 * bins + b];
            sub[b] = sub[bins + b] = sub[2 * bins + b] = sub[3 * bins + b] = 0;
        }
    }
#endif
    for (; i < n; ++i)
    {
        ++counts[bin_of(x[i])];
    }
}

AMCT_DECL std::vector<std::int64_t> rebin(const hfmg_histogram& h, float lo, float hi)
{
    const std::size_t bins = h.counts.size();
    std::vector<std::int64_t> out(bins, 0);
    const double w_old = (static_cast<double>(h.max) - h.min) / static_cast<double>(bins);
    const double w = (static_cast<double>(hi) - lo) / static_cast<double>(bins);
    if (!(w > 0.0))
    {
        out[bins / 2] = std::accumulate(h.counts.begin(), h.counts.end(), std::int64_t{0});
        return out;
    }
    for (std::size_t i = 0; i < bins; ++i)
    {
        const std::int64_t c = h.counts[i];
        if (c == 0)
        {
            continue;
        }
        const double a = h.min + static_cast<double>(i) * w_old;
        const double b = a + w_old;
        auto index = [&](double v)
        {
            const double t = std::floor((v - lo) / w);
            return t < 0.0 ? std::size_t{0} : std::min(static_cast<std::size_t>(t), bins - 1);
        };
        const std::size_t i_lo = index(a);
        const std::size_t i_hi = index(b);
        if (i_lo == i_hi || !(w_old > 0.0))
        {
            out[i_lo] += c;
            continue;
        }
        const double edge = lo + static_cast<double>(i_lo + 1) * w;
        const auto first = static_cast<std::int64_t>(static_cast<double>(c) * (edge - a) / (b - a));
        out[i_lo] += first;
        out[i_hi] += c - first;
    }
    return out;
}

AMCT_DECL void merge_histogram(hfmg_histogram& h, const hfmg_histogram& other)
{
    const float lo = std::min(h.min, other.min);
    const float hi = std::max(h.max, other.max);
    if (!(same_edge(lo, h.min) && same_edge(hi, h.max)))
    {
        h.counts = rebin(h, lo, hi);
        h.min = lo;
        h.max = hi;
    }
    const std::vector<std::int64_t> add =
      same_edge(other.min, h.min) && same_edge(other.max, h.max) ? other.counts : rebin(other, h.min, h.max);
    for (std::size_t i = 0; i < add.size(); ++i)
    {
        h.counts[i] += add[i];
    }
}

AMCT_DECL hfmg_step
hfmg_next_step(bool first, float run_min, float run_max, float batch_min, float batch_max) noexcept
{
    if (first)
    {
        return {batch_min, batch_max, true};
    }
    const float lo = std::min(run_min, batch_min);
    const float hi = std::max(run_max, batch_max);
    return {lo, hi, !(same_edge(lo, run_min) && same_edge(hi, run_max))};
}

AMCT_DECL void hfmg_apply(hfmg_histogram& h, const hfmg_step& step, std::vector<std::int64_t> counts)
{
    if (h.counts.empty())
    {
        h = {step.min, step.max, std::move(counts)};
        return;
    }
    if (step.moves)
    {
        h.counts = rebin(h, step.min, step.max);
        h.min = step.min;
        h.max = step.max;
    }
    for (std::size_t i = 0; i < counts.size(); ++i)
    {
        h.counts[i] += counts[i];
    }
}

AMCT_DECL double hfmg_loss(const std::vector<std::int64_t>& counts,
                           double bin_width,
                           std::size_t l,
                           std::size_t r,
                           int bits)
{
    const double levels = std::ldexp(1.0, bits);
    const double dw = bin_width * static_cast<double>(r - l + 1) / levels;
    if (dw < static_cast<double>(flt_eps))
    {
        return 0.0;
    }
    const auto last = static_cast<std::int64_t>(levels) - 1;
    auto clamp_bin = [&](double v)
    {
        const double t = std::floor(v / dw);
        return t < 0.0 ? std::int64_t{0}
                       : (t > static_cast<double>(last) ? last : static_cast<std::int64_t>(t));
    };
    double loss = 0.0;
    for (std::size_t i = 0; i < counts.size(); ++i)
    {
        if (counts[i] == 0)
        {
            continue;
        }
        const double density = static_cast<double>(counts[i]) / bin_width;
        const auto norm = [&](double a, double e)
        {
            return density * (e * e * e - a * a * a) / 3.0;
        };
        const double sb = (static_cast<double>(i) - static_cast<double>(l)) * bin_width;
        const double se = sb + bin_width;
        const std::int64_t db = clamp_bin(sb);
        const std::int64_t de = clamp_bin(se);
        const double cb = (static_cast<double>(db) + 0.5) * dw;
        const double ce = (static_cast<double>(de) + 0.5) * dw;
        if (db == de)
        {
            loss += norm(sb - cb, se - cb);
        }
        else
        {
            loss += norm(sb - cb, dw / 2) + static_cast<double>(de - db - 1) * norm(-dw / 2, dw / 2)
                    + norm(-dw / 2, se - ce);
        }
    }
    return loss;
}

AMCT_DECL std::pair<std::size_t, std::size_t> hfmg_search(const hfmg_histogram& h, int bits)
{
    const std::size_t bins = h.counts.size();
    const double bin_width = (static_cast<double>(h.max) - h.min) / static_cast<double>(bins);
    std::int64_t total = 0;
    for (auto c : h.counts)
    {
        total += c;
    }
    const std::int64_t step = std::max<std::int64_t>((total + 99999) / 100000, 1);
    const auto min_bins = static_cast<std::size_t>(std::ceil(static_cast<double>(bins) / 4.0));
    std::size_t left = 0, right = bins - 1;
    std::pair<std::size_t, std::size_t> best{left, right};
    double best_loss = 0.0;
    bool have = false;
    while (right - left > min_bins)
    {
        std::size_t nl = left;
        for (std::int64_t acc = 0; acc < step && nl < right; ++nl)
        {
            acc += h.counts[nl];
        }
        std::size_t nr = right;  // AMCT bounds the right walk by the advanced left index
        for (std::int64_t acc = 0; acc < step && nr > nl; --nr)
        {
            acc += h.counts[nr];
        }
        if (right - nr >= nl - left)
        {
            right = nr;
        }
        else
        {
            left = nl;
        }
        const double loss = hfmg_loss(h.counts, bin_width, left, right, bits);
        if (!have || loss < best_loss)
        {
            best = {left, right};
            best_loss = loss;
            have = true;
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
AMCT_DECL void hfmg_observer::reserve_range(float min, float max)
{
    if (!m_hist.counts.empty())
    {
        detail::throw_error<value_error>(where() + ": reserve_range must come before the first batch");
    }
    validate_range(min, max, "");
    m_hist = {min, max, std::vector<std::int64_t>(static_cast<std::size_t>(m_params.num_of_bins), 0)};
}

AMCT_DECL void hfmg_observer::observe(const float* x, std::size_t n)
{
    if (n > 0)
    {
        kernel::minmax_result r;
        kernel::minmax(x, n, r);  // one pass gives the range and the finiteness check
        if (!r.all_finite())
        {
            check_batch(x, n);  // throws, naming the element
        }
        const detail::hfmg_step step =
          detail::hfmg_next_step(m_hist.counts.empty(), m_hist.min, m_hist.max, r.min, r.max);
        std::vector<std::int64_t> counts(static_cast<std::size_t>(m_params.num_of_bins), 0);
        detail::histc(x, n, step.min, step.max, counts);
        detail::hfmg_apply(m_hist, step, std::move(counts));
    }
    count_batch();
}

AMCT_DECL void hfmg_observer::merge(const hfmg_observer& other)
{
    check_mergeable(other, other.m_params == m_params);
    if (m_hist.counts.empty())
    {
        m_hist = other.m_hist;
    }
    else if (!other.m_hist.counts.empty())
    {
        detail::merge_histogram(m_hist, other.m_hist);
    }
    add_batches(other);
}

AMCT_DECL calibration_result hfmg_observer::compute() const
{
    std::int64_t total = 0;
    for (auto c : m_hist.counts)
    {
        total += c;
    }
    if (total == 0)
    {
        detail::throw_error<value_error>(where() + ": HFMG has no calibration data");
    }
    const auto [l, r] = detail::hfmg_search(m_hist, m_params.num_bits);
    const float w = (m_hist.max - m_hist.min) / static_cast<float>(m_params.num_of_bins);
    float clip_min = m_hist.min + static_cast<float>(l) * w;
    float clip_max = m_hist.min + static_cast<float>(r + 1) * w;
    if (!std::isfinite(w))  // a range wider than FLT_MAX
    {
        const double dw = (static_cast<double>(m_hist.max) - m_hist.min) / m_params.num_of_bins;
        clip_min = static_cast<float>(m_hist.min + static_cast<double>(l) * dw);
        clip_max = static_cast<float>(
          std::min(m_hist.min + static_cast<double>(r + 1) * dw, static_cast<double>(m_hist.max)));
    }
    calibration_result res;
    res.num_bits = m_params.num_bits;
    res.asymmetric = m_params.asymmetric;
    const auto [s, o] = choose_scale_offset(clip_min,
                                            clip_max,
                                            detail::signed_qmin(res.num_bits),
                                            detail::signed_qmax(res.num_bits),
                                            !res.asymmetric);
    push_channel(res, s, o);
    return res;
}

AMCT_DECL std::string hfmg_observer::save() const
{
    state_writer w;
    w.str(m_layer);
    w.u64(m_batches);
    write_params(w, m_params);
    w.f32(m_hist.min);
    w.f32(m_hist.max);
    w.u64(m_hist.counts.size());
    for (auto c : m_hist.counts)
    {
        w.i64(c);
    }
    return w.finish(algorithm, state_version);
}

AMCT_DECL hfmg_observer hfmg_observer::load(const std::string& bytes)
{
    state_reader r(bytes, algorithm, state_version);
    std::string layer = r.str();
    const std::uint64_t batches = r.u64();
    const auto p = read_params<hfmg_params>(r);
    hfmg_observer o(p, std::move(layer));
    o.m_hist.min = r.f32();
    o.m_hist.max = r.f32();
    const std::size_t n = r.count(8);
    if (n != 0
        && !(std::isfinite(o.m_hist.min) && std::isfinite(o.m_hist.max) && o.m_hist.min <= o.m_hist.max))
    {
        state_reader::fail("HFMG histogram range is not finite and ordered");
    }
    if (n != 0 && n != static_cast<std::uint64_t>(p.num_of_bins))
    {
        state_reader::fail("HFMG histogram has " + std::to_string(n) + " bins, num_of_bins is "
                           + std::to_string(p.num_of_bins));
    }
    o.m_hist.counts.resize(n);
    for (auto& c : o.m_hist.counts)
    {
        c = r.i64();
        if (c < 0 || c > (std::int64_t{1} << 56))
        {
            state_reader::fail("HFMG histogram has a count out of range");
        }
    }
    r.done();
    o.m_batches = static_cast<std::size_t>(batches);
    return o;
}

AMCT_DECL void hfmg_segments::add_range(std::size_t k, float min, float max)
{
    check_range(k, min, max);
    if (m_ranges.emplace(k, std::make_pair(min, max)).second)
    {
        extend();
    }
}

AMCT_DECL std::vector<std::int64_t> hfmg_segments::contribution(const float* x,
                                                                std::size_t n,
                                                                const placement& p) const
{
    std::vector<std::int64_t> counts(static_cast<std::size_t>(params().num_of_bins), 0);
    detail::histc(x, n, p.step.min, p.step.max, counts);
    return counts;
}

AMCT_DECL void hfmg_segments::add(std::size_t segment, std::vector<std::int64_t> counts)
{
    auto& sum = m_sums[segment];
    if (sum.empty())
    {
        sum = std::move(counts);
        return;
    }
    for (std::size_t i = 0; i < sum.size(); ++i)
    {
        sum[i] += counts[i];
    }
}

AMCT_DECL void hfmg_segments::check_merge(const hfmg_segments& other) const
{
    if (other.params() != params() || batches() != other.batches())
    {
        detail::throw_error<value_error>(where() + ": cannot merge HFMG segments of other parameters or "
                                         + std::to_string(other.batches()) + " batches");
    }
    for (const auto& [k, range] : other.m_ranges)
    {
        check_range(k, range.first, range.second);
    }
}

AMCT_DECL void hfmg_segments::merge(const hfmg_segments& other)
{
    check_merge(other);
    m_ranges.insert(other.m_ranges.begin(), other.m_ranges.end());
    extend();
    for (const auto& [segment, counts] : other.m_sums)
    {
        add(segment, counts);
    }
}

AMCT_DECL hfmg_observer hfmg_segments::result() const
{
    if (batches() == 0 || !placed(batches() - 1))
    {
        detail::throw_error<value_error>(where() + ": HFMG lacks the range of batch "
                                         + std::to_string(m_places.size()));
    }
    for (std::size_t k = 0; k < m_places.size(); ++k)
    {
        if (m_places[k].segment == k && !m_sums.count(k))
        {
            detail::throw_error<value_error>(where() + ": HFMG lacks the counts of batch "
                                             + std::to_string(k));
        }
    }
    hfmg_observer o = m_result;
    for (const auto& [segment, counts] : m_sums)
    {
        detail::hfmg_apply(o.m_hist, m_places[segment].step, counts);
    }
    o.m_batches = batches();
    return o;
}

AMCT_DECL void hfmg_segments::save(state_writer& w) const
{
    write_params(w, params());
    w.u64(batches());
    w.u64(m_ranges.size());
    for (const auto& [k, range] : m_ranges)
    {
        w.u64(k);
        w.f32(range.first);
        w.f32(range.second);
    }
    w.u64(m_sums.size());
    for (const auto& [segment, counts] : m_sums)
    {
        w.u64(segment);
        for (auto c : counts)
        {
            w.i64(c);
        }
    }
}

AMCT_DECL hfmg_segments hfmg_segments::load(state_reader& r, std::string layer)
{
    const auto p = read_params<hfmg_params>(r);
    const auto batches = static_cast<std::size_t>(r.u64());
    hfmg_segments s(p, std::move(layer), batches);
    for (std::size_t n = r.count(16); n > 0; --n)
    {
        const auto k = static_cast<std::size_t>(r.u64());
        const float lo = r.f32();
        const float hi = r.f32();
        if (s.known(k))
        {
            state_reader::fail(s.where() + ": HFMG range of batch " + std::to_string(k) + " given twice");
        }
        try
        {
            s.add_range(k, lo, hi);
        }
        catch (const value_error& e)
        {
            state_reader::fail(e.what());
        }
    }
    const auto bins = static_cast<std::size_t>(p.num_of_bins);
    for (std::size_t n = r.count(8 * (bins + 1)); n > 0; --n)
    {
        const auto segment = static_cast<std::size_t>(r.u64());
        if (!s.placed(segment) || s.m_places[segment].segment != segment || s.m_sums.count(segment))
        {
            state_reader::fail(s.where() + ": HFMG counts for batch " + std::to_string(segment)
                               + ", which does not start a known segment");
        }
        std::vector<std::int64_t> counts(bins);
        for (auto& c : counts)
        {
            c = r.i64();
            if (c < 0 || c > (std::int64_t{1} << 56))
            {
                state_reader::fail(s.where() + ": HFMG histogram has a count out of range");
            }
        }
        s.m_sums.emplace(segment, std::move(counts));
    }
    return s;
}

AMCT_DECL void hfmg_segments::check_range(std::size_t k, float min, float max) const
{
    const auto at = [&]  // built only for a message
    {
        return where() + ", batch " + std::to_string(k);
    };
    if (k >= batches())
    {
        detail::throw_error<value_error>(at() + ": beyond the " + std::to_string(batches()) + " batches");
    }
    if (!(std::isfinite(min) && std::isfinite(max) && min <= max))
    {
        detail::throw_error<value_error>(at() + ": HFMG range [" + detail::number_to_string(min) + ", "
                                         + detail::number_to_string(max) + "] is not finite and ordered");
    }
    const auto it = m_ranges.find(k);
    if (it != m_ranges.end() && !(bits_equal(it->second.first, min) && bits_equal(it->second.second, max)))
    {
        detail::throw_error<value_error>(at() + ": observed twice, with different ranges");
    }
}

AMCT_DECL void hfmg_segments::extend()
{
    for (auto it = m_ranges.find(m_places.size()); it != m_ranges.end() && it->first == m_places.size(); ++it)
    {
        const std::size_t k = it->first;
        // the running range: the step of the last batch that moved it (ignored for the first batch)
        const detail::hfmg_step run =
          m_places.empty() ? detail::hfmg_step{} : m_places[m_places.back().segment].step;
        const detail::hfmg_step step =
          detail::hfmg_next_step(m_places.empty(), run.min, run.max, it->second.first, it->second.second);
        m_places.push_back({step, step.moves ? k : m_places.back().segment});
    }
}
}  // namespace AMCT_ABI
}  // namespace amct
