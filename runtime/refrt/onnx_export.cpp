// ONNX export (onnx_export.hpp) into the plain structs of onnx_proto.hpp, which encodes them.
#include "onnx_export.hpp"

#include <algorithm>  // std::max_element
#include <cmath>      // std::isfinite, std::trunc, std::nearbyint, INFINITY
#include <cstddef>    // std::size_t
#include <cstdint>    // std::int64_t
#include <map>        // std::map
#include <set>        // std::set
#include <sstream>    // std::ostringstream
#include <string>     // std::string
#include <tuple>      // std::tuple
#include <utility>    // std::move, std::pair
#include <vector>     // std::vector

#include "onnx_proto.hpp"

namespace refrt
{
namespace
{
namespace dtype = proto::dtype;
using i64 = std::int64_t;

const std::string microsoft = "com.microsoft";

[[noreturn]] void fail(const std::string& what)
{
    throw model_error("ONNX export: " + what);
}

std::string number(double v)
{
    std::ostringstream os;
    os << v;
    return os.str();
}

/// How an op reads an input at opset 17: the type of its data (T), int64 (shapes, axes, pads, indices), bool,
/// or always float.
enum class slot_kind
{
    data,
    index,
    boolean,
    floating
};

slot_kind kind_of(const std::string& op, std::size_t slot)
{
    static const std::map<std::string, std::set<std::size_t>> index_slots = {
      {"Reshape", {1}},
      {"Expand", {1}},
      {"Pad", {1, 3}},
      {"Slice", {1, 2, 3, 4}},
      {"Squeeze", {1}},
      {"Unsqueeze", {1}},
      {"ReduceSum", {1}},
      {"Resize", {3}},
      {"Gather", {1}},
    };
    static const std::set<std::string> same_type = {
      "Add", "Sub", "Mul", "Div", "Sum", "Max", "Min", "Concat", "MatMul", "Gemm", "Clip"};
    if (slot == 0 || same_type.count(op) != 0 || (op == "Pad" && slot == 2))
        return slot_kind::data;
    const auto it = index_slots.find(op);
    if (it != index_slots.end() && it->second.count(slot) != 0)
        return slot_kind::index;
    if (op == "Dropout" && slot == 2)
        return slot_kind::boolean;
    return slot_kind::floating;
}

/// "com.microsoft.QuantizeLinear" -> {"com.microsoft", "QuantizeLinear"}; ONNX's own ops have no domain.
std::pair<std::string, std::string> split_domain(const std::string& op)
{
    const std::size_t dot = op.rfind('.');
    return dot == std::string::npos
             ? std::pair<std::string, std::string>{"", op}
             : std::pair<std::string, std::string>{op.substr(0, dot), op.substr(dot + 1)};
}

/// The element type of output k of n, whose data type is t.
int output_type(const node& n, std::size_t k, int t, const std::map<std::string, int>& types)
{
    static const std::set<std::string> keeps_type = {
      "Identity",  "Dropout", "Reshape",   "Expand",     "Pad",       "Slice",        "Squeeze",
      "Unsqueeze", "Gather",  "Concat",    "Transpose",  "Flatten",   "Add",          "Sub",
      "Mul",       "Div",     "Sum",       "Max",        "Min",       "Neg",          "Clip",
      "Relu",      "MaxPool", "ReduceSum", "ReduceMean", "ReduceMax", "GlobalMaxPool"};
    const std::string op = split_domain(n.op).second;
    if (op == "Shape" || (op == "MaxPool" && k == 1))
        return dtype::int64;
    if (op == "Dropout" && k == 1)
        return dtype::boolean;
    if (op == "Cast")
        return static_cast<int>(n.get_int("to", dtype::float32));
    if (op == "QuantizeLinear")
        return types.at(n.inputs.at(2));
    return keeps_type.count(op) != 0 ? t : dtype::float32;
}

std::vector<std::size_t> shape_of(const tensor& t)
{
    return {t.shape().begin(), t.shape().end()};
}

tensor ints_tensor(const std::vector<i64>& v)
{
    tensor t = tensor::from_shape({v.size()});
    for (std::size_t k = 0; k < v.size(); ++k)
        t.data()[k] = static_cast<float>(v[k]);
    return t;
}

/// A float tensor (integer-valued where `type` is an integer type) as a typed initializer.
proto::tensor_data typed_data(const std::string& name, const tensor& t, int type, const std::string& who)
{
    proto::tensor_data out;
    out.name = name;
    out.data_type = type;
    for (const std::size_t d : t.shape())
        out.dims.push_back(static_cast<i64>(d));
    const float* p = t.data();
    if (type == dtype::float32 || type == dtype::float64)
    {
        out.floats.assign(p, p + t.size());
        return out;
    }
    out.ints.reserve(t.size());
    for (std::size_t e = 0; e < t.size(); ++e)
    {
        const float v = p[e];
        if (!std::isfinite(v) || v != std::trunc(v))
            fail(who + ": constant '" + name + "' holds " + number(v) + " where "
                 + proto::data_type_name(type) + " is needed");
        // float holds integers exactly up to 2^24; beyond INT64's range only as "to the end" markers
        const double d = v;
        out.ints.push_back(type == dtype::boolean        ? (v != 0.0f)
                           : d >= 9.2233720368547758e18  ? INT64_MAX
                           : d <= -9.2233720368547758e18 ? INT64_MIN
                                                         : static_cast<i64>(d));
    }
    return out;
}

proto::tensor_data scalar_or_vector(const std::string& name,
                                    int type,
                                    const std::vector<double>& values,
                                    bool vector)
{
    proto::tensor_data t;
    t.name = name;
    t.data_type = type;
    if (vector)
        t.dims = {static_cast<i64>(values.size())};
    for (const double v : values)
    {
        if (type == dtype::float32)
            t.floats.push_back(static_cast<float>(v));
        else
            t.ints.push_back(static_cast<i64>(v));
    }
    return t;
}

class exporter
{
public:
    explicit exporter(const graph& g)
      : m_g(g)
    {
        for (const value_info& v : g.inputs)
            m_names.insert(v.name);
        for (const auto& [name, t] : g.constants)
            m_names.insert(name);
        for (const node& n : g.nodes)
        {
            m_names.insert(n.name);
            m_names.insert(n.outputs.begin(), n.outputs.end());
        }
        std::set<std::string> seen;
        for (node n : g.nodes)
        {
            // every node name once (ONNX Runtime refuses two nodes of one name): a repeated or empty name
            // becomes a fresh one
            if (n.name.empty() || !seen.insert(n.name).second)
                n.name = fresh(n.name.empty() ? n.op : n.name);
            upgrade(std::move(n));
        }
    }

