// ONNX protobuf decoding and encoding (onnx_proto.hpp) with the classes libonnx-dev generates from
// onnx-ml.proto; operator schemas, shape inference and the checker from libonnx.
#include "onnx_proto.hpp"

#include <cstring>      // std::memcpy
#include <fstream>      // std::ofstream
#include <limits>       // std::numeric_limits
#include <type_traits>  // std::conditional_t

#include <amct/detail/text_file.hpp>  // amct::detail::read_regular_file

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

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
    const std::string bytes = read_model_file(path);
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

/// Appends v to out little-endian (bit-copied through the unsigned integer of its width).
template <typename T>
void encode_le(T v, std::string& out)
{
    uint_of<T> u;
    std::memcpy(&u, &v, sizeof(T));
    for (std::size_t k = 0; k < sizeof(T); ++k)
        out.push_back(static_cast<char>((static_cast<std::uint64_t>(u) >> (8U * k)) & 0xffU));
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
    // every element takes at least one byte of the file, so a count above the file limit is refused before
    // any product can overflow (count * 8 bytes of uint64_data fits size_t). The product of the non-zero
    // dimensions is bounded too: a tensor with a zero dimension has no elements, but its other dimensions
    // still give the strides (xtensor multiplies them as signed integers).
    std::uint64_t elements = 1;
    for (const std::int64_t d : t.dims())
    {
        if (d < 0)
            fail(where, "negative dimension " + std::to_string(d));
        out.dims.push_back(d);
        if (d == 0)
            continue;
        if (elements > max_model_file_bytes / static_cast<std::uint64_t>(d))
            elements = max_model_file_bytes + 1;  // saturated: stays above the limit
        else
            elements *= static_cast<std::uint64_t>(d);
    }
    if (elements > max_model_file_bytes)
    {
        std::string dims;
        for (const std::int64_t d : out.dims)
            dims += (dims.empty() ? "" : " x ") + std::to_string(d);
        fail(where,
             "dimensions " + dims + " give more elements than a file of at most "
               + std::to_string(max_model_file_bytes >> 30) + " GiB can hold");
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

[[noreturn]] void encode_fail(const std::string& where, const std::string& what)
{
    throw encode_error(where + ": " + what);
}

/// Appends `count` elements of `src` as T; each must be a T's value.
template <typename T, typename In>
void write_elements(const std::vector<In>& src, std::size_t count, std::string& raw, const std::string& where)
{
    if (src.size() != count)
        encode_fail(where, std::to_string(src.size()) + " values for " + std::to_string(count) + " elements");
    raw.reserve(count * sizeof(T));
    for (const In v : src)
    {
        const T t = static_cast<T>(v);
        if constexpr (std::is_integral_v<T>)
            if (static_cast<In>(t) != v)
                encode_fail(where, "value " + std::to_string(v) + " is outside the data type's range");
        encode_le<T>(t, raw);
    }
}

onnx::TensorProto encode_tensor(const tensor_data& t, const std::string& where)
{
    onnx::TensorProto out;
    out.set_name(t.name);
    out.set_data_type(t.data_type);
    for (const std::int64_t d : t.dims)
        out.add_dims(d);
    const std::size_t count = t.size();
    std::string raw;
    switch (t.data_type)
    {
        case onnx::TensorProto_DataType_FLOAT:
            write_elements<float>(t.floats, count, raw, where);
            break;
        case onnx::TensorProto_DataType_DOUBLE:
            write_elements<double>(t.floats, count, raw, where);
            break;
        case onnx::TensorProto_DataType_UINT8:
        case onnx::TensorProto_DataType_BOOL:
            write_elements<std::uint8_t>(t.ints, count, raw, where);
            break;
        case onnx::TensorProto_DataType_INT8:
            write_elements<std::int8_t>(t.ints, count, raw, where);
            break;
        case onnx::TensorProto_DataType_UINT16:
            write_elements<std::uint16_t>(t.ints, count, raw, where);
            break;
        case onnx::TensorProto_DataType_INT16:
            write_elements<std::int16_t>(t.ints, count, raw, where);
            break;
        case onnx::TensorProto_DataType_INT32:
            write_elements<std::int32_t>(t.ints, count, raw, where);
            break;
        case onnx::TensorProto_DataType_INT64:
            write_elements<std::int64_t>(t.ints, count, raw, where);
            break;
        case onnx::TensorProto_DataType_UINT32:
            write_elements<std::uint32_t>(t.ints, count, raw, where);
            break;
        default:
            encode_fail(where,
                        "cannot encode data_type " + std::to_string(t.data_type) + " ("
                          + data_type_name(t.data_type) + ")");
    }
    out.set_raw_data(std::move(raw));
    return out;
}

onnx::AttributeProto encode_attribute(const attribute_data& a, const std::string& where)
{
    onnx::AttributeProto out;
    out.set_name(a.name);
    out.set_type(static_cast<onnx::AttributeProto_AttributeType>(a.type));
    switch (a.type)
    {
        case attr_type::float32:
            out.set_f(a.f);
            break;
        case attr_type::int64:
            out.set_i(a.i);
            break;
        case attr_type::string:
            out.set_s(a.s);
            break;
        case attr_type::tensor:
            if (!a.t)
                encode_fail(where, "attribute '" + a.name + "' has no tensor");
            *out.mutable_t() = encode_tensor(*a.t, where + " (attribute '" + a.name + "')");
            break;
        case attr_type::floats:
            out.mutable_floats()->Add(a.floats.begin(), a.floats.end());
            break;
        case attr_type::ints:
            out.mutable_ints()->Add(a.ints.begin(), a.ints.end());
            break;
        default:
            encode_fail(where, "attribute '" + a.name + "' of unsupported type " + std::to_string(a.type));
    }
    return out;
}

void encode_value(const value_data& v, onnx::ValueInfoProto& out)
{
    out.set_name(v.name);
    auto* tt = out.mutable_type()->mutable_tensor_type();
    tt->set_elem_type(v.elem_type);
    if (!v.has_shape)
        return;
    auto* shape = tt->mutable_shape();
    for (std::size_t k = 0; k < v.shape.size(); ++k)
    {
        auto* d = shape->add_dim();
        if (v.shape[k] >= 0)
            d->set_dim_value(v.shape[k]);
        else if (k < v.dim_params.size() && !v.dim_params[k].empty())
            d->set_dim_param(v.dim_params[k]);
    }
}

onnx::ModelProto encode_model(const model_data& m, const std::string& where)
{
    onnx::ModelProto model;
    model.set_ir_version(m.ir_version);
    model.set_producer_name(m.producer_name);
    for (const opset_data& o : m.opset_imports)
    {
        auto* op = model.add_opset_import();
        op->set_domain(o.domain);
        op->set_version(o.version);
    }
    auto* g = model.mutable_graph();
    g->set_name(m.graph_name);
    for (const node_data& n : m.nodes)
    {
        auto* out = g->add_node();
        out->set_name(n.name);
        out->set_op_type(n.op_type);
        out->set_domain(n.domain);
        for (const std::string& i : n.inputs)
            out->add_input(i);
        for (const std::string& o : n.outputs)
            out->add_output(o);
        for (const attribute_data& a : n.attributes)
            *out->add_attribute() = encode_attribute(a, where + " (node '" + n.name + "')");
    }
    for (const tensor_data& t : m.initializers)
        *g->add_initializer() = encode_tensor(t, where + " (initializer '" + t.name + "')");
    for (const value_data& v : m.inputs)
        encode_value(v, *g->add_input());
    for (const value_data& v : m.outputs)
        encode_value(v, *g->add_output());
    return model;
}

template <typename Proto>
void write_file(const Proto& proto, const std::string& path)
{
    std::string bytes;
    if (!proto.SerializeToString(&bytes))
        encode_fail(path, "cannot serialize (larger than 2 GB?)");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
        encode_fail(path, "cannot write file");
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
        {
            out.shape.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
            out.dim_params.push_back(d.has_dim_param() ? d.dim_param() : "");
        }
    }
    return out;
}
}  // namespace

