// amct/algo/indexed_observer.hpp: one layer's activation observer fed by batch index. Batches 0 .. batches -
// 1 arrive in any order, from several threads at once (observe is thread-safe) or in other processes (save,
// load, merge), and the result is that of one observer fed them in index order, bit for bit. How batches
// are combined is the observer's merge policy (O::exact_merge):
//   * exact merge: each batch goes as it comes into one of a pool of shards (as many as threads observe at
//     once), merged when the result is asked for;
//   * ordered merge (HFMG): batch k is placed by the [min, max] of batches 0 .. k - 1 (the observer's
//     O::ordered companion, e.g. hfmg_segments); a batch whose predecessors' ranges are not all known yet
//     waits, copied, until they are (observed here, or learnt from other processes through add_ranges); its
//     contribution is computed outside the lock.
#pragma once

#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <cstdint>             // std::uint32_t
#include <map>                 // std::map
#include <memory>              // std::unique_ptr, std::make_unique
#include <mutex>               // std::mutex, std::unique_lock
#include <optional>            // std::optional
#include <set>                 // std::set
#include <string>              // std::string
#include <string_view>         // std::string_view
#include <tuple>               // std::apply
#include <type_traits>         // std::decay_t
#include <utility>             // std::move
#include <variant>             // std::visit
#include <vector>              // std::vector

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
/// The [min, max] of one batch, which an ordered-merge observer needs from every earlier batch to place a
/// later one.
struct batch_range
{
    std::size_t index = 0;
    float min = 0.0f;
    float max = 0.0f;
};

namespace detail
{
/// How one indexed_observer combines its batches; the indexed_observer holds the lock around every call
/// unless a function says otherwise.
class merge_policy
{
public:
    virtual ~merge_policy() = default;
    virtual algorithm_params params() const = 0;

    /// Adds batch `index`. Called without the lock (the index is taken); `lock` is the observer's mutex,
    /// unlocked on entry and exit. @throws on a bad batch, changing nothing.
    virtual void observe(std::size_t index,
                         const float* x,
                         const std::vector<std::size_t>& shape,
                         std::unique_lock<std::mutex>& lock) = 0;

    virtual bool ordered() const noexcept = 0;
    virtual std::size_t waiting() const noexcept = 0;
    virtual std::vector<batch_range> take_ranges() = 0;
    virtual void check_ranges(const std::vector<batch_range>& ranges) const = 0;
    /// With the lock held on entry and exit (it may be released meanwhile).
    virtual void add_ranges(const std::vector<batch_range>& ranges, std::unique_lock<std::mutex>& lock) = 0;
    virtual void check_merge(const merge_policy& other) const = 0;
    /// Both locks held on entry; `other_lock` is released before `lock` is (may be) released and taken again.
    virtual void merge(const merge_policy& other,
                       std::unique_lock<std::mutex>& lock,
                       std::unique_lock<std::mutex>& other_lock) = 0;
    virtual any_observer result() const = 0;
    virtual calibration_result compute() const = 0;
    virtual void save(state_writer& w) const = 0;
};

/// Exact merge: shards of the observer, merged in any order.
class exact_merge_policy final : public merge_policy
{
public:
    exact_merge_policy(const algorithm_params& params, const std::string& layer)
      : m_base(params, layer)
      , m_params(params)
      , m_layer(layer)
    {
    }

    algorithm_params params() const override
    {
        return m_params;
    }

    void observe(std::size_t index,
                 const float* x,
                 const std::vector<std::size_t>& shape,
                 std::unique_lock<std::mutex>& lock) override
    {
        lock.lock();
        std::optional<any_observer> shard;
        if (!m_shards.empty())
        {
            shard.emplace(std::move(m_shards.back()));
            m_shards.pop_back();
        }
        lock.unlock();
        if (!shard)
        {
            shard.emplace(m_params, m_layer);
        }
        try
        {
            shard->observe_as(index, x, shape);  // unchanged when it throws
        }
        catch (...)
        {
            lock.lock();
            m_shards.push_back(std::move(*shard));
            lock.unlock();
            throw;
        }
        lock.lock();
        m_shards.push_back(std::move(*shard));
        lock.unlock();
    }