    void add_qdq(const amct::quantized_model& q)
    {
        std::vector<node> out;
        std::set<std::string> done;
        for (node& n : m_nodes)
        {
            if (const amct::quantized_layer* l = q.find(n.name))
            {
                quantize(n, *l, out);
                done.insert(n.name);
            }
            out.push_back(std::move(n));
        }
        for (const amct::quantized_layer& l : q.layers)
            if (done.count(l.name) == 0)
                fail("layer '" + l.name + "' of the quantized model is not a node of the graph");
        m_nodes = std::move(out);
        drop_redundant_activations();
    }

    proto::model_data model() const;

private:
    std::string fresh(const std::string& base)
    {
        std::string name = base;
        for (int k = 1; !m_names.insert(name).second; ++k)
            name = base + "_" + std::to_string(k);
        return name;
    }

    std::string add_constant(const std::string& base, tensor t)
    {
        const std::string name = fresh(base);
        m_g.constants[name] = std::move(t);
        return name;
    }

    std::string add_typed(const std::string& base, proto::tensor_data t)
    {
        t.name = fresh(base);
        const std::string name = t.name;
        m_typed.emplace(name, std::move(t));
        return name;
    }

    node& add_node(std::vector<node>& to,
                   const std::string& op,
                   const std::string& base,
                   std::vector<std::string> inputs,
                   std::string output)
    {
        node n;
        n.name = fresh(base);
        n.op = op;
        n.inputs = std::move(inputs);
        n.outputs = {std::move(output)};
        to.push_back(std::move(n));
        return to.back();
    }

    static bool take(node& n, const std::string& key, attribute& out)
    {
        const auto it = n.attributes.find(key);
        if (it == n.attributes.end())
            return false;
        out = std::move(it->second);
        n.attributes.erase(it);
        return true;
    }

    void upgrade(node n);
    void drop_redundant_activations();
    bool quantize_saturates(const node& q, float lo, float hi) const;
    void quantize(node& n, const amct::quantized_layer& l, std::vector<node>& out);
    std::string quantize_weight(node& n,
                                const amct::quantized_layer& l,
                                std::size_t& channels,
                                std::vector<node>& out);

