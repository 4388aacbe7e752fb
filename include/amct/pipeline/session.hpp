// amct/pipeline/session.hpp: AMCT's quantize_model and calibration (amct-algorithms.md 1, steps 2 and 3)
// inside a user's runtime. Made from a model_adapter and a resolved config.json, a calibration_session
//   1. checks the configuration against the model's layers (check_config),
//   2. folds BatchNorm into convolutions when do_fusion (fuse_batch_norm),
//   3. runs ARQ on every quantized layer's weight and writes the fake-quantized weight back to the runtime,
//      so that calibration sees quantized weights and float activations, as AMCT's does,
//   4. gathers each quantized layer's input through observe(layer, batch, tensor) for batch_num batches,
//   5. finalize(): the record, int8 weights, int32 bias, deq_scale and fake-quantized weights per layer.
// observe may be called from several threads at once. Each layer applies its batches in batch order (a
// batch that arrives early waits, copied), so the result is the single-thread result whatever the timing.
// A bad batch (NaN or Inf, no data, a shape other than the input_shape the runtime declared for the layer,
// a batch index seen before) is rejected with an error before anything changes; its index stays free for a
// good batch. A batch that waits for its turn is held as a copy (as many as the threads run ahead).
#pragma once

#include <algorithm>      // std::equal
#include <cmath>          // std::isnan
#include <cstddef>        // std::size_t
#include <map>            // std::map
#include <memory>         // std::unique_ptr
#include <mutex>          // std::mutex, std::lock_guard
#include <optional>       // std::optional
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move
#include <vector>         // std::vector

#include <amct/algo/arq.hpp>
#include <amct/algo/registry.hpp>
#include <amct/algo/state_io.hpp>
#include <amct/config.hpp>
#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/error.hpp>
#include <amct/pipeline/adapter.hpp>
#include <amct/pipeline/bn_fusion.hpp>
#include <amct/pipeline/deploy.hpp>
#include <amct/pipeline/layer_params.hpp>
#include <amct/pipeline/record.hpp>
#include <amct/simd/finite_kernel.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Everything calibration decided for one layer, ready to deploy or simulate.
struct quantized_layer
{
    std::string name;
    std::string type;
    calibration_result activation;       ///< scale_d / offset_d (one entry) and the clip range
    calibration_result weights;          ///< ARQ's scale_w per channel after any int32-bias floor; empty for
                                         ///< layers without weight (AvgPool)
    xt::xarray<std::int8_t> weight_int;  ///< in the weight's own layout
    xt::xarray<float> weight_fake;       ///< (weight_int - 0) * scale_w: what simulation runs with
    std::vector<std::int32_t> bias_int;  ///< per output channel; empty without bias
    std::vector<float> deq_scale;        ///< scale_d * scale_w[c] per output channel
};

/// The outcome of calibration.
struct quantized_model
{
    quant_record record;                  ///< AMCT's record.txt content, layers in graph order
    std::vector<quantized_layer> layers;  ///< same order
    std::vector<std::string> notes;       ///< weight scales raised for the int32 bias, BN folds skipped

    /// The layer called `name`, or nullptr.
    const quantized_layer* find(const std::string& name) const
    {
        for (const auto& l : layers)
        {
            if (l.name == name)
            {
                return &l;
            }
        }
        return nullptr;
    }
};