    bool ordered() const noexcept override
    {
        return false;
    }

    std::size_t waiting() const noexcept override
    {
        return 0;
    }

    std::vector<batch_range> take_ranges() override
    {
        return {};
    }

    void check_ranges(const std::vector<batch_range>&) const override
    {
        detail::throw_error<value_error>("layer \"" + m_layer + "\": " + std::string(m_base.algorithm())
                                         + " does not take batch ranges");
    }

    void add_ranges(const std::vector<batch_range>& ranges, std::unique_lock<std::mutex>&) override
    {
        check_ranges(ranges);
    }

    void check_merge(const merge_policy& other) const override
    {
        const auto& o = static_cast<const exact_merge_policy&>(other);
        any_observer probe(m_params, m_layer);  // empty: merging it checks the parameters alone
        probe.merge(any_observer(o.m_params, m_layer));
    }

    void merge(const merge_policy& other,
               std::unique_lock<std::mutex>&,
               std::unique_lock<std::mutex>& other_lock) override
    {
        const auto& o = static_cast<const exact_merge_policy&>(other);
        consolidate();
        o.consolidate();
        m_base.merge(o.m_base);
        other_lock.unlock();
    }

    any_observer result() const override
    {
        consolidate();
        return m_base;
    }

    calibration_result compute() const override
    {
        consolidate();
        return m_base.compute();
    }

    void save(state_writer& w) const override
    {
        consolidate();
        w.str(m_base.save());
    }

    /// Reads what save wrote, for an observer of `taken` batches. @throws state_error.
    static std::unique_ptr<merge_policy> load(state_reader& r,
                                              const std::string& layer,
                                              const std::set<std::size_t>& taken)
    {
        any_observer base = any_observer::load(r.str());
        if (base.layer() != layer || base.batches() != taken.size() || !merge_is_exact(base.params()))
        {
            state_reader::fail(layer + ": inconsistent observer state");
        }
        auto policy = std::make_unique<exact_merge_policy>(base.params(), layer);
        policy->m_base = std::move(base);
        return policy;
    }

private:
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

    mutable any_observer m_base;                 ///< the merged shards
    mutable std::vector<any_observer> m_shards;  ///< idle shards, to merge into m_base
    algorithm_params m_params;
    std::string m_layer;
};

/// Ordered merge: O::ordered places each batch by the ranges of the batches before it and sums the
/// contributions of batches placed alike (see hfmg_segments for the requirements).
template <class O>
class ordered_merge_policy final : public merge_policy
{
public:
    using segments = typename O::ordered;

    ordered_merge_policy(const typename O::params_type& params, const std::string& layer, std::size_t batches)
      : m_ordered(params, layer, batches)
      , m_layer(layer)
    {
    }

    algorithm_params params() const override
    {
        return m_ordered.params();
    }

    void observe(std::size_t index,
                 const float* x,
                 const std::vector<std::size_t>& shape,
                 std::unique_lock<std::mutex>& lock) override
    {
        const std::size_t n = element_count(shape);
        kernel::minmax_result r;
        kernel::minmax(x, n, r);
        if (!r.all_finite())
        {
            reject_nonfinite("layer \"" + m_layer + "\", batch " + std::to_string(index), x, n);
        }
        lock.lock();
        m_ordered.add_range(index, r.min, r.max);
        m_unshared.insert(index);
        if (m_ordered.placed(index))
        {
            const auto p = m_ordered.place(index);
            lock.unlock();
            auto c = m_ordered.contribution(x, n, p);
            lock.lock();
            m_ordered.add(p, std::move(c));
        }
        else
        {
            m_waiting.emplace(index, std::vector<float>(x, x + n));
        }
        apply_waiting(lock);
        lock.unlock();
    }

    bool ordered() const noexcept override
    {
        return true;
    }

