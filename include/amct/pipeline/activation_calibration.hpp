// amct/pipeline/activation_calibration.hpp: the activation side of calibration: one indexed_observer per
// layer, fed by batch index from any thread, from a runtime's runs (calibrate, through layer_hook) or from
// other processes (merge, batch ranges). calibration_session holds one; the tuners' method searches hold one
// per candidate and feed them all in one pass (analysis/candidates.hpp).
#pragma once

#include <atomic>         // std::atomic
#include <cstddef>        // std::size_t
#include <memory>         // std::unique_ptr, std::make_unique
#include <numeric>        // std::iota
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move, std::pair
#include <vector>         // std::vector

#include <amct/algo/indexed_observer.hpp>
#include <amct/algo/registry.hpp>
#include <amct/algo/state_io.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/format.hpp>
#include <amct/pipeline/executor.hpp>
#include <amct/pipeline/runtime.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// One layer to calibrate: its name, its observer's parameters and, optionally, the shape every batch must
/// have (0 for a dimension of any size; empty: any shape).
struct calibrated_layer
{
    std::string name;
    algorithm_params params;
    std::vector<std::size_t> input_shape;
};

class activation_calibration
{
public:
    /// @throws value_error naming the layer for invalid parameters, or for batches = 0.
    activation_calibration(const std::vector<calibrated_layer>& layers, std::size_t batches)
      : m_batches(batches)
    {
        for (const auto& l : layers)
        {
            m_index.emplace(l.name, m_slots.size());
            m_names.push_back(l.name);
            m_slots.push_back(std::make_unique<slot>(l, batches));
        }
    }

    activation_calibration(const activation_calibration&) = delete;
    activation_calibration& operator=(const activation_calibration&) = delete;

    /// The layers, in the order given.
    const std::vector<std::string>& layers() const noexcept
    {
        return m_names;
    }

    /// Whether `layer` is calibrated (a runtime's hook can ask this before copying anything).
    bool wants(const std::string& layer) const
    {
        return m_index.count(layer) != 0;
    }

    /// Batches each layer takes.
    std::size_t batch_num() const noexcept
    {
        return m_batches;
    }

    /// @brief Hands amct the input of `layer` in batch `batch` (0-based). Thread-safe.
    /// @return false when batch >= batch_num() (ignored, as AMCT ignores batches after batch_num), true when
    /// taken.
    /// @throws value_error for an unknown layer, a batch index taken before, NaN or Inf (naming the element),
    /// a null pointer; shape_error for a batch without data or not of the layer's input_shape. Nothing
    /// changes when it throws.
    bool observe(const std::string& layer,
                 std::size_t batch,
                 const float* x,
                 const std::vector<std::size_t>& shape)
    {
        slot& s = find(layer);
        if (batch >= m_batches)
        {
            return false;
        }
        check_shape(s, shape, layer, batch);
        s.observer.observe(batch, x, shape);
        s.values += detail::element_count(shape);
        return true;
    }

    template <class E>
    bool observe(const std::string& layer, std::size_t batch, const xt::xexpression<E>& x)
    {
        const detail::contiguous_data<float> in(x.derived_cast());
        return observe(layer, batch, in.data(), in.shape());
    }

    /// Batches of `layer` observed so far (merged ones and ordered-merge batches waiting included).
    std::size_t batches_seen(const std::string& layer) const
    {
        return const_cast<activation_calibration*>(this)->find(layer).observer.observed();
    }

    /// Whether every layer has all batch_num() batches.
    bool complete() const
    {
        return missing().empty();
    }

    /// @throws value_error listing every layer that lacks batches.
    void require_complete() const
    {
        const std::string m = missing();
        if (!m.empty())
        {
            detail::throw_error<value_error>("calibration is incomplete (" + std::to_string(m_batches)
                                             + " batches per layer): " + m);
        }
    }

    /// The observer of layer i (in layers() order).
    const indexed_observer& observer(std::size_t i) const noexcept
    {
        return m_slots[i]->observer;
    }

    /// The layers' indices, those with the most values observed first (their searches take longest).
    std::vector<std::size_t> largest_first() const
    {
        std::vector<std::size_t> order(m_slots.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(),
                         order.end(),
                         [&](std::size_t a, std::size_t b)
                         {
                             return m_slots[a]->values > m_slots[b]->values;
                         });
        return order;
    }

