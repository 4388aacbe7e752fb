// amct/pipeline/session.hpp: AMCT's quantize_model and calibration (docs/model.md#amcts-flow, steps 2 and 3)
// inside a user's runtime. Made from a model_adapter and a resolved config.json, a calibration_session
//   1. checks the configuration against the model's layers (check_config),
//   2. folds BatchNorm into convolutions when do_fusion (fuse_batch_norm),
//   3. runs ARQ on every quantized layer's weight and writes the fake-quantized weight back to the runtime,
//      so that calibration sees quantized weights and float activations, as AMCT's does,
//   4. gathers each quantized layer's input for batch_num batches: calibrate(runner) runs them through the
//      runtime's model_runner, or the runtime hands them over itself with observe(layer, batch, tensor),
//   5. finalize(): the record, int8 weights, int32 bias, deq_scale and fake-quantized weights per layer.
// observe may be called from several threads at once, with batches in any order: each layer's
// indexed_observer gives the result of one observer fed the batches in index order, bit for bit
// (activation_calibration.hpp). ARQ at set-up and the observers' searches at finalize run layer by layer on
// the executor given to the constructor (executor.hpp; none: the calling thread); results do not depend on
// it. Several processes calibrate one model by sharing out the batch indices: each observes its own, they
// exchange HFMG's batch ranges (take_batch_ranges / add_batch_ranges) and one merges the others' saved
// sessions (merge); amct/pipeline/mpi.hpp does it over MPI.
// A bad batch (NaN or Inf, no data, a shape other than the input_shape the runtime declared for the layer,
// a batch index seen before) is rejected with an error before anything changes; its index stays free for a
// good batch.
#pragma once

#include <cstddef>        // std::size_t
#include <memory>         // std::unique_ptr
#include <numeric>        // std::iota
#include <optional>       // std::optional
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move
#include <vector>         // std::vector

#include <amct/algo/arq.hpp>
#include <amct/algo/indexed_observer.hpp>
#include <amct/algo/registry.hpp>
#include <amct/algo/state_io.hpp>
#include <amct/algo/weight_quantize.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/layer_params.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/format.hpp>
#include <amct/model/graph.hpp>
#include <amct/model/layer_types.hpp>
#include <amct/model/record.hpp>
#include <amct/model/weight_layout.hpp>
#include <amct/pipeline/activation_calibration.hpp>
#include <amct/pipeline/bn_fusion.hpp>
#include <amct/pipeline/deploy.hpp>
#include <amct/pipeline/executor.hpp>
#include <amct/pipeline/quantized_model.hpp>
#include <amct/pipeline/runtime.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief Calibration of one model inside the user's runtime (see the top of this header).
class calibration_session
{
public:
    /// @brief Prepares the model: BN fusion, ARQ, fake-quantized weights written back through `model`, one
    /// observer per quantized layer. `model` must outlive the session; amct calls it from this thread only.
    /// `exec` runs the per-layer work of set-up, finalize, save and merge (e.g. thread_executor(2)).
    /// @throws config_error when `cfg` does not fit the model's layers (JSON paths), value_error naming the
    /// layer for a missing or non-finite weight or bad algorithm parameters, shape_error for a bias or
    /// BatchNorm whose size does not match the weight.
    AMCT_DECL calibration_session(model_adapter& model, quant_config cfg, executor exec = {});

    calibration_session(const calibration_session&) = delete;
    calibration_session& operator=(const calibration_session&) = delete;

    /// Names of the layers whose input the runtime hands to observe(), in graph order.
    const std::vector<std::string>& layers() const noexcept
    {
        return m_acts->layers();
    }

    /// Whether `layer` is calibrated (the runtime's hook can ask this before copying anything).
    bool wants(const std::string& layer) const
    {
        return m_acts->wants(layer);
    }

    /// Batches each layer takes (config.json's batch_num); later batches are ignored, as AMCT does.
    std::size_t batch_num() const noexcept
    {
        return static_cast<std::size_t>(m_cfg.batch_num);
    }

    const quant_config& config() const noexcept
    {
        return m_cfg;
    }

    const fusion_report& fusion() const noexcept
    {
        return m_fusion;
    }

    /// The layers' observers (batches by index, save, merge); see activation_calibration.hpp.
    activation_calibration& activations() noexcept
    {
        return *m_acts;
    }

    /// @brief Runs batches `batches` of `runner` (default: 0 .. batch_num - 1), each observed as the
    /// calibration batch of the same index (indices from batch_num on are ignored, as observe ignores them).
    /// The runtime must hold the model this session prepared. With `exec` (e.g. thread_executor(4)), batches
    /// run concurrently: the runner must allow concurrent runs.
    /// @throws what observe and the runner throw, for the lowest failing batch; every other batch stays
    /// observed.
    AMCT_DECL void calibrate(model_runner& runner,
                             std::vector<std::size_t> batches = {},
                             const executor& exec = {});

    /// @brief Hands amct the input of `layer` in batch `batch` (0-based). Thread-safe.
    /// @return false when batch >= batch_num (ignored), true when taken.
    /// @throws value_error for an unknown layer, a batch index taken before, NaN or Inf (naming the element),
    /// a null pointer; shape_error for a batch without data or not of the layer's declared input_shape.
    /// Nothing changes when it throws.
    bool observe(const std::string& layer,
                 std::size_t batch,
                 const float* x,
                 const std::vector<std::size_t>& shape)
    {
        return m_acts->observe(layer, batch, x, shape);
    }

