// amct/algo/indexed_observer.hpp: one layer's activation observer fed by batch index. Batches 0 .. batches -
// 1 arrive in any order, from several threads at once (observe is thread-safe) or in other processes (save,
// load, merge), and the result is that of one observer fed them in index order, bit for bit:
//   * algorithms whose merge is exact (merge_is_exact: all but HFMG) take each batch as it comes, into one of
//   a
//     pool of shards (as many as threads observe at once), merged when the result is asked for;
//   * HFMG places batch k by the [min, max] of batches 0 .. k - 1 (hfmg_segments): a batch whose
//   predecessors'
//     ranges are not all known yet waits, copied, until they are (observed here, or learnt from other
//     processes through add_ranges); its histogram is computed outside the lock.
#pragma once

#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <map>                 // std::map
#include <mutex>               // std::mutex, std::unique_lock
#include <optional>            // std::optional
#include <set>                 // std::set
#include <string>              // std::string
#include <utility>             // std::move, std::pair
#include <vector>              // std::vector

#include <amct/algo/hfmg.hpp>
#include <amct/algo/observer.hpp>
#include <amct/algo/registry.hpp>
#include <amct/algo/state_io.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/simd/minmax_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// The [min, max] of one batch, which HFMG needs from every earlier batch to place a later one.
struct batch_range
{
    std::size_t index = 0;
    float min = 0.0f;
    float max = 0.0f;
};

class indexed_observer
{
public:
    static constexpr const char* state_name = "indexed_observer";
    static constexpr std::uint32_t state_version = 1;

    /// @throws value_error for invalid parameters (naming the layer) or batches = 0; unsupported_error for
    /// arq_quantize.
    indexed_observer(const algorithm_params& params, std::string layer, std::size_t batches)
      : m_base(params, layer)
      , m_params(params)
      , m_batches(batches)
    {
        if (batches == 0)
        {
            detail::throw_error<value_error>(where() + ": an indexed observer needs at least one batch");
        }
        if (const auto* p = std::get_if<hfmg_params>(&params))
        {
            m_hfmg.emplace(*p, std::move(layer), batches);
        }
    }

    /// Moving is not thread-safe: nothing may use `o` meanwhile.
    indexed_observer(indexed_observer&& o) noexcept
      : m_base(std::move(o.m_base))
      , m_shards(std::move(o.m_shards))
      , m_params(std::move(o.m_params))
      , m_batches(o.m_batches)
      , m_taken(std::move(o.m_taken))
      , m_done(o.m_done)
      , m_hfmg(std::move(o.m_hfmg))
      , m_waiting(std::move(o.m_waiting))
      , m_unshared(std::move(o.m_unshared))
    {
    }

    indexed_observer& operator=(indexed_observer&& o) noexcept
    {
        m_base = std::move(o.m_base);
        m_shards = std::move(o.m_shards);
        m_params = std::move(o.m_params);
        m_batches = o.m_batches;
        m_taken = std::move(o.m_taken);
        m_done = o.m_done;
        m_hfmg = std::move(o.m_hfmg);
        m_waiting = std::move(o.m_waiting);
        m_unshared = std::move(o.m_unshared);
        return *this;
    }

    const std::string& layer() const noexcept
    {
        return m_base.layer();
    }

    std::string_view algorithm() const noexcept
    {
        return m_base.algorithm();
    }

    const algorithm_params& params() const noexcept
    {
        return m_params;
    }

    std::size_t batches() const noexcept
    {
        return m_batches;
    }