/// @brief Calibration of one model inside the user's runtime (see the top of this header).
class calibration_session
{
public:
    /// @brief Prepares the model: BN fusion, ARQ, fake-quantized weights written back through `model`, one
    /// observer per quantized layer. `model` must outlive the session.
    /// @throws config_error when `cfg` does not fit the model's layers (JSON paths), value_error naming the
    /// layer for a missing or non-finite weight or bad algorithm parameters, shape_error for a bias or
    /// BatchNorm whose size does not match the weight.
    calibration_session(model_adapter& model, quant_config cfg)
      : m_model(&model)
      , m_cfg(std::move(cfg))
    {
        if (m_cfg.batch_num < 1)
        {
            detail::throw_error<value_error>("batch_num = " + std::to_string(m_cfg.batch_num)
                                             + " must be at least 1");
        }
        if (m_cfg.fakequant_precision_mode != "DEFAULT")
        {
            detail::throw_error<unsupported_error>(
              "fakequant_precision_mode " + m_cfg.fakequant_precision_mode
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
        std::vector<xt::xarray<float>> fake_weights;
        for (const graph_node& node : model.nodes())
        {
            const auto it = config_of.find(node.name);
            if (it != config_of.end())
            {
                const auto f = fold_of.find(node.name);
                fake_weights.push_back(
                  add_layer(node, *it->second, f == fold_of.end() ? nullptr : f->second));
            }
        }
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
        return m_names;
    }

    /// Whether `layer` is calibrated (the runtime's hook can ask this before copying anything).
    bool wants(const std::string& layer) const
    {
        return m_index.count(layer) != 0;
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
        slot& s = find_slot(layer);
        if (batch >= batch_num())
        {
            return false;
        }
        const std::lock_guard<std::mutex> lock(s.mutex);
        const std::string where = "layer \"" + layer + "\", batch " + std::to_string(batch);
        if (batch < s.next || s.pending.count(batch))
        {
            detail::throw_error<value_error>(where + ": this batch was observed before");
        }
        const bool in_turn = batch == s.next;
        const std::size_t n = check_batch(s, x, shape, where, !in_turn);
        if (!in_turn)
        {
            s.pending.emplace(batch, pending_batch{shape, std::vector<float>(x, x + n)});
        }
        else
        {
            try
            {
                s.observer.observe(x, shape);  // its own pass rejects NaN and Inf, leaving it unchanged
            }
            catch (const value_error&)
            {
                check_values(x, n, where);  // the session's message for a non-finite element
                throw;
            }
            ++s.next;
        }
        drain(s);
        return true;
    }

    template <class E>
    bool observe(const std::string& layer, std::size_t batch, const xt::xexpression<E>& x)
    {
        const detail::contiguous_data<float> in(x.derived_cast());
        return observe(layer, batch, in.data(), in.shape());
    }

    /// Batches applied to `layer` so far (in order; early batches waiting are not counted).
    std::size_t batches_seen(const std::string& layer) const
    {
        const slot& s = const_cast<calibration_session*>(this)->find_slot(layer);
        const std::lock_guard<std::mutex> lock(s.mutex);
        return s.next;
    }

    /// Whether every layer has all batch_num batches.
    bool complete() const
    {
        for (const auto& s : m_slots)
        {
            const std::lock_guard<std::mutex> lock(s->mutex);
            if (s->next < batch_num())
            {
                return false;
            }
        }
        return true;
    }

    /// @brief Computes every layer's factors and deployable tensors. Weight scales raised for the int32 bias
    /// are written back to the runtime as re-fake-quantized weights, and reported in the notes.
    /// @throws value_error listing every layer that lacks batches.
    quantized_model finalize()
    {
        const auto locks = lock_all();
        std::string missing;
        for (const auto& s : m_slots)
        {
            if (s->next < batch_num())
            {
                missing +=
                  (missing.empty() ? "" : ", ") + ("\"" + s->name + "\" has " + std::to_string(s->next));
            }
        }
        if (!missing.empty())
        {
            detail::throw_error<value_error>("calibration is incomplete (" + std::to_string(batch_num())
                                             + " batches per layer): " + missing);
        }
        quantized_model out;
        out.notes = m_fusion.warnings;
        for (const auto& s : m_slots)
        {
            out.layers.push_back(finalize_layer(*s, out.notes));
            out.record.layers.emplace_back(s->name, record_of(*s, out.layers.back()));
        }
        return out;
    }

    /// @brief The session's state: for every layer its ARQ scales, observer state and waiting batches, with
    /// the configuration; restore() in a later process continues from here with the result of an
    /// uninterrupted run.
    std::string save() const
    {
        const auto locks = lock_all();
        state_writer w;
        w.str(write_config_json(m_cfg));
        w.u64(m_slots.size());
        for (const auto& s : m_slots)
        {
            w.str(s->name);
            w.f32s(s->arq ? s->arq->scale : std::vector<float>{});
            w.u64(s->next);
            w.str(s->observer.save());
            w.u64(s->pending.size());
            for (const auto& [index, b] : s->pending)
            {
                w.u64(index);
                write_shape(w, b.shape);
                w.f32s(b.data);
            }
        }
        return w.finish(state_name, state_version);
    }

    /// @brief Continues a saved session. This session must be made from the same model and configuration, and
    /// no other thread may observe while it restores (their batches would be replaced by the saved state).
    /// @throws state_error when the state is corrupt, of another configuration or of other weights (naming
    /// the layer); nothing changes then.
    void restore(const std::string& bytes)
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

        struct loaded
        {
            std::size_t next;
            any_observer observer;
            std::map<std::size_t, pending_batch> pending;
        };

        std::vector<loaded> all;
        for (const auto& s : m_slots)
        {
            const std::string name = r.str();
            if (name != s->name)
            {
                state_reader::fail("the saved session has layer \"" + name + "\" where this one has \""
                                   + s->name + "\"");
            }
            if (r.f32s() != (s->arq ? s->arq->scale : std::vector<float>{}))
            {
                state_reader::fail(
                  "layer \"" + name
                  + "\": its weight scales differ from the saved session's (another model?)");
            }
            const std::size_t next = static_cast<std::size_t>(r.u64());
            any_observer obs = any_observer::load(r.str());
            if (obs.layer() != name || obs.algorithm() != s->observer.algorithm() || obs.batches() != next
                || next > batch_num())
            {
                state_reader::fail("layer \"" + name + "\": inconsistent observer state");
            }
            std::map<std::size_t, pending_batch> pending;
            for (std::size_t k = r.count(8); k > 0; --k)
            {
                const std::size_t index = static_cast<std::size_t>(r.u64());
                pending_batch b{read_shape(r), r.f32s()};
                if (index <= next || index >= batch_num() || detail::element_count(b.shape) != b.data.size())
                {
                    state_reader::fail("layer \"" + name + "\": inconsistent waiting batch");
                }
                try
                {
                    check_batch(
                      *s, b.data.data(), b.shape, "layer \"" + name + "\", batch " + std::to_string(index));
                }
                catch (const error& e)
                {
                    state_reader::fail(std::string("waiting batch: ") + e.what());
                }
                pending.emplace(index, std::move(b));
            }
            all.push_back({next, std::move(obs), std::move(pending)});
        }
        r.done();
        const auto locks = lock_all();
        for (std::size_t i = 0; i < m_slots.size(); ++i)
        {
            slot& s = *m_slots[i];
            s.next = all[i].next;
            s.observer = std::move(all[i].observer);
            s.pending = std::move(all[i].pending);
        }
    }

private:
    static constexpr const char* state_name = "calibration_session";
    static constexpr std::uint32_t state_version = 1;

    struct pending_batch
    {
        std::vector<std::size_t> shape;
        std::vector<float> data;
    };

    struct slot
    {
        slot(std::string n, std::string t, any_observer o)
          : name(std::move(n))
          , type(std::move(t))
          , observer(std::move(o))
        {
        }

        std::string name;
        std::string type;
        graph_node node;
        int act_bits = 8;
        std::optional<calibration_result> arq;  ///< nullopt: no weight (AvgPool)
        xt::xarray<float> weight;               ///< the float weight after fusion
        std::optional<xt::xarray<float>> bias;  ///< the float bias after fusion, if any
        std::size_t channels = 0;               ///< output channels
        any_observer observer;
        mutable std::mutex mutex;
        std::size_t next = 0;                          ///< the next batch to apply
        std::map<std::size_t, pending_batch> pending;  ///< batches that came before their turn
    };

    /// Prepares the slot of one layer; returns its fake-quantized weight (empty for a layer without weight).
    xt::xarray<float> add_layer(const graph_node& node,
                                const layer_quant_config& lc,
                                const batch_norm_fold* fold)
    {
        auto s = std::make_unique<slot>(
          node.name,
          node.type,
          any_observer(activation_params(lc.activation_quant_params, m_cfg.activation_offset, node.name),
                       node.name));
        s->node = node;
        s->act_bits = lc.activation_quant_params.num_bits;
        xt::xarray<float> fake;
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
            const weight_layout layout = layout_of(node);
            const std::vector<std::size_t> shape(s->weight.shape().begin(), s->weight.shape().end());
            s->channels = detail::make_layout_view(shape, layout, node.groups, who).channels();
            s->arq = arq(
              s->weight, weight_params(lc.weight_quant_params, node.type), layout, node.groups, node.name);
            auto bias = fold ? std::optional<xt::xarray<float>>(fold->bias)
                             : detail::param_copy(*m_model, node.name, param_kind::bias);
            if (bias && bias->size() != s->channels)
            {
                detail::throw_error<shape_error>(who + ": bias of " + std::to_string(bias->size())
                                                 + " elements for " + std::to_string(s->channels)
                                                 + " output channels");
            }
            s->bias = std::move(bias);
            fake = fake_quantize_weight(s->weight, *s->arq, layout, node.groups);
        }
        m_index.emplace(node.name, m_slots.size());
        m_names.push_back(node.name);
        m_slots.push_back(std::move(s));
        return fake;
    }

