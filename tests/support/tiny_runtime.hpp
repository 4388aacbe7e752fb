// tests/support/tiny_runtime.hpp: a deliberately small float runtime for NCHW graphs (2-D Conv with groups,
// ConvTranspose, BatchNormalization, Relu, AveragePool, GlobalAveragePool, Flatten, Gemm), and the adapter
// that lets amct quantize it. The runtime knows nothing about amct; the adapter (class tiny_adapter, at
// the end) is all the glue there is. Direct loops, no speed: it is an example and a test fixture.
#pragma once

#include <cmath>          // std::sqrt
#include <functional>     // std::function
#include <map>            // std::map
#include <stdexcept>      // std::runtime_error
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <vector>         // std::vector

#include <amct/amct.hpp>

namespace tiny
{
using tensor = xt::xarray<float>;

/// One operation of the graph. Parameters by name: "weight", "bias", "mean", "variance".
struct node
{
    std::string name;
    std::string op;  ///< Conv, ConvTranspose, BatchNormalization, Relu, AveragePool, GlobalAveragePool,
                     ///< Flatten, Gemm
    std::string input;
    std::string output;
    std::size_t groups = 1, stride = 1, pad = 0, kernel = 0;  ///< kernel: AveragePool's window
    float epsilon = 1e-5f;
    bool trans_b = true;
    std::vector<std::size_t> input_shape;  ///< declared to amct when set (0: any size)
    std::map<std::string, tensor> params;
};

/// A chain or DAG of single-input nodes, run in order.
struct graph
{
    std::vector<node> nodes;
    std::string input = "x";
    std::string output;

    /// Runs the graph. `hook(node, input)` sees (and may replace) each node's input before the node runs.
    tensor run(const tensor& x, const std::function<void(const node&, tensor&)>& hook = nullptr) const
    {
        std::unordered_map<std::string, tensor> values{{input, x}};
        for (const node& n : nodes)
        {
            tensor in = values.at(n.input);
            if (hook)
            {
                hook(n, in);
            }
            values[n.output] = apply(n, in);
        }
        return values.at(output);
    }

    static tensor apply(const node& n, const tensor& x)
    {
        if (n.op == "Conv" || n.op == "ConvTranspose")
        {
            return convolution(n, x);
        }
        if (n.op == "BatchNormalization")
        {
            tensor y = x;
            const tensor &g = n.params.at("weight"), &b = n.params.at("bias"), &m = n.params.at("mean"),
                         &v = n.params.at("variance");
            for (std::size_t i = 0; i < y.shape()[0]; ++i)
            {
                for (std::size_t c = 0; c < y.shape()[1]; ++c)
                {
                    auto plane = xt::view(y, i, c);
                    plane = (plane - m(c)) / std::sqrt(v(c) + n.epsilon) * g(c) + b(c);
                }
            }
            return y;
        }
        if (n.op == "Relu")
        {
            return xt::maximum(x, 0.0f);
        }
        if (n.op == "AveragePool")
        {
            const std::size_t k = n.kernel, oh = x.shape()[2] / k, ow = x.shape()[3] / k;
            tensor y = xt::zeros<float>({x.shape()[0], x.shape()[1], oh, ow});
            for (std::size_t i = 0; i < y.shape()[0]; ++i)
                for (std::size_t c = 0; c < y.shape()[1]; ++c)
                    for (std::size_t h = 0; h < oh; ++h)
                        for (std::size_t w = 0; w < ow; ++w)
                        {
                            float s = 0.0f;
                            for (std::size_t a = 0; a < k; ++a)
                                for (std::size_t b = 0; b < k; ++b)
                                    s += x(i, c, h * k + a, w * k + b);
                            y(i, c, h, w) = s / static_cast<float>(k * k);
                        }
            return y;
        }
        if (n.op == "GlobalAveragePool")
        {
            tensor y = xt::mean(x, {2, 3}, xt::evaluation_strategy::immediate);
            y.reshape({x.shape()[0], x.shape()[1], 1, 1});
            return y;
        }
        if (n.op == "Flatten")
        {
            tensor y = x;
            y.reshape({x.shape()[0], x.size() / x.shape()[0]});
            return y;
        }
        if (n.op == "Gemm")  // y = x W^T + b (transB = 1) or x W + b
        {
            const tensor& w = n.params.at("weight");
            const std::size_t rows = x.shape()[0], k = x.shape()[1],
                              cols = n.trans_b ? w.shape()[0] : w.shape()[1];
            tensor y = xt::zeros<float>({rows, cols});
            for (std::size_t i = 0; i < rows; ++i)
                for (std::size_t j = 0; j < cols; ++j)
                {
                    float s = n.params.count("bias") ? n.params.at("bias")(j) : 0.0f;
                    for (std::size_t t = 0; t < k; ++t)
                    {
                        s += x(i, t) * (n.trans_b ? w(j, t) : w(t, j));
                    }
                    y(i, j) = s;
                }
            return y;
        }
        throw std::runtime_error("tiny runtime: unsupported op " + n.op + " (node " + n.name + ")");
    }