    /// Every layer's result (on `exec`, layers largest first). @throws value_error as require_complete.
    std::vector<calibration_result> compute(const executor& exec = {}) const
    {
        require_complete();
        std::vector<calibration_result> out(m_slots.size());
        detail::run_tasks(exec,
                          largest_first(),
                          [&](std::size_t i)
                          {
                              out[i] = m_slots[i]->observer.compute();
                          });
        return out;
    }

    /// Every layer's indexed_observer state, in layers() order (on `exec`).
    std::vector<std::string> save(const executor& exec = {}) const
    {
        std::vector<std::string> out(m_slots.size());
        detail::run_tasks(exec,
                          m_slots.size(),
                          [&](std::size_t i)
                          {
                              out[i] = m_slots[i]->observer.save();
                          });
        return out;
    }

    /// @brief Loads the state of layer i's observer, checking it fits. @throws state_error.
    indexed_observer load(std::size_t i, const std::string& bytes) const
    {
        const slot& s = *m_slots[i];
        indexed_observer obs = indexed_observer::load(bytes);
        if (obs.layer() != s.observer.layer() || obs.algorithm() != s.observer.algorithm()
            || obs.batches() != m_batches)
        {
            state_reader::fail("layer \"" + s.observer.layer() + "\": inconsistent observer state");
        }
        return obs;
    }

    /// Replaces every observer with `loaded` (load()'s, in layers() order). No batch may be observed
    /// meanwhile.
    void restore(std::vector<indexed_observer> loaded)
    {
        for (std::size_t i = 0; i < m_slots.size(); ++i)
        {
            m_slots[i]->observer = std::move(loaded[i]);
        }
    }

    /// @brief Adds another process's observers (load()'s, in layers() order). @throws value_error as
    /// indexed_observer::merge; nothing changes then.
    void merge(const std::vector<indexed_observer>& other, const executor& exec = {})
    {
        for (std::size_t i = 0; i < m_slots.size(); ++i)
        {
            m_slots[i]->observer.check_merge(other[i]);
        }
        detail::run_tasks(exec,
                          m_slots.size(),
                          [&](std::size_t i)
                          {
                              m_slots[i]->observer.merge(other[i]);
                          });
    }

    /// @brief For processes that share out the batches: the [min, max] of the ordered-merge layers' batches
    /// observed here since the last call, which the other processes need to place their own batches. 16 bytes
    /// per batch and layer, checksummed; an empty string when there is nothing to share.
    std::string take_batch_ranges()
    {
        std::vector<std::pair<const slot*, std::vector<batch_range>>> found;
        for (const auto& s : m_slots)
        {
            std::vector<batch_range> r = s->observer.take_ranges();
            if (!r.empty())
            {
                found.emplace_back(s.get(), std::move(r));
            }
        }
        if (found.empty())
        {
            return {};
        }
        state_writer w;
        w.u64(found.size());
        for (const auto& [s, ranges] : found)
        {
            w.str(s->observer.layer());
            w.u64(ranges.size());
            for (const batch_range& r : ranges)
            {
                w.u64(r.index);
                w.f32(r.min);
                w.f32(r.max);
            }
        }
        return w.finish(ranges_name, ranges_version);
    }

    /// @brief Learns another process's take_batch_ranges(); batches waiting for them are applied.
    /// @throws state_error for corrupt bytes or an unknown layer; value_error naming the layer and batch for
    /// a range that differs from the one known here. Nothing changes then.
    void add_batch_ranges(const std::string& bytes)
    {
        if (bytes.empty())
        {
            return;
        }
        state_reader r(bytes, ranges_name, ranges_version);
        std::vector<std::pair<slot*, std::vector<batch_range>>> found;
        for (std::size_t n = r.count(16); n > 0; --n)
        {
            const std::string name = r.str();
            const auto it = m_index.find(name);
            if (it == m_index.end())
            {
                state_reader::fail("batch ranges of layer \"" + name
                                   + "\", which this session does not calibrate");
            }
            std::vector<batch_range> ranges(r.count(16));
            for (auto& b : ranges)
            {
                b.index = static_cast<std::size_t>(r.u64());
                b.min = r.f32();
                b.max = r.f32();
            }
            found.emplace_back(m_slots[it->second].get(), std::move(ranges));
        }
        r.done();
        for (const auto& [s, ranges] : found)
        {
            s->observer.check_ranges(ranges);
        }
        for (const auto& [s, ranges] : found)
        {
            s->observer.add_ranges(ranges);
        }
    }

private:
    static constexpr const char* ranges_name = "batch_ranges";
    static constexpr std::uint32_t ranges_version = 2;