    std::size_t waiting() const noexcept override
    {
        return m_waiting.size();
    }

    std::vector<batch_range> take_ranges() override
    {
        std::vector<batch_range> out;
        out.reserve(m_unshared.size());
        for (std::size_t k : m_unshared)  // each added with its range (observe, load)
        {
            const auto& range = m_ordered.ranges().at(k);
            out.push_back({k, range.first, range.second});
        }
        m_unshared.clear();
        return out;
    }

    void check_ranges(const std::vector<batch_range>& ranges) const override
    {
        for (const auto& r : ranges)
        {
            m_ordered.check_range(r.index, r.min, r.max);
        }
    }

    void add_ranges(const std::vector<batch_range>& ranges, std::unique_lock<std::mutex>& lock) override
    {
        check_ranges(ranges);
        for (const auto& r : ranges)
        {
            m_ordered.add_range(r.index, r.min, r.max);
        }
        apply_waiting(lock);
    }

    void check_merge(const merge_policy& other) const override
    {
        m_ordered.check_merge(static_cast<const ordered_merge_policy&>(other).m_ordered);
    }

    void merge(const merge_policy& other,
               std::unique_lock<std::mutex>& lock,
               std::unique_lock<std::mutex>& other_lock) override
    {
        const auto& o = static_cast<const ordered_merge_policy&>(other);
        m_ordered.merge(o.m_ordered);
        m_waiting.insert(o.m_waiting.begin(), o.m_waiting.end());
        other_lock.unlock();  // apply_waiting re-locks this one: never while holding the other's
        apply_waiting(lock);
    }

    any_observer result() const override
    {
        return any_observer(m_ordered.result());
    }

    calibration_result compute() const override
    {
        return m_ordered.result().compute();
    }

    void save(state_writer& w) const override
    {
        m_ordered.save(w);
        w.u64(m_waiting.size());
        for (const auto& [k, data] : m_waiting)
        {
            w.u64(k);
            w.f32s(data);
        }
    }

    /// Reads what save wrote, for an observer of `taken` batches. @throws state_error.
    static std::unique_ptr<merge_policy> load(state_reader& r,
                                              const std::string& layer,
                                              std::size_t batches,
                                              const std::set<std::size_t>& taken)
    {
        segments loaded = segments::load(r, layer);
        if (loaded.batches() != batches)
        {
            state_reader::fail(layer + ": " + std::string(O::algorithm) + " segments of "
                               + std::to_string(loaded.batches()) + " batches in an observer of "
                               + std::to_string(batches));
        }
        auto policy = std::make_unique<ordered_merge_policy>(loaded.params(), layer, batches);
        policy->m_ordered = std::move(loaded);
        for (std::size_t n = r.count(16); n > 0; --n)
        {
            const auto k = static_cast<std::size_t>(r.u64());
            std::vector<float> data = r.f32s();
            kernel::minmax_result mm;
            kernel::minmax(data.data(), data.size(), mm);
            const auto range = policy->m_ordered.ranges().find(k);
            if (!taken.count(k) || policy->m_ordered.placed(k) || range == policy->m_ordered.ranges().end()
                || !(mm.min == range->second.first && mm.max == range->second.second))
            {
                state_reader::fail(layer + ": inconsistent waiting batch " + std::to_string(k));
            }
            policy->m_waiting.emplace(k, std::move(data));
        }
        for (std::size_t k : taken)
        {
            if (!policy->m_ordered.known(k))
            {
                state_reader::fail(layer + ": the range of batch " + std::to_string(k) + " is missing");
            }
        }
        policy->m_unshared = taken;  // shared again after a restore: harmless, ranges are idempotent
        return policy;
    }

private:
    /// Places the waiting batches that can be placed now, outside the lock (held on entry and exit).
    void apply_waiting(std::unique_lock<std::mutex>& lock)
    {
        for (auto it = m_waiting.begin(); it != m_waiting.end() && m_ordered.placed(it->first);
             it = m_waiting.begin())
        {
            const auto p = m_ordered.place(it->first);
            const std::vector<float> data = std::move(it->second);
            m_waiting.erase(it);
            lock.unlock();
            auto c = m_ordered.contribution(data.data(), data.size(), p);
            lock.lock();
            m_ordered.add(p, std::move(c));
        }
    }