    /// 2-D convolution (groups, stride, zero padding) and its transpose, by direct summation in float.
    static tensor convolution(const node& n, const tensor& x)
    {
        const tensor& w = n.params.at("weight");
        const bool transposed = n.op == "ConvTranspose";
        const std::size_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
        const std::size_t kh = w.shape()[2], kw = w.shape()[3], g = n.groups, s = n.stride, p = n.pad;
        const std::size_t cin_g = C / g;
        const std::size_t cout = transposed ? w.shape()[1] * g : w.shape()[0], cout_g = cout / g;
        const std::size_t OH = transposed ? (H - 1) * s + kh - 2 * p : (H + 2 * p - kh) / s + 1;
        const std::size_t OW = transposed ? (W - 1) * s + kw - 2 * p : (W + 2 * p - kw) / s + 1;
        tensor y = xt::zeros<float>({N, cout, OH, OW});
        for (std::size_t i = 0; i < N; ++i)
            for (std::size_t gi = 0; gi < g; ++gi)
                for (std::size_t ci = 0; ci < cin_g; ++ci)
                    for (std::size_t co = 0; co < cout_g; ++co)
                        for (std::size_t a = 0; a < kh; ++a)
                            for (std::size_t b = 0; b < kw; ++b)
                            {
                                const std::size_t cin = gi * cin_g + ci, oc = gi * cout_g + co;
                                const float wv = transposed ? w(cin, co, a, b) : w(oc, ci, a, b);
                                for (std::size_t h = 0; h < (transposed ? H : OH); ++h)
                                    for (std::size_t q = 0; q < (transposed ? W : OW); ++q)
                                    {
                                        // forward: y[oh, ow] += x[oh*s + a - p, ow*s + b - p] * w
                                        // transposed: y[h*s + a - p, q*s + b - p] += x[h, q] * w
                                        const long r = static_cast<long>(h * s + a) - static_cast<long>(p);
                                        const long c = static_cast<long>(q * s + b) - static_cast<long>(p);
                                        const long lim_r = static_cast<long>(transposed ? OH : H);
                                        const long lim_c = static_cast<long>(transposed ? OW : W);
                                        if (r < 0 || c < 0 || r >= lim_r || c >= lim_c)
                                        {
                                            continue;
                                        }
                                        if (transposed)
                                        {
                                            y(i, oc, r, c) += x(i, cin, h, q) * wv;
                                        }
                                        else
                                        {
                                            y(i, oc, h, q) += x(i, cin, r, c) * wv;
                                        }
                                    }
                            }
        if (n.params.count("bias"))
        {
            const tensor& bias = n.params.at("bias");
            for (std::size_t i = 0; i < N; ++i)
                for (std::size_t c = 0; c < cout; ++c)
                    xt::view(y, i, c) += bias(c);
        }
        return y;
    }
};

/// The glue: amct's view of a tiny::graph. This is all a runtime has to write.
class tiny_adapter : public amct::model_adapter
{
public:
    explicit tiny_adapter(graph& g)
      : m_graph(g)
    {
    }

    std::vector<amct::graph_node> nodes() const override
    {
        std::vector<amct::graph_node> out;
        for (const node& n : m_graph.nodes)
        {
            amct::graph_node a;
            a.name = n.name;
            a.type = n.op;
            a.inputs = {n.input};
            a.outputs = {n.output};
            a.groups = n.groups;
            a.trans_b = n.trans_b;
            a.epsilon = n.epsilon;
            a.input_shape = n.input_shape;
            out.push_back(std::move(a));
        }
        return out;
    }

    std::vector<std::string> graph_outputs() const override
    {
        return {m_graph.output};
    }

    amct::tensor_ref param(const std::string& name, amct::param_kind kind) const override
    {
        const auto& params = find(name).params;
        const auto it = params.find(amct::to_string(kind));
        return it == params.end() ? amct::tensor_ref{} : amct::tensor_ref(it->second);
    }

    void set_param(const std::string& name, amct::param_kind kind, const xt::xarray<float>& value) override
    {
        find(name).params[amct::to_string(kind)] = value;
    }

    void remove_node(const std::string& name) override
    {
        auto& nodes = m_graph.nodes;
        for (auto it = nodes.begin(); it != nodes.end(); ++it)
        {
            if (it->name == name)
            {
                for (node& reader : nodes)
                {
                    reader.input = reader.input == it->output ? it->input : reader.input;
                }
                m_graph.output = m_graph.output == it->output ? it->input : m_graph.output;
                nodes.erase(it);
                return;
            }
        }
    }

private:
    node& find(const std::string& name) const
    {
        for (node& n : m_graph.nodes)
        {
            if (n.name == name)
            {
                return n;
            }
        }
        throw std::runtime_error("tiny runtime: no node " + name);
    }

    graph& m_graph;
};
}  // namespace tiny
