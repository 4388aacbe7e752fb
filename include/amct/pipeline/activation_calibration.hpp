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
    AMCT_DECL activation_calibration(const std::vector<calibrated_layer>& layers, std::size_t batches);

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
    AMCT_DECL bool observe(const std::string& layer,
                           std::size_t batch,
                           const float* x,
                           const std::vector<std::size_t>& shape);

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
    AMCT_DECL void require_complete() const;

    /// The observer of layer i (in layers() order).
    const indexed_observer& observer(std::size_t i) const noexcept
    {
        return m_slots[i]->observer;
    }

    /// The layers' indices, those with the most values observed first (their searches take longest).
    AMCT_DECL std::vector<std::size_t> largest_first() const;

    /// Every layer's result (on `exec`, layers largest first). @throws value_error as require_complete.
    AMCT_DECL std::vector<calibration_result> compute(const executor& exec = {}) const;

    /// Every layer's indexed_observer state, in layers() order (on `exec`).
    AMCT_DECL std::vector<std::string> save(const executor& exec = {}) const;

    /// @brief Loads the state of layer i's observer, checking it fits. @throws state_error.
    AMCT_DECL indexed_observer load(std::size_t i, const std::string& bytes) const;

    /// Replaces every observer with `loaded` (load()'s, in layers() order). No batch may be observed
    /// meanwhile.
    AMCT_DECL void restore(std::vector<indexed_observer> loaded);

    /// @brief Adds another process's observers (load()'s, in layers() order). @throws value_error as
    /// indexed_observer::merge; nothing changes then.
    AMCT_DECL void merge(const std::vector<indexed_observer>& other, const executor& exec = {});

    /// @brief For processes that share out the batches: the [min, max] of the ordered-merge layers' batches
    /// observed here since the last call, which the other processes need to place their own batches. 16 bytes
    /// per batch and layer, checksummed; an empty string when there is nothing to share.
    AMCT_DECL std::string take_batch_ranges();

    /// @brief Learns another process's take_batch_ranges(); batches waiting for them are applied.
    /// @throws state_error for corrupt bytes or an unknown layer; value_error naming the layer and batch for
    /// a range that differs from the one known here. Nothing changes then.
    AMCT_DECL void add_batch_ranges(const std::string& bytes);

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

    AMCT_DECL slot& find(const std::string& layer);

    /// A batch without data or not of the layer's declared input_shape: shape_error, nothing changed. (Its
    /// values are the observer's to check, in its own pass over the data.)
    AMCT_DECL static void check_shape(const slot& s,
                                      const std::vector<std::size_t>& shape,
                                      const std::string& layer,
                                      std::size_t batch);

    /// "\"conv1\" has 2, \"fc\" has 0": the layers lacking batches.
    AMCT_DECL std::string missing() const;

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

    AMCT_DECL bool wants_input(const std::string& layer) const override;

    AMCT_DECL void input(const std::string& layer,
                         float* data,
                         const std::vector<std::size_t>& shape) override;

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

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/pipeline/impl/activation_calibration.ipp>
#endif