    struct slot
    {
        slot(const calibrated_layer& l, std::size_t batches)
          : input_shape(l.input_shape)
          , observer(l.params, l.name, batches)
        {
        }

        std::vector<std::size_t> input_shape;
        indexed_observer observer;
        std::atomic<std::size_t> values{0};  ///< observed here: a measure of the search's work
    };

    slot& find(const std::string& layer)
    {
        const auto it = m_index.find(layer);
        if (it == m_index.end())
        {
            detail::throw_error<value_error>("layer \"" + layer + "\" is not calibrated in this session");
        }
        return *m_slots[it->second];
    }

    /// A batch without data or not of the layer's declared input_shape: shape_error, nothing changed. (Its
    /// values are the observer's to check, in its own pass over the data.)
    static void check_shape(const slot& s,
                            const std::vector<std::size_t>& shape,
                            const std::string& layer,
                            std::size_t batch)
    {
        const std::vector<std::size_t>& want = s.input_shape;
        bool same = want.empty() || want.size() == shape.size();
        for (std::size_t d = 0; same && !want.empty() && d < want.size(); ++d)
        {
            same = want[d] == 0 || want[d] == shape[d];
        }
        if (shape.empty() || detail::element_count(shape) == 0 || !same)
        {
            detail::throw_error<shape_error>(
              "layer \"" + layer + "\", batch " + std::to_string(batch) + ": shape "
              + detail::shape_string(shape)
              + (same ? " holds no data" : " is not the layer's input shape " + detail::shape_string(want))
              + "; the batch was not observed");
        }
    }

    /// "\"conv1\" has 2, \"fc\" has 0": the layers lacking batches.
    std::string missing() const
    {
        std::string m;
        for (const auto& s : m_slots)
        {
            const std::size_t seen = s->observer.observed();
            if (seen < m_batches)
            {
                m +=
                  (m.empty() ? "" : ", ") + ("\"" + s->observer.layer() + "\" has " + std::to_string(seen));
            }
        }
        return m;
    }

    std::size_t m_batches;
    std::vector<std::unique_ptr<slot>> m_slots;
    std::unordered_map<std::string, std::size_t> m_index;
    std::vector<std::string> m_names;
};

/// Hands the inputs of one run to calibrations, as their batch `batch`.
class calibration_feed : public layer_hook
{
public:
    calibration_feed(std::vector<activation_calibration*> calibrations, std::size_t batch)
      : m_calibrations(std::move(calibrations))
      , m_batch(batch)
    {
    }

    bool wants_input(const std::string& layer) const override
    {
        for (const auto* c : m_calibrations)
        {
            if (c->wants(layer))
            {
                return true;
            }
        }
        return false;
    }

    void input(const std::string& layer, float* data, const std::vector<std::size_t>& shape) override
    {
        for (auto* c : m_calibrations)
        {
            if (c->wants(layer))
            {
                c->observe(layer, m_batch, data, shape);
            }
        }
    }

private:
    std::vector<activation_calibration*> m_calibrations;
    std::size_t m_batch;
};

/// @brief Calibration batch i of every calibration is run(batches[i], hook): `run` runs one batch of the
/// runtime with the hook (model_runner::run, or a simulator's run under a plan). With `exec`, batches run
/// concurrently on it (`run` must allow that). Every batch is tried; the error of the lowest failing batch is
/// rethrown, and the others stay observed.
template <class Run>
inline void feed_batches(const std::vector<std::size_t>& batches,
                         const std::vector<activation_calibration*>& calibrations,
                         Run&& run,
                         const executor& exec = {})
{
    detail::run_tasks(exec,
                      batches.size(),
                      [&](std::size_t i)
                      {
                          calibration_feed feed(calibrations, i);
                          run(batches[i], feed);
                      });
}
}  // namespace AMCT_ABI
}  // namespace amct
