// amct/pipeline/impl/session.ipp: the definitions of <amct/pipeline/session.hpp> (header-only: included by
// it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/pipeline/session.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL calibration_session::calibration_session(model_adapter& model, quant_config cfg, executor exec)
  : m_model(&model)
  , m_cfg(std::move(cfg))
  , m_exec(std::move(exec))
{
    // every rule of the configuration, in the function `amct-config check --layers` runs: batch_num,
    // FORCE_FP16_QUANT, dmq_balancer, bit widths, each layer's parameters as its observer and ARQ get them
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
                                  widen<algorithm_params>(resolved_params(it->second->activation_quant_params,
                                                                          m_cfg.activation_offset)),
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

AMCT_DECL void calibration_session::calibrate(model_runner& runner,
                                              std::vector<std::size_t> batches,
                                              const executor& exec)
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

AMCT_DECL quantized_model calibration_session::finalize()
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

AMCT_DECL std::string calibration_session::save() const
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

AMCT_DECL void calibration_session::add_layer(const graph_node& node,
                                              const layer_quant_config& lc,
                                              const batch_norm_fold* fold)
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
        // AMCT's record keeps offset_w = 0 (docs/quantization.md#the-unified-format)
        if (s->weight_params.with_offset)
        {
            detail::throw_error<unsupported_error>(who
                                                   + ": ARQ with_offset (asymmetric weights) is an API-only "
                                                     "argument of amct::arq; AMCT's calibration flow and "
                                                     "record take symmetric weights (offset_w = 0)");
        }
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

AMCT_DECL xt::xarray<float> calibration_session::calibrate_weight(slot& s)
{
    if (!s.arq)
    {
        return {};
    }
    const weight_layout layout = layout_of(s.node);
    s.arq = arq(s.weight, s.weight_params, layout, s.node.groups, s.name);
    return fake_quantize_weight(s.weight, *s.arq, layout, s.node.groups);
}

AMCT_DECL std::vector<indexed_observer> calibration_session::read_state(const std::string& bytes) const
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
            state_reader::fail("the saved session has layer \"" + name + "\" where this one has \"" + s->name
                               + "\"");
        }
        if (r.f32s() != arq_scales(*s))
        {
            state_reader::fail("layer \"" + name
                               + "\": its weight scales differ from the saved session's (another model?)");
        }
        all.push_back(m_acts->load(i, r.str()));
    }
    r.done();
    return all;
}

AMCT_DECL calibration_session::finalized_layer calibration_session::finalize_layer(
  const slot& s,
  const calibration_result& activation)
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
}  // namespace AMCT_ABI
}  // namespace amct
