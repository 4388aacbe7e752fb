// ONNX protobuf decoding (onnx_proto.hpp) with the classes libonnx-dev generates from onnx-ml.proto.
#include "onnx_proto.hpp"

#include <cstring>      // std::memcpy
#include <fstream>      // std::ifstream
#include <iterator>     // std::istreambuf_iterator
#include <type_traits>  // std::conditional_t

#include <onnx/onnx_pb.h>

namespace refrt::proto
{
namespace
{
[[noreturn]] void fail(const std::string& where, const std::string& what)
{
    throw decode_error(where + ": " + what);
}

template <typename Proto>
Proto parse_file(const std::string& path, const char* type_name)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path, "cannot open file");
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        fail(path, "read error");
    Proto proto;
    if (!proto.ParseFromString(bytes))
        fail(path, std::string("not a valid ") + type_name + " protobuf");
    return proto;
}

/// The unsigned integer of T's width.
template <typename T>
using uint_of =
  std::conditional_t<sizeof(T) == 1,
                     std::uint8_t,
                     std::conditional_t<sizeof(T) == 2,
                                        std::uint16_t,
                                        std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;

/// A T stored little-endian at p (bit-copied from the unsigned integer of its width).
template <typename T>
T decode_le(const unsigned char* p)
{
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < sizeof(T); ++k)
        v |= static_cast<std::uint64_t>(p[k]) << (8U * k);
    const auto u = static_cast<uint_of<T>>(v);
    T out;
    std::memcpy(&out, &u, sizeof(T));
    return out;
}

/// The count elements of a tensor of element type T: raw_data (little-endian) if set, else the typed field.
template <typename T, typename Field, typename Out>
void read_elements(const onnx::TensorProto& t,
                   std::size_t count,
                   const Field& field,
                   const char* field_name,
                   std::vector<Out>& out,
                   const std::string& where)
{
    if (t.has_raw_data())
    {
        const std::string& raw = t.raw_data();
        if (raw.size() != count * sizeof(T))
        {
            fail(where,
                 "raw_data has " + std::to_string(raw.size()) + " bytes, expected " + std::to_string(count)
                   + " elements of " + std::to_string(sizeof(T)) + " bytes");
        }
        out.reserve(count);
        const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
        for (std::size_t e = 0; e < count; ++e)
            out.push_back(static_cast<Out>(decode_le<T>(bytes + e * sizeof(T))));
        return;
    }
    const auto n = static_cast<std::size_t>(field.size());
    if (n != count)
        fail(where,
             std::string(field_name) + " has " + std::to_string(n) + " elements, expected "
               + std::to_string(count));
    out.reserve(count);
    for (const auto& v : field)
        out.push_back(static_cast<Out>(v));
}

tensor_data convert_tensor(const onnx::TensorProto& t, const std::string& where)
{
    tensor_data out;
    out.name = t.name();
    out.data_type = t.data_type();
    out.dims.reserve(static_cast<std::size_t>(t.dims_size()));
    for (const std::int64_t d : t.dims())
    {
        if (d < 0)
            fail(where, "negative dimension " + std::to_string(d));
        out.dims.push_back(d);
    }
    if (t.has_segment())
        fail(where, "segmented tensors are not supported");
    if (t.data_location() == onnx::TensorProto_DataLocation_EXTERNAL || t.external_data_size() > 0)
        fail(where, "external tensor data is not supported");

    const std::size_t count = out.size();
    switch (t.data_type())
    {
        case onnx::TensorProto_DataType_FLOAT:
            read_elements<float>(t, count, t.float_data(), "float_data", out.floats, where);
            break;
        case onnx::TensorProto_DataType_DOUBLE:
            read_elements<double>(t, count, t.double_data(), "double_data", out.floats, where);
            break;
        case onnx::TensorProto_DataType_UINT8:
        case onnx::TensorProto_DataType_BOOL:
            read_elements<std::uint8_t>(t, count, t.int32_data(), "int32_data", out.ints, where);
            break;
        case onnx::TensorProto_DataType_INT8:
            read_elements<std::int8_t>(t, count, t.int32_data(), "int32_data", out.ints, where);
            break;
        case onnx::TensorProto_DataType_UINT16:
            read_elements<std::uint16_t>(t, count, t.int32_data(), "int32_data", out.ints, where);
            break;
        case onnx::TensorProto_DataType_INT16:
            read_elements<std::int16_t>(t, count, t.int32_data(), "int32_data", out.ints, where);
            break;
        case onnx::TensorProto_DataType_INT32:
            read_elements<std::int32_t>(t, count, t.int32_data(), "int32_data", out.ints, where);
            break;
        case onnx::TensorProto_DataType_INT64:
            read_elements<std::int64_t>(t, count, t.int64_data(), "int64_data", out.ints, where);
            break;
        case onnx::TensorProto_DataType_UINT32:
            read_elements<std::uint32_t>(t, count, t.uint64_data(), "uint64_data", out.ints, where);
            break;
        case onnx::TensorProto_DataType_UINT64:
            read_elements<std::uint64_t>(t, count, t.uint64_data(), "uint64_data", out.ints, where);
            break;
        default:
            fail(where,
                 "unsupported tensor data_type " + std::to_string(t.data_type()) + " ("
                   + data_type_name(t.data_type()) + ")");
    }
    return out;
}