    /// @brief Observes batch `index` (of shape `shape`, row-major). Thread-safe.
    /// @throws value_error for index >= batches(), an index observed here before, a null pointer, NaN or Inf;
    /// shape_error for a batch without data; the algorithm's own errors (another channel count, ...). The
    /// observer is unchanged then and the index stays free.
    void observe(std::size_t index, const float* x, const std::vector<std::size_t>& shape)
    {
        const std::size_t n = detail::element_count(shape);
        if (shape.empty() || n == 0)
        {
            detail::throw_error<shape_error>(where(index) + ": no data; the batch was not observed");
        }
        if (x == nullptr)
        {
            detail::throw_error<value_error>(where(index) + ": null data pointer");
        }
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            if (index >= m_batches)
            {
                detail::throw_error<value_error>(where(index) + ": beyond the " + std::to_string(m_batches)
                                                 + " batches");
            }
            if (!m_taken.insert(index).second)
            {
                detail::throw_error<value_error>(where(index) + ": this batch was observed before");
            }
            ++m_busy;
        }
        try
        {
            if (m_hfmg)
            {
                observe_hfmg(index, x, n);
            }
            else
            {
                observe_shard(x, shape);
            }
        }
        catch (...)
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_taken.erase(index);
            finish(lock);
            throw;
        }
        std::unique_lock<std::mutex> lock(m_mutex);
        ++m_done;
        finish(lock);
    }

    template <class E>
    void observe(std::size_t index, const xt::xexpression<E>& batch)
    {
        const detail::contiguous_data<float> in(batch.derived_cast());
        observe(index, in.data(), in.shape());
    }

    /// Batches observed here (merged ones included), whether applied or waiting.
    std::size_t observed() const
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        return m_done;
    }

    /// HFMG batches waiting, copied, for the range of an earlier batch.
    std::size_t waiting() const
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        return m_waiting.size();
    }

    /// HFMG: the ranges of the batches observed here since the last call, for the other processes; empty for
    /// the other algorithms.
    std::vector<batch_range> take_ranges()
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        std::vector<batch_range> out;
        out.reserve(m_unshared.size());
        for (std::size_t k : m_unshared)  // each added with its range (observe_hfmg, load), under the lock
        {
            const std::pair<float, float>& range = m_hfmg->ranges().at(k);
            out.push_back({k, range.first, range.second});
        }
        m_unshared.clear();
        return out;
    }

    /// @throws value_error as add_ranges(ranges) would; changes nothing.
    void check_ranges(const std::vector<batch_range>& ranges) const
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        validate_ranges(ranges);
    }

    /// @brief HFMG: learns the ranges of batches observed elsewhere; batches waiting for them are applied.
    /// @throws value_error for another algorithm, an index beyond batches(), a range that is not finite and
    /// ordered or differs from the one known here; nothing changes then.
    void add_ranges(const std::vector<batch_range>& ranges)
    {
        if (ranges.empty())
        {
            return;
        }
        std::unique_lock<std::mutex> lock(m_mutex);
        validate_ranges(ranges);
        for (const auto& r : ranges)
        {
            m_hfmg->add_range(r.index, r.min, r.max);
        }
        ++m_busy;
        apply_waiting(lock);
        finish(lock);
    }

    /// @brief Adds the batches another indexed_observer of the same layer saw (another process's, loaded).
    /// Waits for batches being observed in either. @throws value_error for another algorithm, other
    /// parameters or batch count, a batch observed in both, or conflicting ranges; nothing changes then.
    void merge(const indexed_observer& other)
    {
        if (&other == this)
        {
            detail::throw_error<value_error>(where() + ": an observer cannot merge itself");
        }
        const bool this_first = this < &other;
        std::unique_lock<std::mutex> first = quiet(this_first ? *this : other);
        std::unique_lock<std::mutex> second = quiet(this_first ? other : *this);
        std::unique_lock<std::mutex>& lock = this_first ? first : second;
        std::unique_lock<std::mutex>& other_lock = this_first ? second : first;
        validate_merge(other);
        if (m_hfmg)
        {
            m_hfmg->merge(*other.m_hfmg);
            m_waiting.insert(other.m_waiting.begin(), other.m_waiting.end());
        }
        else
        {
            consolidate();
            other.consolidate();
            m_base.merge(other.m_base);
        }
        m_taken.insert(other.m_taken.begin(), other.m_taken.end());
        m_done += other.m_done;
        other_lock.unlock();  // apply_waiting re-locks this one: never while holding the other's
        if (m_hfmg)
        {
            ++m_busy;
            apply_waiting(lock);
            finish(lock);
        }
    }

    /// @throws value_error as merge(other) would; changes nothing. Waits for batches being observed in
    /// either.
    void check_merge(const indexed_observer& other) const
    {
        if (&other == this)
        {
            detail::throw_error<value_error>(where() + ": an observer cannot merge itself");
        }
        const bool this_first = this < &other;
        const std::unique_lock<std::mutex> first = quiet(this_first ? *this : other);
        const std::unique_lock<std::mutex> second = quiet(this_first ? other : *this);
        validate_merge(other);
    }

    /// @brief The observer that saw every batch in index order. Waits for batches being observed.
    /// @throws value_error unless every batch has been observed.
    any_observer result() const
    {
        std::unique_lock<std::mutex> lock = quiet(*this);
        require_complete();
        if (m_hfmg)
        {
            return any_observer(m_hfmg->result());
        }
        consolidate();
        return m_base;
    }

    /// result().compute(), without copying the observer. @throws value_error as result() and compute() do.
    calibration_result compute() const
    {
        std::unique_lock<std::mutex> lock = quiet(*this);
        require_complete();
        if (m_hfmg)
        {
            return m_hfmg->result().compute();
        }
        consolidate();
        return m_base.compute();
    }

    /// The state: the batches observed, the merged observer (HFMG: ranges, segment counts and waiting
    /// batches). Waits for batches being observed.
    std::string save() const
    {
        std::unique_lock<std::mutex> lock = quiet(*this);
        state_writer w;
        w.str(layer());
        w.u64(m_batches);
        w.u64(m_taken.size());
        for (std::size_t k : m_taken)
        {
            w.u64(k);
        }
        w.boolean(m_hfmg.has_value());
        if (m_hfmg)
        {
            m_hfmg->save(w);
            w.u64(m_waiting.size());
            for (const auto& [k, data] : m_waiting)
            {
                w.u64(k);
                w.f32s(data);
            }
        }
        else
        {
            consolidate();
            w.str(m_base.save());
        }
        return w.finish(state_name, state_version);
    }

    /// @throws state_error for a corrupt, foreign or inconsistent state.
    static indexed_observer load(const std::string& bytes)
    {
        state_reader r(bytes, state_name, state_version);
        std::string layer = r.str();
        const auto batches = static_cast<std::size_t>(r.u64());
        if (batches == 0)
        {
            state_reader::fail(layer + ": no batches");
        }
        std::set<std::size_t> taken;
        for (std::size_t n = r.count(8); n > 0; --n)
        {
            const auto k = static_cast<std::size_t>(r.u64());
            if (k >= batches || !taken.insert(k).second)
            {
                state_reader::fail(layer + ": batch " + std::to_string(k) + " listed twice or beyond "
                                   + std::to_string(batches));
            }
        }
        std::optional<indexed_observer> o;
        if (r.boolean())
        {
            hfmg_segments segments = hfmg_segments::load(r, layer);
            if (segments.batches() != batches)
            {
                state_reader::fail(layer + ": HFMG segments of " + std::to_string(segments.batches())
                                   + " batches in an observer of " + std::to_string(batches));
            }
            o.emplace(segments.params(), layer, batches);
            o->m_hfmg = std::move(segments);
            for (std::size_t n = r.count(16); n > 0; --n)
            {
                const auto k = static_cast<std::size_t>(r.u64());
                std::vector<float> data = r.f32s();
                kernel::minmax_result mm;
                kernel::minmax(data.data(), data.size(), mm);
                const auto range = o->m_hfmg->ranges().find(k);
                if (!taken.count(k) || o->m_hfmg->placed(k) || range == o->m_hfmg->ranges().end()
                    || !(mm.min == range->second.first && mm.max == range->second.second))
                {
                    state_reader::fail(layer + ": inconsistent waiting batch " + std::to_string(k));
                }
                o->m_waiting.emplace(k, std::move(data));
            }
            for (std::size_t k : taken)
            {
                if (!o->m_hfmg->known(k))
                {
                    state_reader::fail(layer + ": the range of batch " + std::to_string(k) + " is missing");
                }
            }
        }
        else
        {
            any_observer base = any_observer::load(r.str());
            if (base.layer() != layer || base.batches() != taken.size() || !merge_is_exact(base.params()))
            {
                state_reader::fail(layer + ": inconsistent observer state");
            }
            o.emplace(base.params(), layer, batches);
            o->m_base = std::move(base);
        }
        r.done();
        o->m_done = taken.size();
        o->m_taken = std::move(taken);
        if (o->m_hfmg)
        {
            o->m_unshared = o->m_taken;  // shared again after a restore: harmless, ranges are idempotent
        }
        return std::move(*o);
    }

