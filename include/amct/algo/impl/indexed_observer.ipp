// amct/algo/impl/indexed_observer.ipp: the definitions of <amct/algo/indexed_observer.hpp> (header-only:
// included by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/algo/indexed_observer.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL void exact_merge_policy::observe(std::size_t index,
                                           const float* x,
                                           const std::vector<std::size_t>& shape,
                                           std::unique_lock<std::mutex>& lock)
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

AMCT_DECL void exact_merge_policy::check_ranges(const std::vector<batch_range>&) const
{
    detail::throw_error<value_error>("layer \"" + m_layer + "\": " + std::string(m_base.algorithm())
                                     + " does not take batch ranges");
}

AMCT_DECL void exact_merge_policy::check_merge(const merge_policy& other) const
{
    const auto& o = static_cast<const exact_merge_policy&>(other);
    any_observer probe(m_params, m_layer);  // empty: merging it checks the parameters alone
    probe.merge(any_observer(o.m_params, m_layer));
}

AMCT_DECL void exact_merge_policy::merge(const merge_policy& other,
                                         std::unique_lock<std::mutex>&,
                                         std::unique_lock<std::mutex>& other_lock)
{
    const auto& o = static_cast<const exact_merge_policy&>(other);
    consolidate();
    o.consolidate();
    m_base.merge(o.m_base);
    other_lock.unlock();
}

AMCT_DECL any_observer exact_merge_policy::result() const
{
    consolidate();
    return m_base;
}

AMCT_DECL calibration_result exact_merge_policy::compute() const
{
    consolidate();
    return m_base.compute();
}

AMCT_DECL void exact_merge_policy::save(state_writer& w) const
{
    consolidate();
    w.str(m_base.save());
}

AMCT_DECL std::unique_ptr<merge_policy> exact_merge_policy::load(state_reader& r,
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

AMCT_DECL void exact_merge_policy::consolidate() const
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

AMCT_DECL std::unique_ptr<merge_policy> make_merge_policy(const algorithm_params& params,
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
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL indexed_observer::indexed_observer(const algorithm_params& params,
                                             std::string layer,
                                             std::size_t batches)
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

AMCT_DECL indexed_observer& indexed_observer::operator=(indexed_observer&& o) noexcept
{
    m_params = std::move(o.m_params);
    m_layer = std::move(o.m_layer);
    m_batches = o.m_batches;
    m_policy = std::move(o.m_policy);
    m_taken = std::move(o.m_taken);
    m_done = o.m_done;
    return *this;
}

AMCT_DECL void indexed_observer::observe(std::size_t index,
                                         const float* x,
                                         const std::vector<std::size_t>& shape)
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

AMCT_DECL std::size_t indexed_observer::observed() const
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    return m_done;
}

AMCT_DECL std::size_t indexed_observer::waiting() const
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    return m_policy->waiting();
}

AMCT_DECL std::vector<batch_range> indexed_observer::take_ranges()
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    return m_policy->take_ranges();
}

AMCT_DECL void indexed_observer::check_ranges(const std::vector<batch_range>& ranges) const
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_policy->check_ranges(ranges);
}

AMCT_DECL void indexed_observer::add_ranges(const std::vector<batch_range>& ranges)
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

AMCT_DECL void indexed_observer::merge(const indexed_observer& other)
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

AMCT_DECL void indexed_observer::check_merge(const indexed_observer& other) const
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

AMCT_DECL any_observer indexed_observer::result() const
{
    const std::unique_lock<std::mutex> lock = quiet(*this);
    require_complete();
    return m_policy->result();
}

AMCT_DECL calibration_result indexed_observer::compute() const
{
    const std::unique_lock<std::mutex> lock = quiet(*this);
    require_complete();
    return m_policy->compute();
}

AMCT_DECL std::string indexed_observer::save() const
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

AMCT_DECL indexed_observer indexed_observer::load(const std::string& bytes)
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

AMCT_DECL std::unique_ptr<detail::merge_policy> indexed_observer::load_ordered(
  state_reader& r,
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

AMCT_DECL std::unique_lock<std::mutex> indexed_observer::quiet(const indexed_observer& o)
{
    std::unique_lock<std::mutex> lock(o.m_mutex);
    o.m_idle.wait(lock,
                  [&]
                  {
                      return o.m_busy == 0;
                  });
    return lock;
}

AMCT_DECL void indexed_observer::finish(std::unique_lock<std::mutex>& lock)
{
    if (--m_busy == 0)
    {
        lock.unlock();
        m_idle.notify_all();
    }
}

AMCT_DECL void indexed_observer::validate_merge(const indexed_observer& other) const
{
    if (other.algorithm() != algorithm() || other.m_batches != m_batches)
    {
        detail::throw_error<value_error>(where() + ": cannot merge " + std::string(other.algorithm())
                                         + " over " + std::to_string(other.m_batches) + " batches into "
                                         + std::string(algorithm()) + " over " + std::to_string(m_batches));
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

AMCT_DECL void indexed_observer::require_complete() const
{
    if (m_done != m_batches)
    {
        detail::throw_error<value_error>(where() + " has " + std::to_string(m_done) + " of "
                                         + std::to_string(m_batches) + " batches");
    }
}
}  // namespace AMCT_ABI
}  // namespace amct