attribute_data convert_attribute(const onnx::AttributeProto& a, const std::string& where)
{
    attribute_data out;
    out.name = a.name();
    out.type = a.type();
    out.i = a.i();
    out.f = a.f();
    out.s = a.s();
    out.ints.assign(a.ints().begin(), a.ints().end());
    out.floats.assign(a.floats().begin(), a.floats().end());
    if (a.has_t())
    {
        try
        {
            out.t = convert_tensor(a.t(), where + " (attribute '" + a.name() + "')");
        }
        catch (const decode_error& e)
        {
            out.t_error = e.what();
        }
    }
    return out;
}

value_data convert_value(const onnx::ValueInfoProto& v)
{
    value_data out;
    out.name = v.name();
    if (v.has_type() && v.type().has_tensor_type())
    {
        const auto& tt = v.type().tensor_type();
        out.elem_type = tt.elem_type();
        out.has_shape = tt.has_shape();
        for (const auto& d : tt.shape().dim())
            out.shape.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
    }
    return out;
}
}  // namespace

std::size_t tensor_data::size() const
{
    std::size_t n = 1;
    for (const std::int64_t d : dims)
        n *= static_cast<std::size_t>(d);
    return n;
}

std::string data_type_name(int data_type)
{
    if (onnx::TensorProto_DataType_IsValid(data_type))
        return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(data_type));
    return std::to_string(data_type);
}

model_data read_model(const std::string& path)
{
    const auto model = parse_file<onnx::ModelProto>(path, "ModelProto");
    model_data out;
    for (const auto& op : model.opset_import())
        if (op.domain().empty() || op.domain() == "ai.onnx")
            out.opset = static_cast<int>(op.version());
    if (!model.has_graph())
        fail(path, "model has no graph");
    const auto& g = model.graph();
    out.nodes.reserve(static_cast<std::size_t>(g.node_size()));
    for (const auto& n : g.node())
    {
        node_data nd;
        nd.name = n.name();
        nd.op_type = n.op_type();
        nd.domain = n.domain();
        nd.inputs.assign(n.input().begin(), n.input().end());
        nd.outputs.assign(n.output().begin(), n.output().end());
        const std::string where = path + " (node '" + n.name() + "')";
        for (const auto& a : n.attribute())
            nd.attributes.push_back(convert_attribute(a, where));
        out.nodes.push_back(std::move(nd));
    }
    for (const auto& t : g.initializer())
        out.initializers.push_back(convert_tensor(t, path + " (initializer '" + t.name() + "')"));
    for (const auto& v : g.input())
        out.inputs.push_back(convert_value(v));
    for (const auto& v : g.output())
        out.outputs.push_back(convert_value(v));
    return out;
}

tensor_data read_tensor(const std::string& path)
{
    return convert_tensor(parse_file<onnx::TensorProto>(path, "TensorProto"), path);
}
}  // namespace refrt::proto
