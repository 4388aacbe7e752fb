// amct/analysis/impl/simulation.ipp: the definitions of <amct/analysis/simulation.hpp> (header-only: included
// by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/analysis/simulation.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL simulation_plan uniform_plan(const quantized_model& m, qtype p)
{
    simulation_plan plan;
    for (const auto& l : m.layers)
    {
        plan[l.name] = layer_setting{p, &l, true};
    }
    return plan;
}

AMCT_DECL std::vector<std::size_t> simulator::all_batches() const
{
    std::vector<std::size_t> b(m_runner->batch_count());
    std::iota(b.begin(), b.end(), std::size_t{0});
    return b;
}

AMCT_DECL void simulator::apply(const simulation_plan& plan)
{
    for (const auto& [name, s] : plan)
    {
        if (!m_base->find(name))
        {
            detail::throw_error<value_error>("simulation: layer \"" + name
                                             + "\" is not a calibrated layer of the model");
        }
        if (quantized(s.p))
        {
            const int bits = activation_bits(s.p);
            if (!s.q || s.q->activation.num_bits != bits)
            {
                detail::throw_error<value_error>("simulation: layer \"" + name + "\" is "
                                                 + std::string(qtype_name(s.p)) + " but has no "
                                                 + std::to_string(bits) + "-bit calibration");
            }
        }
    }
    for (const auto& l : m_base->layers)
    {
        const auto it = plan.find(l.name);
        const layer_setting s = it == plan.end() ? layer_setting{} : it->second;
        const auto done = m_applied.find(l.name);
        if (done != m_applied.end() && done->second == s)
        {
            continue;
        }
        set_params(l, s);
        m_applied[l.name] = s;
        if (!l.bias_float && s.q && s.quantize_input && !s.q->bias_int.empty())
        {
            m_bias_created.insert(l.name);
        }
    }
}

AMCT_DECL std::vector<xt::xarray<float>> simulator::run(const simulation_plan& plan,
                                                        std::size_t b,
                                                        layer_hook* extra)
{
    apply(plan);
    plan_hook hook(plan, extra);
    return m_runner->run(b, hook);
}

AMCT_DECL const std::vector<xt::xarray<float>>& simulator::reference(std::size_t b)
{
    auto it = m_reference.find(b);
    if (it == m_reference.end())
    {
        it = m_reference.emplace(b, run({}, b)).first;
    }
    return it->second;
}

AMCT_DECL comparison simulator::evaluate(const simulation_plan& plan, const std::vector<std::size_t>& batches)
{
    for (std::size_t b : batches)  // the float runs first: the parameters change twice, not per batch
    {
        reference(b);
    }
    comparison c;
    for (std::size_t b : batches)
    {
        add_outputs(c, reference(b), run(plan, b));
    }
    return c;
}

AMCT_DECL void simulator::add_outputs(comparison& c,
                                      const std::vector<xt::xarray<float>>& reference,
                                      const std::vector<xt::xarray<float>>& actual)
{
    if (reference.size() != actual.size())
    {
        detail::throw_error<shape_error>("simulation: the model gave " + std::to_string(actual.size())
                                         + " outputs, the float run " + std::to_string(reference.size()));
    }
    for (std::size_t i = 0; i < actual.size(); ++i)
    {
        if (reference[i].shape() != actual[i].shape())
        {
            detail::throw_error<shape_error>("simulation: output " + std::to_string(i)
                                             + " changed shape between runs");
        }
        c.add(reference[i].data(), actual[i].data(), actual[i].size());
    }
}

AMCT_DECL bool simulator::plan_hook::wants_input(const std::string& layer) const
{
    const layer_setting* s = find(layer);
    return (s && s->p != qtype::float32 && s->quantize_input) || (m_extra && m_extra->wants_input(layer));
}

AMCT_DECL void simulator::plan_hook::input(const std::string& layer,
                                           float* data,
                                           const std::vector<std::size_t>& shape)
{
    const layer_setting* s = find(layer);
    const std::size_t n = detail::element_count(shape);
    if (s && s->quantize_input && s->p == qtype::float16)
    {
        round_to_float16(data, data, n);
    }
    else if (s && s->quantize_input && quantized(s->p))
    {
        const calibration_result& a = s->q->activation;
        fake_quantize_activation(data, n, a.scale.at(0), a.offset.at(0), a.num_bits);
    }
    if (m_extra && m_extra->wants_input(layer))
    {
        m_extra->input(layer, data, shape);
    }
}

AMCT_DECL bool simulator::plan_hook::wants_output(const std::string& layer) const
{
    const layer_setting* s = find(layer);
    return (s && s->p == qtype::float16) || (m_extra && m_extra->wants_output(layer));
}

AMCT_DECL void simulator::plan_hook::output(const std::string& layer,
                                            float* data,
                                            const std::vector<std::size_t>& shape)
{
    const layer_setting* s = find(layer);
    if (s && s->p == qtype::float16)
    {
        round_to_float16(data, data, detail::element_count(shape));
    }
    if (m_extra && m_extra->wants_output(layer))
    {
        m_extra->output(layer, data, shape);
    }
}

AMCT_DECL const layer_setting* simulator::plan_hook::find(const std::string& layer) const
{
    const auto it = m_plan.find(layer);
    return it == m_plan.end() ? nullptr : &it->second;
}

AMCT_DECL void simulator::set_params(const quantized_layer& f, const layer_setting& s)
{
    if (!f.arq)
    {
        return;  // no weight (AvgPool)
    }
    switch (s.p)
    {
        case qtype::int8:
        case qtype::int16:
            m_model->set_param(f.name, param_kind::weight, s.q->weight_fake);
            if (s.quantize_input && !s.q->bias_int.empty())
            {
                m_model->set_param(f.name, param_kind::bias, s.q->dequantized_bias());
            }
            else if (has_bias(f))
            {
                m_model->set_param(f.name, param_kind::bias, float_bias(f));
            }
            return;
        case qtype::float16:
            m_model->set_param(f.name, param_kind::weight, round_to_float16(f.weight_float));
            if (has_bias(f))
            {
                m_model->set_param(f.name, param_kind::bias, round_to_float16(float_bias(f)));
            }
            return;
        case qtype::float32:
            m_model->set_param(f.name, param_kind::weight, f.weight_float);
            if (has_bias(f))
            {
                m_model->set_param(f.name, param_kind::bias, float_bias(f));
            }
            return;
    }
}
}  // namespace AMCT_ABI
}  // namespace amct
