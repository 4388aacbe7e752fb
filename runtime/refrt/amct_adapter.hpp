// runtime/refrt/amct_adapter.hpp: the reference runtime's one bridge to amct. graph_bridge is amct's view of
// a refrt::graph (amct::model_adapter: nodes and parameters) and runs it on a list of input batches
// (amct::model_runner: calibration, simulation, tuning). fake_quant_observer is the demo's own simulated int8
// inference from a record, an independent check of amct's simulator.
#pragma once

#include <algorithm>  // std::replace
#include <cstddef>    // std::size_t
#include <string>     // std::string
#include <vector>     // std::vector

#include <amct/amct.hpp>

#include "executor.hpp"
#include "graph.hpp"

namespace refrt
{
/// The name of `g`'s input. @throws model_error, naming `who`, unless `g` has exactly one.
inline const std::string& single_input(const graph& g, const std::string& who)
{
    if (g.inputs.size() != 1)
    {
        throw model_error(who + ": the graph has " + std::to_string(g.inputs.size()) + " inputs, not one");
    }
    return g.inputs[0].name;
}

/// amct's view of a refrt::graph and its runs on `batches` (tensors for the graph's one input). Parameters
/// are constants read by position: Conv, ConvTranspose, Gemm and MatMul take their weight at input 1 and bias
/// at input 2; BatchNormalization its scale, bias, mean and variance at inputs 1 to 4. run() may be called
/// from several threads at once (refrt::run is), so calibration can run batches concurrently.
class graph_bridge
  : public amct::model_adapter
  , public amct::model_runner
{
public:
    /// `g` and the batches must outlive the bridge; a null batch is one this bridge does not run (another MPI
    /// rank's).
    explicit graph_bridge(graph& g, std::vector<const tensor*> batches = {})
      : m_graph(g)
      , m_batches(std::move(batches))
    {
    }

    std::size_t batch_count() const override
    {
        return m_batches.size();
    }

    /// @throws model_error for a batch the bridge was not given.
    std::vector<xt::xarray<float>> run(std::size_t b, amct::layer_hook& hook) override
    {
        if (b >= m_batches.size() || m_batches[b] == nullptr)
        {
            throw model_error("graph_bridge: no input for batch " + std::to_string(b));
        }
        hook_observer observer(hook);
        return refrt::run(m_graph, {{single_input(m_graph, "graph_bridge"), *m_batches[b]}}, &observer);
    }

    std::vector<amct::graph_node> nodes() const override
    {
        std::vector<amct::graph_node> out;
        for (const node& n : m_graph.nodes)
        {
            amct::graph_node a;
            a.name = n.name;
            a.type = n.op;
            for (const auto& in : n.inputs)
            {
                if (!in.empty() && !m_graph.constant(in))
                {
                    a.inputs.push_back(in);
                }
            }
            a.outputs = n.outputs;
            a.groups = static_cast<std::size_t>(n.get_int("group", 1));
            a.trans_b = n.get_int("transB", 0) != 0;
            a.epsilon = n.get_float("epsilon", 1e-5f);
            out.push_back(std::move(a));
        }
        return out;
    }

    std::vector<std::string> graph_outputs() const override
    {
        return m_graph.outputs;
    }

    amct::tensor_ref param(const std::string& name, amct::param_kind kind) const override
    {
        const node& n = find(name);
        const std::size_t slot = slot_of(n, kind);
        const tensor* t = slot < n.inputs.size() ? m_graph.constant(n.inputs[slot]) : nullptr;
        if (!t)
        {
            return {};
        }
        if (kind == amct::param_kind::bias && n.op == "Gemm")  // C of shape [1, N] is a bias of N
        {
            return {t->data(), {t->size()}};
        }
        return amct::tensor_ref(*t);
    }

    void set_param(const std::string& name, amct::param_kind kind, const xt::xarray<float>& value) override
    {
        node& n = find(name);
        const std::size_t slot = slot_of(n, kind);
        if (n.inputs.size() <= slot)
        {
            n.inputs.resize(slot + 1);
        }
        std::string& constant = n.inputs[slot];
        const tensor* old = constant.empty() ? nullptr : m_graph.constant(constant);
        tensor v = value;
        if (old && old->size() == v.size())
        {
            v.reshape(old->shape());  // keep the runtime's own shape (Gemm's C may be [1, N])
        }
        if (!old || readers(constant) > 1)  // a new or shared constant: this node gets its own
        {
            constant = n.name + "/" + amct::to_string(kind);
        }
        m_graph.constants[constant] = std::move(v);
    }

    void remove_node(const std::string& name) override
    {
        auto& nodes = m_graph.nodes;
        const auto it = std::find_if(nodes.begin(),
                                     nodes.end(),
                                     [&](const node& n)
                                     {
                                         return n.name == name;
                                     });
        if (it == nodes.end())
        {
            throw model_error("graph_bridge: no node '" + name + "'");
        }
        const std::string in = it->inputs.at(0), out = it->outputs.at(0);
        nodes.erase(it);
        for (node& reader : nodes)
        {
            std::replace(reader.inputs.begin(), reader.inputs.end(), out, in);
        }
        std::replace(m_graph.outputs.begin(), m_graph.outputs.end(), out, in);
    }

private:
    /// Hands a run's layer inputs and outputs to an amct::layer_hook.
    class hook_observer : public run_observer
    {
    public:
        explicit hook_observer(amct::layer_hook& hook)
          : m_hook(hook)
        {
        }

        bool wants_input(const node& n) override
        {
            return m_hook.wants_input(n.name);
        }

        void input(const node& n, tensor& x) override
        {
            m_hook.input(n.name, x.data(), std::vector<std::size_t>(x.shape().begin(), x.shape().end()));
        }

        void output(const node& n, tensor& y) override
        {
            if (m_hook.wants_output(n.name))
            {
                m_hook.output(n.name, y.data(), std::vector<std::size_t>(y.shape().begin(), y.shape().end()));
            }
        }

    private:
        amct::layer_hook& m_hook;
    };

    static std::size_t slot_of(const node& n, amct::param_kind kind)
    {
        if (amct::is_batch_norm(n.op))
        {
            return 1 + static_cast<std::size_t>(kind);  // scale, B, mean, var
        }
        return kind == amct::param_kind::weight ? 1
               : kind == amct::param_kind::bias ? 2
                                                : n.inputs.size() + 9;
    }

    std::size_t readers(const std::string& tensor_name) const
    {
        std::size_t count = 0;
        for (const node& n : m_graph.nodes)
        {
            count += static_cast<std::size_t>(std::count(n.inputs.begin(), n.inputs.end(), tensor_name));
        }
        return count;
    }

    node& find(const std::string& name) const
    {
        for (node& n : m_graph.nodes)
        {
            if (n.name == name)
            {
                return n;
            }
        }
        throw model_error("graph_bridge: no node '" + name + "'");
    }

    graph& m_graph;
    std::vector<const tensor*> m_batches;
};

/// Puts each quantized layer's int32 bias, dequantized, into `model`: bias_int[c] * scale_d * scale_w[c] (in
/// double, then float), the bias AMCT's simulation and deployment see (docs/quantization.md#bias).
inline void set_dequantized_bias(amct::model_adapter& model, const amct::quantized_model& q)
{
    for (const auto& l : q.layers)
    {
        if (!l.bias_int.empty())
        {
            model.set_param(l.name, amct::param_kind::bias, l.dequantized_bias());
        }
    }
}

/// AMCT's default configuration (create_quant_config: every quantizable layer, INT8) for `batch_num` batches.
inline amct::quant_config default_config(const amct::model_adapter& model, std::size_t batch_num)
{
    amct::create_quant_config_options o;
    o.batch_num = static_cast<int>(batch_num);
    return amct::create_quant_config(amct::quantizable_layers(model), o);
}

/// Simulated int8 inference: each recorded layer's input is fake-quantized with its scale_d and offset_d
/// (the weights were fake-quantized in the graph by the session).
class fake_quant_observer : public run_observer
{
public:
    explicit fake_quant_observer(const amct::quant_record& record)
      : m_record(record)
    {
    }

    bool wants_input(const node& n) override
    {
        return m_record.find(n.name) != nullptr;
    }

    void input(const node& n, tensor& x) override
    {
        x = amct::fake_quantize_activation(x, *m_record.find(n.name), n.name);
    }

private:
    const amct::quant_record& m_record;
};

}  // namespace refrt
