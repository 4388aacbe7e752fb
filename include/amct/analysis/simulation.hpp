// amct/analysis/simulation.hpp: simulated mixed-precision inference in the user's runtime. A plan gives each
// layer a precision:
//   int8 / int16  input fake-quantized with the layer's scale_d and offset_d (amct-algorithms.md 2.5), weight
//                 fake-quantized with scale_w, bias = bias_int * scale_d * scale_w (the device's int32 bias);
//   float16       input, weight, bias and output rounded to half precision (round to nearest even);
//   float32       the float weight and bias after BN fusion, nothing changed.
// Layers absent from a plan run in float32. The simulator writes the parameters through the model_adapter
// (only those that change between plans) and changes activations through the runner's layer_hook.
#pragma once

#include <cstddef>    // std::size_t
#include <map>        // std::map
#include <numeric>    // std::iota
#include <set>        // std::set
#include <stdexcept>  // std::out_of_range
#include <string>     // std::string
#include <tuple>      // std::tie
#include <vector>     // std::vector

#include <amct/analysis/metrics.hpp>
#include <amct/analysis/precision.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/pipeline/deploy.hpp>
#include <amct/pipeline/quantized_model.hpp>
#include <amct/pipeline/runtime.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// How one layer runs in a simulation.
struct layer_setting
{
    qtype p = qtype::float32;
    const quantized_layer* q = nullptr;  ///< int8 / int16: the calibrated layer (its activation's bit width)
    bool quantize_input = true;          ///< false: AMCT's calibration model (fake-quantized weight, float
                                         ///< bias and input)

    bool operator==(const layer_setting& o) const
    {
        return p == o.p && q == o.q && quantize_input == o.quantize_input;
    }
};

/// Layer name -> setting; layers not listed run in float32.
using simulation_plan = std::map<std::string, layer_setting>;

/// A calibrated layer in int8 or int16 by its activation's bit width.
inline layer_setting int_setting(const quantized_layer& q, bool quantize_input = true)
{
    return {q.activation.num_bits == 16 ? qtype::int16 : qtype::int8, &q, quantize_input};
}

/// Every layer of `m` at precision `p` (int8 and int16 take their factors from `m`).
inline simulation_plan uniform_plan(const quantized_model& m, qtype p)
{
    simulation_plan plan;
    for (const auto& l : m.layers)
    {
        plan[l.name] = layer_setting{p, &l, true};
    }
    return plan;
}

/// @brief Runs a user's model under simulation plans and compares it with the float model.
///
/// `base` (a calibration's result) names the quantizable layers and holds their float parameters after BN
/// fusion; the runtime must hold the fused graph (the session's). Plans may point into other calibrations of
/// the same model (another method, int16). The runtime keeps the parameters of the last plan run.
class simulator
{
public:
    simulator(model_adapter& model, model_runner& runner, const quantized_model& base)
      : m_model(&model)
      , m_runner(&runner)
      , m_base(&base)
    {
    }

    const quantized_model& base() const noexcept
    {
        return *m_base;
    }

    model_runner& runner() noexcept
    {
        return *m_runner;
    }

    /// All batches of the runner: 0, 1, ..., batch_count() - 1.
    std::vector<std::size_t> all_batches() const
    {
        std::vector<std::size_t> b(m_runner->batch_count());
        std::iota(b.begin(), b.end(), std::size_t{0});
        return b;
    }

    /// `batches`, or all batches when it is empty.
    std::vector<std::size_t> batches_or_all(const std::vector<std::size_t>& batches) const
    {
        return batches.empty() ? all_batches() : batches;
    }

    /// @brief Writes the parameters `plan` needs (those that differ from the last plan).
    /// @throws value_error for a layer `base` does not know, an int setting without factors or whose bit
    /// width is not the precision's.
    void apply(const simulation_plan& plan)
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

    /// Forgets what was applied for `layer`, whose quantized_layer changed in place (bias_correction): the
    /// next run writes its parameters again.
    void changed(const std::string& layer)
    {
        m_applied.erase(layer);
    }

    /// @brief Runs batch `b` under `plan`. `extra` sees each input after the plan changed it and each output
    /// after the plan changed it. Returns the model's outputs.
    std::vector<xt::xarray<float>> run(const simulation_plan& plan,
                                       std::size_t b,
                                       layer_hook* extra = nullptr)
    {
        apply(plan);
        plan_hook hook(plan, extra);
        return m_runner->run(b, hook);
    }

    /// The float model's outputs on batch `b` (computed once).
    const std::vector<xt::xarray<float>>& reference(std::size_t b)
    {
        auto it = m_reference.find(b);
        if (it == m_reference.end())
        {
            it = m_reference.emplace(b, run({}, b)).first;
        }
        return it->second;
    }

    /// @brief The model's outputs under `plan` against the float model's on `batches`, all outputs of a batch
    /// concatenated. @throws shape_error when the runner's outputs change shape between runs.
    comparison evaluate(const simulation_plan& plan, const std::vector<std::size_t>& batches)
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

    /// Adds a run's outputs to a comparison with the reference outputs. @throws shape_error.
    static void add_outputs(comparison& c,
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

private:
    /// Applies a plan's activation changes, then hands the values to `extra`.
    class plan_hook : public layer_hook
    {
    public:
        plan_hook(const simulation_plan& plan, layer_hook* extra)
          : m_plan(plan)
          , m_extra(extra)
        {
        }

        bool wants_input(const std::string& layer) const override
        {
            const layer_setting* s = find(layer);
            return (s && s->p != qtype::float32 && s->quantize_input)
                   || (m_extra && m_extra->wants_input(layer));
        }

        void input(const std::string& layer, float* data, const std::vector<std::size_t>& shape) override
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

        bool wants_output(const std::string& layer) const override
        {
            const layer_setting* s = find(layer);
            return (s && s->p == qtype::float16) || (m_extra && m_extra->wants_output(layer));
        }

        void output(const std::string& layer, float* data, const std::vector<std::size_t>& shape) override
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

    private:
        const layer_setting* find(const std::string& layer) const
        {
            const auto it = m_plan.find(layer);
            return it == m_plan.end() ? nullptr : &it->second;
        }

        const simulation_plan& m_plan;
        layer_hook* m_extra;
    };

    void set_params(const quantized_layer& f, const layer_setting& s)
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

    /// Whether the runtime holds a bias for the layer: its own, or one an int plan created (bias_correction
    /// of a layer without bias).
    bool has_bias(const quantized_layer& f) const
    {
        return f.bias_float || m_bias_created.count(f.name) != 0;
    }

    /// The float model's bias (zeros where an int plan created one).
    static xt::xarray<float> float_bias(const quantized_layer& f)
    {
        return f.bias_float ? *f.bias_float : xt::xarray<float>(xt::zeros<float>({f.channels}));
    }

    model_adapter* m_model;
    model_runner* m_runner;
    const quantized_model* m_base;
    std::map<std::string, layer_setting> m_applied;
    std::map<std::size_t, std::vector<xt::xarray<float>>> m_reference;
    std::set<std::string> m_bias_created;  ///< layers without float bias given one by an int plan
};
}  // namespace AMCT_ABI
}  // namespace amct