    /// A QuantizeLinear's output and the factors its DequantizeLinears share.
    struct quantized_input
    {
        std::string q, scale, zero_point;
    };

    graph m_g;  ///< constants, with those the rewriting adds
    std::vector<node> m_nodes;
    std::map<std::string, proto::tensor_data> m_typed;  ///< initializers of a fixed type (QDQ)
    std::set<std::string> m_names;
    std::map<std::tuple<std::string, float, int, int>, quantized_input>
      m_quantized;  ///< by x, scale, zp, bits
};

/// One node in its opset-17 form (onnx_export.hpp), appended to m_nodes. Which form a node has is read as
/// ops.cpp reads it (attributes or inputs), so a graph from any importer is written as it runs.
void exporter::upgrade(node n)
{
    const int opset = n.opset > 0 ? n.opset : onnx_export_opset;
    const std::string base = n.name + "/";
    attribute a;
    if (n.op == "Clip" && (n.find("min") || n.find("max")))  // opset 6: attributes
    {
        n.inputs.resize(1);
        n.inputs.push_back(take(n, "min", a) ? add_constant(base + "min", tensor(a.f)) : "");
        n.inputs.push_back(take(n, "max", a) ? add_constant(base + "max", tensor(a.f)) : "");
        if (n.inputs.back().empty())
            n.inputs.pop_back();
    }
    else if (n.op == "Softmax" && opset < 13)  // over the input coerced to 2-D at axis
    {
        const i64 axis = n.get_int("axis", 1);
        const std::string x = n.inputs.at(0), y = n.outputs.at(0);
        add_node(m_nodes, "Flatten", base + "flatten", {x}, fresh(base + "flat")).attributes["axis"].i = axis;
        add_node(m_nodes, "Shape", base + "shape", {x}, fresh(base + "shape"));
        n.inputs = {m_nodes[m_nodes.size() - 2].outputs[0]};
        n.outputs = {fresh(base + "softmax")};
        n.attributes["axis"].i = -1;
        const std::string flat_y = n.outputs[0], shape = m_nodes.back().outputs[0];
        m_nodes.push_back(std::move(n));
        add_node(m_nodes, "Reshape", base + "reshape", {flat_y, shape}, y);
        return;
    }
    else if ((n.op == "Squeeze" || n.op == "Unsqueeze" || n.op == "ReduceSum") && take(n, "axes", a))
    {
        n.inputs.resize(1);
        n.inputs.push_back(add_constant(base + "axes", ints_tensor(a.ints)));
    }
    else if ((n.op == "ReduceMean" || n.op == "ReduceMax") && n.inputs.size() > 1 && !n.inputs[1].empty())
    {
        const tensor* axes = m_g.constant(n.inputs[1]);  // opset 18's input is opset 17's attribute
        if (!axes)
            fail(n.where() + ": axes computed at run time cannot be written at opset 17");
        for (std::size_t k = 0; k < axes->size(); ++k)
            n.attributes["axes"].ints.push_back(static_cast<i64>(axes->data()[k]));
        n.inputs.resize(1);
    }
    else if (n.op == "Slice" && n.find("starts"))  // opset 1..9: attributes
    {
        n.inputs.resize(1);
        for (const std::string key : {"starts", "ends", "axes"})
            if (take(n, key, a))
                n.inputs.push_back(add_constant(base + key, ints_tensor(a.ints)));
    }
    else if (n.op == "Pad" && n.find("pads"))  // opset 2: attributes
    {
        take(n, "pads", a);
        n.inputs.resize(1);
        n.inputs.push_back(add_constant(base + "pads", ints_tensor(a.ints)));
        n.inputs.push_back(add_constant(base + "value", tensor(take(n, "value", a) ? a.f : 0.0f)));
    }
    else if (n.op == "Pad" && n.inputs.size() > 3 && !n.inputs[3].empty())
    {
        fail(n.where() + ": Pad with axes (opset 18) cannot be written at opset 17");
    }
    else if (n.op == "Resize" && (n.opset > 0 ? n.opset < 11 : n.inputs.size() == 2))
    {
        // opset 10 (X, scales): asymmetric coordinates, floor for nearest (ops.cpp resize)
        n.inputs = {n.inputs.at(0), "", n.inputs.at(1)};
        n.attributes["coordinate_transformation_mode"].s = "asymmetric";
        if (n.get_string("mode", "nearest") == "nearest")
            n.attributes["nearest_mode"].s = "floor";
    }
    else if (n.op == "BatchNormalization" && take(n, "spatial", a) && a.i != 1)  // opset 7, 8
    {
        fail(n.where() + ": spatial = 0 has no opset-17 form");
    }
    // Attributes of older opsets that ops.cpp ignores (it computes inference, with broadcasting): BN's and
    // Dropout's is_test (opset 6), Dropout's ratio (before 12), Gemm's broadcast (before 7).
    for (const std::string key : {"is_test", "ratio", "broadcast"})
        if (n.op == "BatchNormalization" || n.op == "Dropout" || n.op == "Gemm")
            take(n, key, a);
    n.opset = onnx_export_opset;
    m_nodes.push_back(std::move(n));
}

// clang-format off
/// Whether QuantizeLinear `q` (its factors initializers of m_typed) maps lo to its smallest integer and hi to
/// its largest: then q(clip(x, lo, hi)) = q(x) for every x, since q is monotone and saturates
/// (ONNX: q = saturate(round(x / y_scale) + y_zero_point), rounding half to even). lo = -inf or hi = +inf
/// hold trivially.
// clang-format on
bool exporter::quantize_saturates(const node& q, float lo, float hi) const
{
    const auto scale = m_typed.find(q.inputs.at(1));
    const auto zero = m_typed.find(q.inputs.at(2));
    if (scale == m_typed.end() || zero == m_typed.end() || scale->second.floats.size() != 1
        || zero->second.ints.size() != 1)
        return false;
    const float s = scale->second.floats[0];
    const double z = static_cast<double>(zero->second.ints[0]);
    const double qmax = zero->second.data_type == dtype::int8 ? 127.0 : 32767.0;
    const auto level = [&](float x)
    {
        return std::nearbyint(static_cast<double>(x / s)) + z;  // default rounding: half to even
    };
    return (std::isinf(lo) || level(lo) <= -qmax - 1.0) && (std::isinf(hi) || level(hi) >= qmax);
}

/// Relu and Clip whose output only QuantizeLinears read that saturate at its bounds (quantize_saturates) are
/// removed: the same integers, and the pattern ONNX Runtime fuses into integer kernels. ONNX Runtime 1.30
/// removes such a Clip itself only when the quantized range lies inside [min, max] to a float epsilon; when
/// the range is wider by less than half a step (percentile and mse calibrate ReLU6 outputs to 6.0009) it
/// keeps the Clip, and its 'extended' and 'all' levels then refuse the model ("two nodes with same node
/// name").
void exporter::drop_redundant_activations()
{
    std::map<std::string, std::vector<std::size_t>> readers;  // value -> indices of the nodes reading it
    for (std::size_t k = 0; k < m_nodes.size(); ++k)
        for (const std::string& x : m_nodes[k].inputs)
            readers[x].push_back(k);
    const std::set<std::string> outputs(m_g.outputs.begin(), m_g.outputs.end());
    std::set<std::size_t> dropped;
    for (std::size_t k = 0; k < m_nodes.size(); ++k)
    {
        const node& n = m_nodes[k];
        if ((n.op != "Relu" && n.op != "Clip") || n.inputs.empty() || outputs.count(n.outputs.at(0)) != 0)
            continue;
        float lo = 0.0f, hi = INFINITY;
        if (n.op == "Clip")
        {
            const tensor* min =
              n.inputs.size() > 1 && !n.inputs[1].empty() ? m_g.constant(n.inputs[1]) : nullptr;
            const tensor* max =
              n.inputs.size() > 2 && !n.inputs[2].empty() ? m_g.constant(n.inputs[2]) : nullptr;
            if ((n.inputs.size() > 1 && !n.inputs[1].empty() && (!min || min->size() != 1))
                || (n.inputs.size() > 2 && !n.inputs[2].empty() && (!max || max->size() != 1)))
                continue;  // bounds computed at run time
            lo = min ? min->data()[0] : -INFINITY;
            hi = max ? max->data()[0] : INFINITY;
        }
        const auto it = readers.find(n.outputs[0]);
        if (it == readers.end() || it->second.empty())
            continue;
        bool redundant = true;
        for (const std::size_t r : it->second)
        {
            const node& q = m_nodes[r];
            redundant = redundant && split_domain(q.op).second == "QuantizeLinear" && q.inputs.size() == 3
                        && q.inputs[0] == n.outputs[0] && quantize_saturates(q, lo, hi);
        }
        if (!redundant)
            continue;
        for (const std::size_t r : it->second)
            m_nodes[r].inputs[0] = n.inputs[0];
        readers[n.inputs[0]].insert(readers[n.inputs[0]].end(), it->second.begin(), it->second.end());
        dropped.insert(k);
    }
    std::vector<node> kept;
    for (std::size_t k = 0; k < m_nodes.size(); ++k)
        if (dropped.count(k) == 0)
            kept.push_back(std::move(m_nodes[k]));
    m_nodes = std::move(kept);
}

void exporter::quantize(node& n, const amct::quantized_layer& l, std::vector<node>& out)
{
    const std::string who = "layer '" + n.name + "' (" + n.op + ")";
    static const std::set<std::string> layer_ops = {"Conv", "ConvTranspose", "Gemm", "MatMul", "AveragePool"};
    if (layer_ops.count(n.op) == 0 || l.type != n.op)
        fail(who + ": the quantized model has it as " + l.type + "; QDQ export handles Conv, ConvTranspose, "
             + "Gemm, MatMul and AveragePool");
    if (n.inputs.empty() || n.inputs[0].empty() || l.activation.scale.size() != 1
        || l.activation.offset.size() != 1)
        fail(who + ": needs input 0 and one scale_d and offset_d");

    // activation: Q (shared by the layers reading this tensor with the same factors), DQ per layer
    const float scale_d = l.activation.scale[0];
    const int bits = l.activation.num_bits, offset_d = l.activation.offset[0];
    if (bits != 8 && bits != 16)
        fail(who + ": INT" + std::to_string(bits) + " activations have no QuantizeLinear (INT8, INT16 only)");
    const int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
    if (!(scale_d > 0.0f) || !std::isfinite(scale_d) || offset_d < lo || offset_d > hi)
        fail(who + ": scale_d " + number(scale_d) + ", offset_d " + std::to_string(offset_d)
             + " are not valid INT" + std::to_string(bits) + " factors");
    const std::string domain = bits == 8 ? "" : microsoft + ".";
    const std::string x = n.inputs[0];
    const auto key = std::make_tuple(x, scale_d, offset_d, bits);
    auto it = m_quantized.find(key);
    if (it == m_quantized.end())
    {
        quantized_input qi;
        qi.scale = add_typed(n.name + "/x_scale", scalar_or_vector("", dtype::float32, {scale_d}, false));
        qi.zero_point =
          add_typed(n.name + "/x_zero_point",
                    scalar_or_vector("", bits == 8 ? dtype::int8 : dtype::int16, {double(offset_d)}, false));
        qi.q = fresh(x + "/quantized");
        node qn;
        qn.name = fresh(n.name + "/QuantizeLinear");
        qn.op = domain + "QuantizeLinear";
        qn.inputs = {x, qi.scale, qi.zero_point};
        qn.outputs = {qi.q};
        out.push_back(std::move(qn));
        it = m_quantized.emplace(key, qi).first;
    }
    node dq;
    dq.name = fresh(n.name + "/x/DequantizeLinear");
    dq.op = domain + "DequantizeLinear";
    dq.inputs = {it->second.q, it->second.scale, it->second.zero_point};
    dq.outputs = {fresh(n.name + "/x_dequantized")};
    n.inputs[0] = dq.outputs[0];
    out.push_back(std::move(dq));

    if (l.weights.scale.empty())  // no weight (AvgPool)
    {
        if (n.op != "AveragePool")
            fail(who + ": the quantized model has no int8 weight for it");
        return;
    }
    std::size_t channels = 0;
    n.inputs[1] = quantize_weight(n, l, channels, out);

    const bool graph_bias = n.inputs.size() > 2 && !n.inputs[2].empty();
    if (l.bias_int.empty())
    {
        if (graph_bias)
            fail(who + ": the graph has a bias the quantized model lacks");
        return;
    }
    if (l.bias_int.size() != channels)
        fail(who + ": " + std::to_string(l.bias_int.size()) + " int32 biases for " + std::to_string(channels)
             + " output channels");
    std::vector<double> bias(l.bias_int.begin(), l.bias_int.end()),
      deq(l.deq_scale.begin(), l.deq_scale.end());
    const std::string b = add_typed(n.name + "/b_int32", scalar_or_vector("", dtype::int32, bias, true));
    const std::string bs = add_typed(n.name + "/b_scale", scalar_or_vector("", dtype::float32, deq, true));
    const std::string bz = add_typed(
      n.name + "/b_zero_point", scalar_or_vector("", dtype::int32, std::vector<double>(channels, 0.0), true));
    node bdq;
    bdq.name = fresh(n.name + "/b/DequantizeLinear");
    bdq.op = "DequantizeLinear";
    bdq.inputs = {b, bs, bz};
    bdq.outputs = {fresh(n.name + "/b_dequantized")};
    bdq.attributes["axis"].i = 0;
    n.inputs.resize(3);
    n.inputs[2] = bdq.outputs[0];
    out.push_back(std::move(bdq));
}

/// The DequantizeLinear of a layer's int8 weight (onnx_export.hpp); returns the float weight's name and sets
/// `channels` to the layer's output channels.
std::string exporter::quantize_weight(node& n,
                                      const amct::quantized_layer& l,
                                      std::size_t& channels,
                                      std::vector<node>& out)
{
    const std::string who = "layer '" + n.name + "' (" + n.op + ")";
    const tensor* w = n.inputs.size() > 1 ? m_g.constant(n.inputs[1]) : nullptr;
    if (!w)
        fail(who + ": its weight (input 1) is not a constant");
    const std::vector<std::size_t> shape = shape_of(*w);
    const std::vector<std::size_t> qshape(l.weight_int.shape().begin(), l.weight_int.shape().end());
    const auto dims = [](const std::vector<std::size_t>& s)
    {
        std::string text = "[";
        for (std::size_t k = 0; k < s.size(); ++k)
            text += (k ? ", " : "") + std::to_string(s[k]);
        return text + "]";
    };
    if (shape != qshape || l.weight_fake.size() != w->size())
        fail(who + ": weight of shape " + dims(shape) + " in the graph, " + dims(qshape)
             + " in the quantized model");
    const std::vector<float>& sw = l.weights.scale;
    const auto rule = amct::find_arq_rule(n.op, n.get_int("transB", 0) != 0);
    const auto groups = static_cast<std::size_t>(n.get_int("group", 1));
    channels = l.deq_scale.size();  // one per output channel
    if (channels == 0 || (sw.size() != 1 && sw.size() != channels))
        fail(who + ": " + std::to_string(sw.size()) + " weight scales for " + std::to_string(channels)
             + " output channels");
    // The graph's weight is the one amct quantized (float or fake-quantized): within half of a step.
    const float half_step = 0.5f * *std::max_element(sw.begin(), sw.end());
    for (std::size_t e = 0; e < w->size(); ++e)
    {
        const float d = std::abs(w->data()[e] - l.weight_fake.data()[e]);
        if (!(d <= half_step * (1.0f + 1e-5f)))
            fail(who + ": its weight differs from the quantized weight by " + number(d) + " at element "
                 + std::to_string(e) + ", more than half a step (" + number(half_step)
                 + "): export the graph the session calibrated (after BN fusion)");
    }

    const bool per_channel = sw.size() > 1;
    int axis = 0;
    bool regroup = false;  // grouped ConvTranspose: channels span axes 0 and 1
    switch (rule->layout)
    {
        case amct::weight_layout::out_in:
            break;
        case amct::weight_layout::in_out:
            axis = static_cast<int>(shape.size()) - 1;
            break;
        case amct::weight_layout::in_out_grouped:
            axis = 1;
            regroup = per_channel && groups > 1;
            break;
        default:
            fail(who + ": weight layout without an ONNX form");
    }
    proto::tensor_data wq;
    wq.data_type = dtype::int8;
    for (const std::size_t d : shape)
        wq.dims.push_back(static_cast<i64>(d));
    const std::int8_t* q = l.weight_int.data();
    wq.ints.assign(q, q + l.weight_int.size());
    std::size_t cin = 0, cout_g = 0, cin_g = 0, rest = 1;
    if (regroup)  // [C_in, C_out/g, k...] stored as [C_out, C_in/g, k...]: element (g, j, i, r) <- (g, i, j,
                  // r)
    {
        cin = shape[0], cout_g = shape[1], cin_g = cin / groups;
        for (std::size_t d = 2; d < shape.size(); ++d)
            rest *= shape[d];
        wq.dims[0] = static_cast<i64>(groups * cout_g);
        wq.dims[1] = static_cast<i64>(cin_g);
        for (std::size_t gi = 0; gi < groups; ++gi)
            for (std::size_t j = 0; j < cout_g; ++j)
                for (std::size_t i = 0; i < cin_g; ++i)
                    for (std::size_t r = 0; r < rest; ++r)
                        wq.ints[((gi * cout_g + j) * cin_g + i) * rest + r] =
                          q[((gi * cin_g + i) * cout_g + j) * rest + r];
        axis = 0;
    }
    const std::vector<double> scales(sw.begin(), sw.end());
    node dq;
    dq.name = fresh(n.name + "/w/DequantizeLinear");
    dq.op = "DequantizeLinear";
    dq.inputs = {
      add_typed(n.name + "/w_int8", std::move(wq)),
      add_typed(n.name + "/w_scale", scalar_or_vector("", dtype::float32, scales, per_channel)),
      add_typed(n.name + "/w_zero_point",
                scalar_or_vector("", dtype::int8, std::vector<double>(sw.size(), 0.0), per_channel))};
    dq.outputs = {fresh(n.name + "/w_dequantized")};
    if (per_channel)
        dq.attributes["axis"].i = axis;
    const std::string w_float = dq.outputs[0];
    out.push_back(std::move(dq));
    if (!regroup)
        return w_float;
    const auto size = [](std::size_t v)
    {
        return static_cast<i64>(v);
    };
    const std::string base = n.name + "/w_";
    const std::string grouped =
      add_node(out,
               "Reshape",
               base + "grouped",
               {w_float,
                add_constant(base + "grouped_shape",
                             ints_tensor({size(groups), size(cout_g), size(cin_g), size(rest)}))},
               fresh(base + "grouped"))
        .outputs[0];
    node& t = add_node(out, "Transpose", base + "transpose", {grouped}, fresh(base + "transposed"));
    t.attributes["perm"].ints = {0, 2, 1, 3};
    const std::string transposed = t.outputs[0];
    std::vector<i64> original(shape.begin(), shape.end());
    return add_node(out,
                    "Reshape",
                    base + "reshape",
                    {transposed, add_constant(base + "shape", ints_tensor(original))},
                    fresh(base + "regrouped"))
      .outputs[0];
}

proto::model_data exporter::model() const
{
    proto::model_data m;
    m.ir_version = onnx_export_ir_version;
    m.producer_name = "amct";
    m.graph_name = "amct";
    m.opset_imports.push_back({"", onnx_export_opset});

    std::map<std::string, int> types;  // element type of every value known so far
    for (const auto& [name, t] : m_typed)
    {
        types[name] = t.data_type;
        m.initializers.push_back(t);
    }
    std::set<std::string> inputs, names = m_names;
    for (const value_info& v : m_g.inputs)
        inputs.insert(v.name);
    std::map<std::pair<std::string, int>, std::string> typed_constants;  // (constant, type) -> initializer
    // The name that gives value `name` to a reader wanting element type `want`.
    const auto use = [&](const std::string& name, int want, const std::string& who) -> std::string
    {
        if (types.count(name) != 0)
            return name;
        if (inputs.count(name) != 0)
        {
            types[name] = want;
            return name;
        }
        const tensor* c = m_g.constant(name);
        if (!c)
            fail(who + ": input '" + name + "' is neither a graph input, a constant nor an earlier output");
        auto it = typed_constants.find({name, want});
        if (it == typed_constants.end())
        {
            std::string out = name;  // the first reader's type keeps the name
            for (const auto& [key, emitted] : typed_constants)
                if (key.first == name)
                    out = name + "/" + proto::data_type_name(want);
            for (int k = 1; out != name && !names.insert(out).second; ++k)
                out = name + "/" + proto::data_type_name(want) + "_" + std::to_string(k);
            m.initializers.push_back(typed_data(out, *c, want, who));
            it = typed_constants.emplace(std::make_pair(name, want), out).first;
        }
        return it->second;
    };

    bool microsoft_ops = false;
    for (const node& n : m_nodes)
    {
        const auto [domain, op] = split_domain(n.op);
        const std::string who = n.where();
        if (proto::attribute_type(op, onnx_export_opset, "") < 0)
            fail(who + ": ONNX opset " + std::to_string(onnx_export_opset) + " has no op " + op);
        microsoft_ops = microsoft_ops || domain == microsoft;
        int t = 0;  // the node's data type: its first data input whose type is known
        for (std::size_t k = 0; k < n.inputs.size() && t == 0; ++k)
            if (kind_of(op, k) == slot_kind::data && types.count(n.inputs[k]) != 0)
                t = types[n.inputs[k]];
        t = t != 0 ? t : dtype::float32;

        proto::node_data nd;
        nd.name = n.name;
        nd.domain = domain;
        nd.op_type = op;
        for (std::size_t k = 0; k < n.inputs.size(); ++k)
        {
            const slot_kind kind = kind_of(op, k);
            const int want = kind == slot_kind::index     ? dtype::int64
                             : kind == slot_kind::boolean ? dtype::boolean
                             : kind == slot_kind::data    ? t
                                                          : dtype::float32;
            nd.inputs.push_back(n.inputs[k].empty() ? "" : use(n.inputs[k], want, who));
        }
        nd.outputs = n.outputs;
        for (std::size_t k = 0; k < n.outputs.size(); ++k)
            if (!n.outputs[k].empty())
                types[n.outputs[k]] = output_type(n, k, t, types);
        for (const auto& [key, a] : n.attributes)
        {
            proto::attribute_data ad;
            ad.name = key;
            ad.type = proto::attribute_type(op, onnx_export_opset, key);
            if (ad.type == proto::attr_type::undefined)
                fail(who + ": attribute '" + key + "' does not exist at opset "
                     + std::to_string(onnx_export_opset));
            ad.i = a.i;
            ad.f = a.f;
            ad.s = a.s;
            ad.ints = a.ints;
            ad.floats = a.floats;
            if (a.t)
                ad.t = typed_data(key, *a.t, dtype::float32, who);
            nd.attributes.push_back(std::move(ad));
        }
        m.nodes.push_back(std::move(nd));
    }
    if (microsoft_ops)
        m.opset_imports.push_back({microsoft, 1});
    for (const value_info& v : m_g.inputs)
    {
        proto::value_data in;
        in.name = v.name;
        in.elem_type = types.count(v.name) ? types[v.name] : dtype::float32;
        in.has_shape = true;
        in.shape = v.shape;
        m.inputs.push_back(std::move(in));
    }
    for (const std::string& name : m_g.outputs)
    {
        proto::value_data o;
        o.name = use(name, dtype::float32, "graph output '" + name + "'");
        o.elem_type = types.count(o.name) ? types[o.name] : dtype::float32;
        m.outputs.push_back(std::move(o));
    }
    return m;
}

/// Output shapes from ONNX's shape inference on the float model (which knows every op; com.microsoft's
/// int16 QuantizeLinear would stop it), else as the model file declared them; the checker, then the file.
void finish(proto::model_data& m,
            const proto::model_data& float_model,
            const graph& g,
            const std::string& path)
{
    try
    {
        const std::vector<proto::value_data> inferred = proto::infer_outputs(float_model);
        for (std::size_t k = 0; k < m.outputs.size(); ++k)
        {
            proto::value_data& o = m.outputs[k];
            const auto declared = g.output_shapes.find(g.outputs[k]);
            if (inferred.at(k).has_shape)
            {
                o.shape = inferred[k].shape;
                o.dim_params = inferred[k].dim_params;
            }
            else if (declared != g.output_shapes.end())
                o.shape = declared->second;
            else
                fail("neither ONNX's shape inference nor the model file tell the rank of output '" + o.name
                     + "'");
            o.has_shape = true;
        }
        const std::string problem = proto::check_model(m);
        if (!problem.empty())
            fail("ONNX's checker rejects the model for " + path + ": " + problem);
        proto::write_model(m, path);
    }
    catch (const proto::encode_error& e)
    {
        fail(e.what());
    }
}
}  // namespace

void save_onnx(const graph& g, const std::string& path)
{
    proto::model_data m = exporter(g).model();
    finish(m, m, g, path);
}

void save_onnx_qdq(const graph& g, const amct::quantized_model& q, const std::string& path)
{
    exporter e(g);
    e.add_qdq(q);
    proto::model_data m = e.model();
    finish(m, exporter(g).model(), g, path);
}

void save_onnx_tensor(const tensor& t, const std::string& name, int data_type, const std::string& path)
{
    try
    {
        proto::write_tensor(typed_data(name, t, data_type, path), path);
    }
    catch (const proto::encode_error& e)
    {
        fail(e.what());
    }
}
}  // namespace refrt