    slot& find_slot(const std::string& layer)
    {
        const auto it = m_index.find(layer);
        if (it == m_index.end())
        {
            detail::throw_error<value_error>("layer \"" + layer + "\" is not calibrated in this session");
        }
        return *m_slots[it->second];
    }

    /// @brief Checks a batch before anything changes: it holds data, has the layer's declared input_shape (if
    /// any) and, if `values`, only finite values (a batch observed at once is left to the observer, which
    /// rejects NaN and Inf in its own pass over the data). Returns its element count.
    /// @throws shape_error, value_error.
    static std::size_t check_batch(const slot& s,
                                   const float* x,
                                   const std::vector<std::size_t>& shape,
                                   const std::string& where,
                                   bool values = true)
    {
        const std::size_t n = detail::element_count(shape);
        const std::vector<std::size_t>& want = s.node.input_shape;
        bool same = want.empty() || want.size() == shape.size();
        for (std::size_t d = 0; same && !want.empty() && d < want.size(); ++d)
        {
            same = want[d] == 0 || want[d] == shape[d];
        }
        if (shape.empty() || n == 0 || !same)
        {
            detail::throw_error<shape_error>(
              where + ": shape " + shape_string(shape)
              + (same ? " holds no data" : " is not the layer's input shape " + shape_string(want))
              + "; the batch was not observed");
        }
        if (x == nullptr)
        {
            detail::throw_error<value_error>(where + ": null data pointer");
        }
        if (values)
        {
            check_values(x, n, where);
        }
        return n;
    }