    segments m_ordered;
    std::string m_layer;
    std::map<std::size_t, std::vector<float>> m_waiting;  ///< batches waiting for an earlier range
    std::set<std::size_t> m_unshared;                     ///< batches whose range take_ranges has not given
};

/// The policy of the observer of `params`.
inline std::unique_ptr<merge_policy> make_merge_policy(const algorithm_params& params,
                                                       const std::string& layer,
                                                       std::size_t batches)
{
    return std::visit(
      [&](const auto& p) -> std::unique_ptr<merge_policy>
      {
          using P = std::decay_t<decltype(p)>;
          if constexpr (!has_observer<P>::value)
          {
              detail::throw_error<unsupported_error>(std::string(P::name)
                                                     + " calibrates weights, not activations (layer \""
                                                     + layer + "\"); use amct::arq");
          }
          else if constexpr (P::observer::exact_merge)
          {
              return std::make_unique<exact_merge_policy>(params, layer);
          }
          else
          {
              return std::make_unique<ordered_merge_policy<typename P::observer>>(p, layer, batches);
          }
      },
      params);
}
}  // namespace detail

class indexed_observer
{
public:
    static constexpr const char* state_name = "indexed_observer";
    static constexpr std::uint32_t state_version = 1;

    /// @throws value_error for invalid parameters (naming the layer) or batches = 0; unsupported_error for a
    /// weight algorithm.
    indexed_observer(const algorithm_params& params, std::string layer, std::size_t batches)
      : m_params(params)
      , m_layer(std::move(layer))
      , m_batches(batches)
    {
        if (batches == 0)
        {
            detail::throw_error<value_error>(where() + ": an indexed observer needs at least one batch");
        }
        m_policy = detail::make_merge_policy(params, m_layer, batches);
    }

    /// Moving is not thread-safe: nothing may use `o` meanwhile.
    indexed_observer(indexed_observer&& o) noexcept
      : m_params(std::move(o.m_params))
      , m_layer(std::move(o.m_layer))
      , m_batches(o.m_batches)
      , m_policy(std::move(o.m_policy))
      , m_taken(std::move(o.m_taken))
      , m_done(o.m_done)
    {
    }

    indexed_observer& operator=(indexed_observer&& o) noexcept
    {
        m_params = std::move(o.m_params);
        m_layer = std::move(o.m_layer);
        m_batches = o.m_batches;
        m_policy = std::move(o.m_policy);
        m_taken = std::move(o.m_taken);
        m_done = o.m_done;
        return *this;
    }

    const std::string& layer() const noexcept
    {
        return m_layer;
    }

    std::string_view algorithm() const noexcept
    {
        return algorithm_name(m_params);
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
    /// @throws value_error for index >= batches(), an index observed here before, a null pointer, NaN or Inf
    /// (naming the element); shape_error for a batch without data; the algorithm's own errors (another
    /// channel count, ...). The observer is unchanged then and the index stays free.
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
        std::unique_lock<std::mutex> lock(m_mutex);
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
        lock.unlock();
        try
        {
            m_policy->observe(index, x, shape, lock);
        }
        catch (...)
        {
            lock.lock();
            m_taken.erase(index);
            finish(lock);
            throw;
        }
        lock.lock();
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

    /// Ordered merge: batches waiting, copied, for the range of an earlier batch.
    std::size_t waiting() const
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        return m_policy->waiting();
    }

