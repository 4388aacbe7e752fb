// ONNX import (onnx_import.hpp) over the plain decoded protobuf of onnx_proto.hpp.
#include "onnx_import.hpp"

#include <set>      // std::set
#include <utility>  // std::move

#include "executor.hpp"
#include "onnx_proto.hpp"

namespace refrt
{
namespace
{
tensor to_tensor(const proto::tensor_data& t)
{
    std::vector<std::size_t> shape(t.dims.size());
    for (std::size_t k = 0; k < shape.size(); ++k)
        shape[k] = static_cast<std::size_t>(t.dims[k]);
    tensor out = tensor::from_shape(shape);
    float* p = out.data();
    if (!t.floats.empty() || t.ints.empty())
        std::copy(t.floats.begin(), t.floats.end(), p);
    else
        for (std::size_t e = 0; e < t.ints.size(); ++e)
            p[e] = static_cast<float>(t.ints[e]);
    return out;
}

/// A Constant node's value: value (tensor), value_float(s), value_int(s).
tensor constant_value(const proto::node_data& n, const std::string& where)
{
    for (const auto& a : n.attributes)
    {
        if (a.name == "value")
        {
            if (!a.t)
                throw model_error(where + ": "
                                  + (a.t_error.empty() ? "attribute 'value' has no tensor" : a.t_error));
            return to_tensor(*a.t);
        }
        if (a.name == "value_float")
            return tensor(a.f);
        if (a.name == "value_int")
            return tensor(static_cast<float>(a.i));
        if (a.name == "value_floats" || a.name == "value_ints")
        {
            const std::size_t count = a.name == "value_floats" ? a.floats.size() : a.ints.size();
            tensor out = tensor::from_shape({count});
            for (std::size_t e = 0; e < count; ++e)
                out.data()[e] = a.name == "value_floats" ? a.floats[e] : static_cast<float>(a.ints[e]);
            return out;
        }
    }
    throw model_error(where + ": Constant without a supported value attribute");
}

graph convert(proto::model_data& m, const std::string& path)
{
    graph g;
    for (const auto& t : m.initializers)
        g.constants[t.name] = to_tensor(t);
    for (const auto& v : m.inputs)
        if (g.constants.count(v.name) == 0)
            g.inputs.push_back(value_info{v.name, v.shape});
    for (const auto& v : m.outputs)
    {
        g.outputs.push_back(v.name);
        if (v.has_shape)
            g.output_shapes[v.name] = v.shape;
    }

    std::set<std::string> names;
    for (auto& n : m.nodes)
    {
        node out;
        const bool default_domain = n.domain.empty() || n.domain == "ai.onnx";
        out.op = default_domain ? n.op_type : n.domain + "." + n.op_type;
        std::string base = !n.name.empty() ? n.name : !n.outputs.empty() ? n.outputs[0] : out.op;
        out.name = base;
        for (int k = 1; !names.insert(out.name).second; ++k)
            out.name = base + "_" + std::to_string(k);
        out.opset = default_domain ? m.opset : 0;
        const std::string where = path + ": " + out.where();
        if (out.op == "Constant")
        {
            if (n.outputs.size() != 1)
                throw model_error(where + ": expected one output");
            g.constants[n.outputs[0]] = constant_value(n, where);
            continue;
        }
        out.inputs = std::move(n.inputs);
        out.outputs = std::move(n.outputs);
        for (auto& a : n.attributes)
        {
            attribute& dst = out.attributes[a.name];
            dst.i = a.i;
            dst.f = a.f;
            dst.s = std::move(a.s);
            dst.ints = std::move(a.ints);
            dst.floats = std::move(a.floats);
            if (a.t)
                dst.t = to_tensor(*a.t);
        }
        g.nodes.push_back(std::move(out));
    }
    return g;
}
}  // namespace

graph load_onnx(const std::string& path)
{
    try
    {
        proto::model_data m = proto::read_model(path);
        graph g = convert(m, path);
        try
        {
            check_graph(g);
        }
        catch (const model_error& e)
        {
            throw model_error(path + ": " + e.what());
        }
        return g;
    }
    catch (const proto::decode_error& e)
    {
        throw model_error(e.what());
    }
}

tensor load_onnx_tensor(const std::string& pb_path)
{
    try
    {
        return to_tensor(proto::read_tensor(pb_path));
    }
    catch (const proto::decode_error& e)
    {
        throw model_error(e.what());
    }
}
}  // namespace refrt