private:
    std::string where() const
    {
        return "layer \"" + layer() + "\"";
    }

    /// "layer "<layer>", batch <batch>": built only for a message.
    std::string where(std::size_t batch) const
    {
        return where() + ", batch " + std::to_string(batch);
    }

    /// Locks `o` once no batch is being observed in it.
    static std::unique_lock<std::mutex> quiet(const indexed_observer& o)
    {
        std::unique_lock<std::mutex> lock(o.m_mutex);
        o.m_idle.wait(lock,
                      [&]
                      {
                          return o.m_busy == 0;
                      });
        return lock;
    }

    void finish(std::unique_lock<std::mutex>& lock)
    {
        if (--m_busy == 0)
        {
            lock.unlock();
            m_idle.notify_all();
        }
    }

    /// The checks of merge (both locked).
    void validate_merge(const indexed_observer& other) const
    {
        if (other.algorithm() != algorithm() || other.m_batches != m_batches)
        {
            detail::throw_error<value_error>(where() + ": cannot merge " + std::string(other.algorithm())
                                             + " over " + std::to_string(other.m_batches) + " batches into "
                                             + std::string(algorithm()) + " over "
                                             + std::to_string(m_batches));
        }
        for (std::size_t k : other.m_taken)
        {
            if (m_taken.count(k))
            {
                detail::throw_error<value_error>(where(k)
                                                 + ": observed in both (each batch belongs to one process)");
            }
        }
        if (m_hfmg)
        {
            m_hfmg->check_merge(*other.m_hfmg);
        }
        else
        {
            any_observer probe(m_params, layer());  // empty: merging it checks the parameters alone
            probe.merge(any_observer(other.m_params, layer()));
        }
    }

    /// The checks of add_ranges (locked).
    void validate_ranges(const std::vector<batch_range>& ranges) const
    {
        if (!m_hfmg)
        {
            detail::throw_error<value_error>(where() + ": " + std::string(algorithm())
                                             + " does not take batch ranges");
        }
        for (const auto& r : ranges)
        {
            m_hfmg->check_range(r.index, r.min, r.max);
        }
    }

    void require_complete() const
    {
        if (m_done != m_batches)
        {
            detail::throw_error<value_error>(where() + " has " + std::to_string(m_done) + " of "
                                             + std::to_string(m_batches) + " batches");
        }
    }

    /// Merges the shards into m_base (the lock held, nothing being observed).
    void consolidate() const
    {
        for (auto& shard : m_shards)
        {
            if (m_base.batches() == 0)
            {
                m_base = std::move(shard);
            }
            else
            {
                m_base.merge(shard);
            }
        }
        m_shards.clear();
    }

    void observe_shard(const float* x, const std::vector<std::size_t>& shape)
    {
        std::optional<any_observer> shard;
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            if (!m_shards.empty())
            {
                shard.emplace(std::move(m_shards.back()));
                m_shards.pop_back();
            }
        }
        if (!shard)
        {
            shard.emplace(m_params, layer());
        }
        try
        {
            shard->observe(x, shape);  // unchanged when it throws
        }
        catch (...)
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            m_shards.push_back(std::move(*shard));
            throw;
        }
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_shards.push_back(std::move(*shard));
    }

    void observe_hfmg(std::size_t index, const float* x, std::size_t n)
    {
        kernel::minmax_result r;
        kernel::minmax(x, n, r);
        if (!r.all_finite())
        {
            detail::reject_nonfinite(where(index), x, n);
        }
        std::unique_lock<std::mutex> lock(m_mutex);
        m_hfmg->add_range(index, r.min, r.max);
        m_unshared.insert(index);
        if (m_hfmg->placed(index))
        {
            const hfmg_segments::placement p = m_hfmg->place(index);
            lock.unlock();
            std::vector<std::int64_t> counts = histogram(x, n, p);
            lock.lock();
            m_hfmg->add(p.segment, std::move(counts));
        }
        else
        {
            m_waiting.emplace(index, std::vector<float>(x, x + n));
        }
        apply_waiting(lock);
    }

    std::vector<std::int64_t> histogram(const float* x,
                                        std::size_t n,
                                        const hfmg_segments::placement& p) const
    {
        std::vector<std::int64_t> counts(static_cast<std::size_t>(m_hfmg->params().num_of_bins), 0);
        detail::histc(x, n, p.step.min, p.step.max, counts);
        return counts;
    }

    /// Histograms the waiting batches that can be placed now, outside the lock (held on entry and exit).
    void apply_waiting(std::unique_lock<std::mutex>& lock)
    {
        for (auto it = m_waiting.begin(); it != m_waiting.end() && m_hfmg->placed(it->first);
             it = m_waiting.begin())
        {
            const hfmg_segments::placement p = m_hfmg->place(it->first);
            const std::vector<float> data = std::move(it->second);
            m_waiting.erase(it);
            lock.unlock();
            std::vector<std::int64_t> counts = histogram(data.data(), data.size(), p);
            lock.lock();
            m_hfmg->add(p.segment, std::move(counts));
        }
    }

    mutable std::mutex m_mutex;
    mutable std::condition_variable m_idle;
    std::size_t m_busy = 0;                      ///< calls observing (or applying) outside the lock
    mutable any_observer m_base;                 ///< exact-merge algorithms: the merged shards
    mutable std::vector<any_observer> m_shards;  ///< idle shards, to merge into m_base
    algorithm_params m_params;
    std::size_t m_batches;
    std::set<std::size_t> m_taken;  ///< batches observed or being observed here
    std::size_t m_done = 0;         ///< of them, observed
    std::optional<hfmg_segments> m_hfmg;
    std::map<std::size_t, std::vector<float>> m_waiting;  ///< HFMG batches waiting for an earlier range
    std::set<std::size_t> m_unshared;  ///< HFMG batches whose range take_ranges has not given
};
}  // namespace AMCT_ABI
}  // namespace amct