    template <class E>
    bool observe(const std::string& layer, std::size_t batch, const xt::xexpression<E>& x)
    {
        const detail::contiguous_data<float> in(x.derived_cast());
        return observe(layer, batch, in.data(), in.shape());
    }

    /// Batches of `layer` observed so far (merged ones included; HFMG batches waiting for an earlier batch's
    /// range too).
    std::size_t batches_seen(const std::string& layer) const
    {
        return m_acts->batches_seen(layer);
    }

    /// Whether every layer has all batch_num batches.
    bool complete() const
    {
        return m_acts->complete();
    }

    /// @brief Computes every layer's factors and deployable tensors (layers on the executor). Weight scales
    /// raised for the int32 bias are written back to the runtime as re-fake-quantized weights, and reported
    /// in the notes. No batch may be observed meanwhile.
    /// @throws value_error listing every layer that lacks batches.
    AMCT_DECL quantized_model finalize();

    /// @brief The session's state: the configuration and, for every layer, its ARQ scales and its
    /// indexed_observer's state (batches observed, observer state, HFMG's waiting batches). restore() in a
    /// later process continues from here with the result of an uninterrupted run; merge() in another process
    /// that calibrated other batches adds them. Waits for batches being observed.
    AMCT_DECL std::string save() const;

    /// @brief Continues a saved session. This session must be made from the same model and configuration, and
    /// no other thread may observe while it restores (their batches would be replaced by the saved state).
    /// @throws state_error when the state is corrupt, of another configuration or of other weights (naming
    /// the layer); nothing changes then.
    void restore(const std::string& bytes)
    {
        m_acts->restore(read_state(bytes));
    }

    /// @brief Adds the batches another process calibrated: `bytes` is the save() of a session made there from
    /// the same float model and configuration, which observed other batch indices. Waits for batches being
    /// observed here.
    /// @throws state_error as restore() does; value_error naming the layer and batch for a batch observed in
    /// both, or an HFMG batch range that differs from the one known here. Nothing changes then.
    void merge(const std::string& bytes)
    {
        m_acts->merge(read_state(bytes), m_exec);
    }

    /// @brief For processes that share out the batches: the [min, max] of the HFMG layers' batches observed
    /// here since the last call, which the other processes need to place their own batches (HFMG's running
    /// range depends on every earlier batch). 16 bytes per batch and HFMG layer, checksummed; an empty string
    /// when there is nothing to share.
    std::string take_batch_ranges()
    {
        return m_acts->take_batch_ranges();
    }

    /// @brief Learns another process's take_batch_ranges(); HFMG batches waiting for them are applied.
    /// @throws state_error for corrupt bytes or an unknown layer; value_error naming the layer and batch for
    /// a range that differs from the one known here. Nothing changes then.
    void add_batch_ranges(const std::string& bytes)
    {
        m_acts->add_batch_ranges(bytes);
    }

private:
    static constexpr const char* state_name = "calibration_session";
    static constexpr std::uint32_t state_version = 2;

    /// A quantized layer's weight side; its observer is m_acts's.
    struct slot
    {
        slot(std::string n, std::string t)
          : name(std::move(n))
          , type(std::move(t))
        {
        }

        std::string name;
        std::string type;
        graph_node node;
        arq_params weight_params;               ///< ARQ's parameters
        std::optional<calibration_result> arq;  ///< nullopt: no weight (AvgPool)
        xt::xarray<float> weight;               ///< the float weight after fusion
        std::optional<xt::xarray<float>> bias;  ///< the float bias after fusion, if any
        std::size_t channels = 0;               ///< output channels
    };

    /// What finalize computes for one layer, before the runtime is told.
    struct finalized_layer
    {
        quantized_layer layer;
        std::vector<std::string> notes;
    };

    /// Adds the slot of one layer with copies of its weight and bias (read from the runtime on this thread).
    AMCT_DECL void add_layer(const graph_node& node,
                             const layer_quant_config& lc,
                             const batch_norm_fold* fold);

    /// ARQ on a slot's weight; returns the fake-quantized weight (empty for a layer without weight).
    AMCT_DECL static xt::xarray<float> calibrate_weight(slot& s);

    static std::vector<float> arq_scales(const slot& s)
    {
        return s.arq ? s.arq->scale : std::vector<float>{};
    }

    /// Reads a save() of a session of this model and configuration: one indexed_observer per layer.
    /// @throws state_error naming what does not fit.
    AMCT_DECL std::vector<indexed_observer> read_state(const std::string& bytes) const;

    AMCT_DECL static finalized_layer finalize_layer(const slot& s, const calibration_result& activation);

    model_adapter* m_model;
    quant_config m_cfg;
    executor m_exec;
    fusion_report m_fusion;
    std::vector<std::unique_ptr<slot>> m_slots;  ///< in m_acts's layer order
    std::unique_ptr<activation_calibration> m_acts;
};
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/pipeline/impl/session.ipp>
#endif
