// amct/algo/indexed_observer.hpp: one layer's activation observer fed by batch index. Batches
// 0 .. batches - 1 arrive in any order, from several threads at once (observe is thread-safe) or in other
// processes (save, load, merge), and the result is that of one observer fed them in index order, bit for bit.
// How batches are combined is the observer's merge policy (O::exact_merge):
// clang-format off
//   * exact merge: each batch goes as it comes into one of a pool of shards (as many as threads observe at
//     once), merged when the result is asked for;
//   * ordered merge (HFMG): batch k is placed by the [min, max] of batches 0 .. k - 1 (the observer's
//     O::ordered companion, e.g. hfmg_segments); a batch whose predecessors' ranges are not all known yet
//     waits, copied, until they are (observed here, or learnt from other processes through add_ranges); its
//     contribution is computed outside the lock.
// clang-format on
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

    AMCT_DECL void observe(std::size_t index,
                           const float* x,
                           const std::vector<std::size_t>& shape,
                           std::unique_lock<std::mutex>& lock) override;

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

    AMCT_DECL void check_ranges(const std::vector<batch_range>&) const override;

    void add_ranges(const std::vector<batch_range>& ranges, std::unique_lock<std::mutex>&) override
    {
        check_ranges(ranges);
    }

    AMCT_DECL void check_merge(const merge_policy& other) const override;

    AMCT_DECL void merge(const merge_policy& other,
                         std::unique_lock<std::mutex>&,
                         std::unique_lock<std::mutex>& other_lock) override;

    AMCT_DECL any_observer result() const override;

    AMCT_DECL calibration_result compute() const override;

    AMCT_DECL void save(state_writer& w) const override;

    /// Reads what save wrote, for an observer of `taken` batches. @throws state_error.
    AMCT_DECL static std::unique_ptr<merge_policy> load(state_reader& r,
                                                        const std::string& layer,
                                                        const std::set<std::size_t>& taken);

private:
    /// Merges the shards into m_base (the lock held, nothing being observed).
    AMCT_DECL void consolidate() const;

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
AMCT_DECL std::unique_ptr<merge_policy> make_merge_policy(const algorithm_params& params,
                                                          const std::string& layer,
                                                          std::size_t batches);
}  // namespace detail

class indexed_observer
{
public:
    static constexpr const char* state_name = "indexed_observer";
    static constexpr std::uint32_t state_version = 1;

    /// @throws value_error for invalid parameters (naming the layer) or batches = 0; unsupported_error for a
    /// weight algorithm.
    AMCT_DECL indexed_observer(const algorithm_params& params, std::string layer, std::size_t batches);

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

    AMCT_DECL indexed_observer& operator=(indexed_observer&& o) noexcept;

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
    AMCT_DECL void observe(std::size_t index, const float* x, const std::vector<std::size_t>& shape);

    template <class E>
    void observe(std::size_t index, const xt::xexpression<E>& batch)
    {
        const detail::contiguous_data<float> in(batch.derived_cast());
        observe(index, in.data(), in.shape());
    }

    /// Batches observed here (merged ones included), whether applied or waiting.
    AMCT_DECL std::size_t observed() const;

    /// Ordered merge: batches waiting, copied, for the range of an earlier batch.
    AMCT_DECL std::size_t waiting() const;

    /// Ordered merge: the ranges of the batches observed here since the last call, for the other processes;
    /// empty for the other algorithms.
    AMCT_DECL std::vector<batch_range> take_ranges();

    /// @throws value_error as add_ranges(ranges) would; changes nothing.
    AMCT_DECL void check_ranges(const std::vector<batch_range>& ranges) const;

    /// @brief Ordered merge: learns the ranges of batches observed elsewhere; batches waiting for them are
    /// applied. @throws value_error for an algorithm without ordered merge, an index beyond batches(), a
    /// range that is not finite and ordered or differs from the one known here; nothing changes then.
    AMCT_DECL void add_ranges(const std::vector<batch_range>& ranges);

    /// @brief Adds the batches another indexed_observer of the same layer saw (another process's, loaded).
    /// Waits for batches being observed in either. @throws value_error for another algorithm, other
    /// parameters or batch count, a batch observed in both, or conflicting ranges; nothing changes then.
    AMCT_DECL void merge(const indexed_observer& other);

    /// @throws value_error as merge(other) would; changes nothing. Waits for batches being observed in
    /// either.
    AMCT_DECL void check_merge(const indexed_observer& other) const;

    /// @brief The observer that saw every batch in index order. Waits for batches being observed.
    /// @throws value_error unless every batch has been observed.
    AMCT_DECL any_observer result() const;

    /// result().compute(), without copying the observer. @throws value_error as result() and compute() do.
    AMCT_DECL calibration_result compute() const;

    /// The state: the batches observed and the policy's state (the merged observer; for ordered merge the
    /// ranges, segment counts and waiting batches). Waits for batches being observed.
    AMCT_DECL std::string save() const;

    /// @throws state_error for a corrupt, foreign or inconsistent state.
    AMCT_DECL static indexed_observer load(const std::string& bytes);

private:
    indexed_observer(std::unique_ptr<detail::merge_policy> policy, std::string layer, std::size_t batches)
      : m_params(policy->params())
      , m_layer(std::move(layer))
      , m_batches(batches)
      , m_policy(std::move(policy))
    {
    }

    /// The state of the ordered-merge algorithm (the format holds no name: there is one, HFMG).
    AMCT_DECL static std::unique_ptr<detail::merge_policy> load_ordered(state_reader& r,
                                                                        const std::string& layer,
                                                                        std::size_t batches,
                                                                        const std::set<std::size_t>& taken);

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
    AMCT_DECL static std::unique_lock<std::mutex> quiet(const indexed_observer& o);

    AMCT_DECL void finish(std::unique_lock<std::mutex>& lock);

    /// The checks of merge (both locked).
    AMCT_DECL void validate_merge(const indexed_observer& other) const;

    AMCT_DECL void require_complete() const;

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

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/algo/impl/indexed_observer.ipp>
#endif