std::size_t tensor_data::size() const
{
    std::size_t n = 1;
    for (const std::int64_t d : dims)
    {
        const auto u = static_cast<std::size_t>(d < 0 ? 0 : d);
        if (u != 0 && n > std::numeric_limits<std::size_t>::max() / u)
            return std::numeric_limits<std::size_t>::max();
        n *= u;
    }
    return n;
}

std::string read_model_file(const std::string& path)
{
    std::string bytes, problem;
    if (!amct::detail::read_regular_file(
          path, max_model_file_bytes, "the reference runtime's model reader", bytes, problem))
        fail(path, problem);
    return bytes;
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
    {
        out.opset_imports.push_back({op.domain(), static_cast<int>(op.version())});
        if (op.domain().empty() || op.domain() == "ai.onnx")
            out.opset = static_cast<int>(op.version());
    }
    out.ir_version = model.ir_version();
    out.producer_name = model.producer_name();
    if (!model.has_graph())
        fail(path, "model has no graph");
    const auto& g = model.graph();
    out.graph_name = g.name();
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

void write_model(const model_data& m, const std::string& path)
{
    write_file(encode_model(m, path), path);
}

void write_tensor(const tensor_data& t, const std::string& path)
{
    write_file(encode_tensor(t, path), path);
}

int attribute_type(const std::string& op_type, int opset, const std::string& name)
{
    const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(op_type, opset, "");
    if (schema == nullptr)
        return -1;
    const auto& attributes = schema->attributes();
    const auto it = attributes.find(name);
    return it == attributes.end() ? attr_type::undefined : static_cast<int>(it->second.type);
}

std::vector<value_data> infer_outputs(const model_data& m)
{
    onnx::ModelProto model = encode_model(m, "shape inference");
    try
    {
        onnx::shape_inference::InferShapes(
          model, onnx::OpSchemaRegistry::Instance(), onnx::ShapeInferenceOptions(false, 0, true));
    }
    catch (const std::exception& e)
    {
        encode_fail("shape inference", e.what());
    }
    const auto& g = model.graph();
    std::vector<value_data> out;
    for (const auto& o : g.output())
    {
        value_data v = convert_value(o);
        for (const auto& info : g.value_info())
            if (!v.has_shape && info.name() == o.name())
                v = convert_value(info);
        out.push_back(std::move(v));
    }
    return out;
}

std::string check_model(const model_data& m)
{
    try
    {
        onnx::checker::check_model(encode_model(m, "checker"));
    }
    catch (const std::exception& e)
    {
        return e.what();
    }
    return "";
}
}  // namespace refrt::proto