    /// Ordered merge: the ranges of the batches observed here since the last call, for the other processes;
    /// empty for the other algorithms.
    std::vector<batch_range> take_ranges()
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        return m_policy->take_ranges();
    }

    /// @throws value_error as add_ranges(ranges) would; changes nothing.
    void check_ranges(const std::vector<batch_range>& ranges) const
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_policy->check_ranges(ranges);
    }

    /// @brief Ordered merge: learns the ranges of batches observed elsewhere; batches waiting for them are
    /// applied. @throws value_error for an algorithm without ordered merge, an index beyond batches(), a
    /// range that is not finite and ordered or differs from the one known here; nothing changes then.
    void add_ranges(const std::vector<batch_range>& ranges)
    {
        if (ranges.empty())
        {
            return;
        }
        std::unique_lock<std::mutex> lock(m_mutex);
        m_policy->check_ranges(ranges);
        ++m_busy;
        m_policy->add_ranges(ranges, lock);
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
        m_taken.insert(other.m_taken.begin(), other.m_taken.end());
        m_done += other.m_done;
        ++m_busy;
        m_policy->merge(*other.m_policy, lock, other_lock);
        finish(lock);
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
        const std::unique_lock<std::mutex> lock = quiet(*this);
        require_complete();
        return m_policy->result();
    }

    /// result().compute(), without copying the observer. @throws value_error as result() and compute() do.
    calibration_result compute() const
    {
        const std::unique_lock<std::mutex> lock = quiet(*this);
        require_complete();
        return m_policy->compute();
    }

    /// The state: the batches observed and the policy's state (the merged observer; for ordered merge the
    /// ranges, segment counts and waiting batches). Waits for batches being observed.
    std::string save() const
    {
        const std::unique_lock<std::mutex> lock = quiet(*this);
        state_writer w;
        w.str(m_layer);
        w.u64(m_batches);
        w.u64(m_taken.size());
        for (std::size_t k : m_taken)
        {
            w.u64(k);
        }
        w.boolean(m_policy->ordered());
        m_policy->save(w);
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
        std::unique_ptr<detail::merge_policy> policy = r.boolean()
                                                         ? load_ordered(r, layer, batches, taken)
                                                         : detail::exact_merge_policy::load(r, layer, taken);
        r.done();
        indexed_observer o(std::move(policy), std::move(layer), batches);
        o.m_done = taken.size();
        o.m_taken = std::move(taken);
        return o;
    }

private:
    indexed_observer(std::unique_ptr<detail::merge_policy> policy, std::string layer, std::size_t batches)
      : m_params(policy->params())
      , m_layer(std::move(layer))
      , m_batches(batches)
      , m_policy(std::move(policy))
    {
    }

    /// The state of the ordered-merge algorithm (the format holds no name: there is one, HFMG).
    static std::unique_ptr<detail::merge_policy> load_ordered(state_reader& r,
                                                              const std::string& layer,
                                                              std::size_t batches,
                                                              const std::set<std::size_t>& taken)
    {
        std::unique_ptr<detail::merge_policy> out;
        std::apply(
          [&](auto... defaults)
          {
              (
                [&](auto p)
                {
                    using O = typename decltype(p)::observer;
                    if constexpr (!O::exact_merge)
                    {
                        out = detail::ordered_merge_policy<O>::load(r, layer, batches, taken);
                    }
                }(defaults),
                ...);
          },
          activation_algorithms::defaults{});
        return out;
    }

    std::string where() const
    {
        return "layer \"" + m_layer + "\"";
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
        m_policy->check_merge(*other.m_policy);
    }

    void require_complete() const
    {
        if (m_done != m_batches)
        {
            detail::throw_error<value_error>(where() + " has " + std::to_string(m_done) + " of "
                                             + std::to_string(m_batches) + " batches");
        }
    }

    mutable std::mutex m_mutex;
    mutable std::condition_variable m_idle;
    std::size_t m_busy = 0;  ///< calls observing (or applying) outside the lock
    algorithm_params m_params;
    std::string m_layer;
    std::size_t m_batches = 0;
    std::unique_ptr<detail::merge_policy> m_policy;
    std::set<std::size_t> m_taken;  ///< batches observed or being observed here
    std::size_t m_done = 0;         ///< of them, observed
};
}  // namespace AMCT_ABI
}  // namespace amct
