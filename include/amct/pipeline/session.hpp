// amct/pipeline/session.hpp: AMCT's quantize_model and calibration (amct-algorithms.md 1, steps 2 and 3)
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
    calibration_session(model_adapter& model, quant_config cfg, executor exec = {})
      : m_model(&model)
      , m_cfg(std::move(cfg))
      , m_exec(std::move(exec))
    {
        if (m_cfg.batch_num < 1)
        {
            detail::throw_error<value_error>("batch_num = " + std::to_string(m_cfg.batch_num)
                                             + " must be at least 1");
        }
        if (m_cfg.fakequant_precision_mode != fakequant_precision::default_mode)
        {
            detail::throw_error<unsupported_error>(
              "fakequant_precision_mode " + std::string(enum_name(m_cfg.fakequant_precision_mode))
              + ": amct does not round deq_scale to the device's s19 format");
        }
        check_config(m_cfg, quantizable_layers(model));
        // Everything is computed on copies first; the runtime changes only when nothing can fail any more.
        const fusion_plan plan = plan_batch_norm_fusion(model, m_cfg);
        std::unordered_map<std::string, const batch_norm_fold*> fold_of;
        for (const auto& f : plan.folds)
        {
            fold_of.emplace(f.conv, &f);
        }
        std::unordered_map<std::string, const layer_quant_config*> config_of;
        for (const auto& [name, lc] : m_cfg.layers)
        {
            if (lc.quant_enable)
            {
                config_of.emplace(name, &lc);
            }
        }
        std::vector<calibrated_layer> calibrated;
        for (const graph_node& node : model.nodes())
        {
            const auto it = config_of.find(node.name);
            if (it != config_of.end())
            {
                const auto f = fold_of.find(node.name);
                add_layer(node, *it->second, f == fold_of.end() ? nullptr : f->second);
                calibrated.push_back({node.name,
                                      widen<algorithm_params>(resolved_params(
                                        it->second->activation_quant_params, m_cfg.activation_offset)),
                                      node.input_shape});
            }
        }
        m_acts = std::make_unique<activation_calibration>(calibrated, batch_num());
        std::vector<xt::xarray<float>> fake_weights(m_slots.size());
        detail::run_tasks(m_exec,
                          m_slots.size(),
                          [&](std::size_t i)
                          {
                              fake_weights[i] = calibrate_weight(*m_slots[i]);
                          });
        m_fusion = apply_fusion(model, plan);
        for (std::size_t i = 0; i < m_slots.size(); ++i)
        {
            if (m_slots[i]->arq)
            {
                model.set_param(m_slots[i]->name, param_kind::weight, fake_weights[i]);
            }
        }
    }

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
    void calibrate(model_runner& runner, std::vector<std::size_t> batches = {}, const executor& exec = {})
    {
        if (batches.empty())
        {
            batches.resize(batch_num());
            std::iota(batches.begin(), batches.end(), std::size_t{0});
        }
        detail::run_tasks(exec,
                          batches.size(),
                          [&](std::size_t i)
                          {
                              calibration_feed feed({m_acts.get()}, batches[i]);
                              runner.run(batches[i], feed);
                          });
    }

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
    quantized_model finalize()
    {
        m_acts->require_complete();
        // the layers with the most values first (exact IFMR's work grows with them): threads end together
        std::vector<finalized_layer> done(m_slots.size());
        detail::run_tasks(m_exec,
                          m_acts->largest_first(),
                          [&](std::size_t i)
                          {
                              done[i] = finalize_layer(*m_slots[i], m_acts->observer(i).compute());
                          });
        quantized_model out;
        out.notes = m_fusion.warnings;
        for (std::size_t i = 0; i < m_slots.size(); ++i)
        {
            if (done[i].layer.weight_scale_raised())  // for the int32 bias: the runtime needs the new weight
            {
                m_model->set_param(m_slots[i]->name, param_kind::weight, done[i].layer.weight_fake);
            }
            out.notes.insert(out.notes.end(), done[i].notes.begin(), done[i].notes.end());
            out.layers.push_back(std::move(done[i].layer));
            out.record.layers.emplace_back(m_slots[i]->name, record_of(out.layers.back()));
        }
        return out;
    }

    /// @brief The session's state: the configuration and, for every layer, its ARQ scales and its
    /// indexed_observer's state (batches observed, observer state, HFMG's waiting batches). restore() in a
    /// later process continues from here with the result of an uninterrupted run; merge() in another process
    /// that calibrated other batches adds them. Waits for batches being observed.
    std::string save() const
    {
        const std::vector<std::string> observers = m_acts->save(m_exec);
        state_writer w;
        w.str(write_config_json(m_cfg));
        w.u64(m_slots.size());
        for (std::size_t i = 0; i < m_slots.size(); ++i)
        {
            w.str(m_slots[i]->name);
            w.f32s(arq_scales(*m_slots[i]));
            w.str(observers[i]);
        }
        return w.finish(state_name, state_version);
    }

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
    void add_layer(const graph_node& node, const layer_quant_config& lc, const batch_norm_fold* fold)
    {
        auto s = std::make_unique<slot>(node.name, node.type);
        s->node = node;
        if (arq_rule(node.type, node.trans_b).has_weight)
        {
            const std::string who = "layer \"" + node.name + "\" (" + node.type + ")";
            auto weight = fold ? std::optional<xt::xarray<float>>(fold->weight)
                               : detail::param_copy(*m_model, node.name, param_kind::weight);
            if (!weight)
            {
                detail::throw_error<value_error>(who + ": the runtime gives no weight");
            }
            s->weight = std::move(*weight);
            const std::vector<std::size_t> shape(s->weight.shape().begin(), s->weight.shape().end());
            s->channels = make_layout_view(shape, layout_of(node), node.groups, who).channels();
            s->weight_params = std::get<arq_params>(resolved_params(lc.weight_quant_params, node.type));
            auto bias = fold ? std::optional<xt::xarray<float>>(fold->bias)
                             : detail::param_copy(*m_model, node.name, param_kind::bias);
            if (bias && bias->size() != s->channels)
            {
                detail::throw_error<shape_error>(who + ": bias of " + std::to_string(bias->size())
                                                 + " elements for " + std::to_string(s->channels)
                                                 + " output channels");
            }
            s->bias = std::move(bias);
            s->arq.emplace();  // computed by calibrate_weight
        }
        m_slots.push_back(std::move(s));
    }

    /// ARQ on a slot's weight; returns the fake-quantized weight (empty for a layer without weight).
    static xt::xarray<float> calibrate_weight(slot& s)
    {
        if (!s.arq)
        {
            return {};
        }
        const weight_layout layout = layout_of(s.node);
        s.arq = arq(s.weight, s.weight_params, layout, s.node.groups, s.name);
        return fake_quantize_weight(s.weight, *s.arq, layout, s.node.groups);
    }

    static std::vector<float> arq_scales(const slot& s)
    {
        return s.arq ? s.arq->scale : std::vector<float>{};
    }

    /// Reads a save() of a session of this model and configuration: one indexed_observer per layer.
    /// @throws state_error naming what does not fit.
    std::vector<indexed_observer> read_state(const std::string& bytes) const
    {
        state_reader r(bytes, state_name, state_version);
        if (r.str() != write_config_json(m_cfg))
        {
            state_reader::fail("the saved session was made with another configuration");
        }
        const std::size_t n = r.count(1);
        if (n != m_slots.size())
        {
            state_reader::fail("the saved session has " + std::to_string(n) + " layers, this one "
                               + std::to_string(m_slots.size()));
        }
        std::vector<indexed_observer> all;
        for (std::size_t i = 0; i < m_slots.size(); ++i)
        {
            const slot* s = m_slots[i].get();
            const std::string name = r.str();
            if (name != s->name)
            {
                state_reader::fail("the saved session has layer \"" + name + "\" where this one has \""
                                   + s->name + "\"");
            }
            if (r.f32s() != arq_scales(*s))
            {
                state_reader::fail(
                  "layer \"" + name
                  + "\": its weight scales differ from the saved session's (another model?)");
            }
            all.push_back(m_acts->load(i, r.str()));
        }
        r.done();
        return all;
    }

    static finalized_layer finalize_layer(const slot& s, const calibration_result& activation)
    {
        finalized_layer out;
        quantized_layer& q = out.layer;
        q.name = s.name;
        q.type = s.type;
        q.arq = s.arq;
        q.weight_float = s.weight;
        q.bias_float = s.bias;
        q.layout = layout_of(s.node);
        q.groups = s.node.groups;
        q.channels = s.channels;
        set_activation(q, activation, out.notes);
        return out;
    }

    model_adapter* m_model;
    quant_config m_cfg;
    executor m_exec;
    fusion_report m_fusion;
    std::vector<std::unique_ptr<slot>> m_slots;  ///< in m_acts's layer order
    std::unique_ptr<activation_calibration> m_acts;
};
}  // namespace AMCT_ABI
}  // namespace amct
