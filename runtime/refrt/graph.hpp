// runtime/refrt/graph.hpp: the reference runtime's model. An ONNX-shaped float graph: nodes in topological
// order reading and writing named tensors, constant tensors by name (weights, shapes, scales), declared
// inputs and outputs. Importers (onnx_import.hpp, tfjs_import.hpp) build it; executor.hpp runs it.
//
// Every tensor is float32, integer-valued ones included (shapes, pads, axes): they are exact up to 2^24,
// far beyond any dimension here. Layout is NCHW as in ONNX.
#pragma once

#include <cstdint>    // std::int64_t
#include <map>        // std::map
#include <optional>   // std::optional
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string
#include <vector>     // std::vector

#include <xtensor/xarray.hpp>

namespace refrt
{
using tensor = xt::xarray<float>;

/// A model the runtime cannot load or run: the message names the node (and op) or the file.
struct model_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

/// One ONNX attribute; which member is meaningful follows from the op's definition.
struct attribute
{
    std::int64_t i = 0;
    float f = 0.0f;
    std::string s;
    std::vector<std::int64_t> ints;
    std::vector<float> floats;
    std::optional<tensor> t;
};

/// One operation. `inputs` name tensors (graph inputs, constants or other nodes' outputs); "" marks an
/// omitted optional input.
struct node
{
    std::string name;
    std::string op;  ///< ONNX op type
    std::vector<std::string> inputs, outputs;
    std::map<std::string, attribute> attributes;
    /// The ONNX default-domain opset the node follows (ops whose semantics changed: Softmax before 13);
    /// 0, as other importers leave it: the latest semantics.
    int opset = 0;

    const attribute* find(const std::string& key) const
    {
        const auto it = attributes.find(key);
        return it == attributes.end() ? nullptr : &it->second;
    }

    std::int64_t get_int(const std::string& key, std::int64_t fallback) const
    {
        const attribute* a = find(key);
        return a ? a->i : fallback;
    }

    float get_float(const std::string& key, float fallback) const
    {
        const attribute* a = find(key);
        return a ? a->f : fallback;
    }

    std::string get_string(const std::string& key, const std::string& fallback) const
    {
        const attribute* a = find(key);
        return a ? a->s : fallback;
    }

    std::vector<std::int64_t> get_ints(const std::string& key, std::vector<std::int64_t> fallback = {}) const
    {
        const attribute* a = find(key);
        return a ? a->ints : fallback;
    }

    /// "node 'name' (Op)": how errors name a node.
    std::string where() const
    {
        return "node '" + name + "' (" + op + ")";
    }
};

/// A declared graph input; -1 marks a dimension of any size.
struct value_info
{
    std::string name;
    std::vector<std::int64_t> shape;
};

struct graph
{
    std::vector<node> nodes;                  ///< topological order
    std::map<std::string, tensor> constants;  ///< initializers and folded Constant nodes
    std::vector<value_info> inputs;
    std::vector<std::string> outputs;
    /// Shapes the model file declares for outputs (ONNX files do), for writing the graph back where ONNX's
    /// shape inference cannot tell them; -1 marks a dimension of any size.
    std::map<std::string, std::vector<std::int64_t>> output_shapes;

    const tensor* constant(const std::string& name) const
    {
        const auto it = constants.find(name);
        return it == constants.end() ? nullptr : &it->second;
    }
};
}  // namespace refrt