    /// @throws value_error naming the first NaN or infinite element.
    static void check_values(const float* x, std::size_t n, const std::string& where)
    {
        const std::size_t bad = kernel::first_nonfinite(x, n);
        if (bad != n)
        {
            detail::throw_error<value_error>(where + ": element " + std::to_string(bad) + " is "
                                             + (std::isnan(x[bad]) ? "NaN" : "infinite")
                                             + "; the batch was not observed");
        }
    }

    static std::string shape_string(const std::vector<std::size_t>& shape)
    {
        std::string out = "[";
        for (std::size_t i = 0; i < shape.size(); ++i)
        {
            out += (i ? ", " : "") + std::to_string(shape[i]);
        }
        return out + "]";
    }

    /// Applies waiting batches whose turn has come.
    static void drain(slot& s)
    {
        for (auto it = s.pending.begin(); it != s.pending.end() && it->first == s.next;
             it = s.pending.erase(it))
        {
            s.observer.observe(it->second.data.data(), it->second.shape);
            ++s.next;
        }
    }

    std::vector<std::unique_lock<std::mutex>> lock_all() const
    {
        std::vector<std::unique_lock<std::mutex>> locks;
        for (const auto& s : m_slots)
        {
            locks.emplace_back(s->mutex);
        }
        return locks;
    }

    quantized_layer finalize_layer(const slot& s, std::vector<std::string>& notes)
    {
        quantized_layer q;
        q.name = s.name;
        q.type = s.type;
        q.activation = s.observer.compute();
        if (!s.arq)
        {
            return q;
        }
        q.weights = *s.arq;
        std::vector<float> scale_w = q.weights.scale;
        bias_quantization bq = quantize_bias(
          s.bias ? s.bias->data() : nullptr, s.channels, q.activation.scale.at(0), scale_w, s.name);
        const bool raised = !bq.notes.empty();  // a weight scale raised for the int32 bias
        notes.insert(notes.end(), bq.notes.begin(), bq.notes.end());
        if (raised)
        {
            q.weights =
              calibration_result{q.weights.num_bits, false, q.weights.channel_wise, 0, {}, {}, {}, {}};
            for (float sw : scale_w)
            {
                detail::push_channel(q.weights, sw, 0);
            }
        }
        quantized_weight qw = quantize_weight(s.weight, q.weights, layout_of(s.node), s.node.groups);
        if (raised)
        {
            m_model->set_param(s.name, param_kind::weight, qw.fake);
        }
        q.weight_int = std::move(qw.q);
        q.weight_fake = std::move(qw.fake);
        q.bias_int = std::move(bq.bias);
        q.deq_scale = std::move(bq.deq_scale);
        return q;
    }

    layer_record record_of(const slot& s, const quantized_layer& q) const
    {
        layer_record r;
        r.scale_d = q.activation.scale.at(0);
        r.offset_d = q.activation.offset.at(0);
        r.act_type = int_type_name(s.act_bits);
        if (s.arq)
        {
            r.scale_w = q.weights.scale;
            r.offset_w.assign(q.weights.offset.begin(), q.weights.offset.end());
            r.wts_type = int_type_name(q.weights.num_bits);
        }
        else
        {
            r.scale_w = {1.0f};  // AvgPool: amct-algorithms.md 8
            r.offset_w = {0};
        }
        if (m_cfg.fakequant_precision_mode != "DEFAULT")
        {
            r.fakequant_precision_mode = m_cfg.fakequant_precision_mode;
        }
        return r;
    }

    static void write_shape(state_writer& w, const std::vector<std::size_t>& shape)
    {
        w.u64(shape.size());
        for (std::size_t d : shape)
        {
            w.u64(d);
        }
    }

    static std::vector<std::size_t> read_shape(state_reader& r)
    {
        std::vector<std::size_t> shape(r.count(8));
        for (auto& d : shape)
        {
            d = static_cast<std::size_t>(r.u64());
        }
        return shape;
    }

    model_adapter* m_model;
    quant_config m_cfg;
    fusion_report m_fusion;
    std::vector<std::unique_ptr<slot>> m_slots;
    std::unordered_map<std::string, std::size_t> m_index;
    std::vector<std::string> m_names;
};
}  // namespace AMCT_ABI
}  // namespace amct
