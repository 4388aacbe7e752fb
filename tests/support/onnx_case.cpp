// Implementation of the ONNX backend test-case loader declared in onnx_case.hpp.
// Uses the protobuf classes generated for onnx-ml.proto (libonnx-dev); the
// build must define ONNX_ML=1 and ONNX_NAMESPACE=onnx (see CMakeLists.txt).

#include "onnx_case.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <onnx/onnx_pb.h>

namespace amct_test
{

namespace
{

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& where, const std::string& what)
{
    throw std::runtime_error("amct_test::load_onnx_case: " + where + ": " + what);
}

std::string read_file_bytes(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path.string(), "cannot open file");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        fail(path.string(), "read error");
    return bytes;
}

template <typename Proto>
Proto parse_file(const fs::path& path, const char* type_name)
{
    const std::string bytes = read_file_bytes(path);
    Proto proto;
    if (!proto.ParseFromString(bytes))
    {
        fail(path.string(), std::string("not a valid ") + type_name + " protobuf");
    }
    return proto;
}

// Little-endian decode of one element of raw_data. U is the unsigned integer
// type of the element's width; T the element type (bit-copied from U).
template <typename T, typename U>
T decode_le(const unsigned char* p)
{
    static_assert(sizeof(T) == sizeof(U), "width mismatch");
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < sizeof(U); ++k)
    {
        v |= static_cast<std::uint64_t>(p[k]) << (8U * k);
    }
    const U u = static_cast<U>(v);
    T out;
    std::memcpy(&out, &u, sizeof(T));
    return out;
}

template <typename T, typename U, typename Out>
void decode_raw(const std::string& raw, std::size_t count, std::vector<Out>& out, const std::string& where)
{
    if (raw.size() != count * sizeof(T))
    {
        fail(where,
             "raw_data has " + std::to_string(raw.size()) + " bytes, expected " + std::to_string(count)
               + " elements of " + std::to_string(sizeof(T)) + " bytes");
    }
    out.reserve(count);
    const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
    for (std::size_t e = 0; e < count; ++e)
    {
        out.push_back(static_cast<Out>(decode_le<T, U>(bytes + e * sizeof(T))));
    }
}

template <typename Field, typename Out>
void copy_field(const Field& field,
                std::size_t count,
                std::vector<Out>& out,
                const char* field_name,
                const std::string& where)
{
    const auto n = static_cast<std::size_t>(field.size());
    if (n != count)
    {
        fail(where,
             std::string(field_name) + " has " + std::to_string(n) + " elements, expected "
               + std::to_string(count));
    }
    out.reserve(count);
    for (const auto& v : field)
        out.push_back(static_cast<Out>(v));
}

onnx_tensor convert_tensor(const onnx::TensorProto& t, const std::string& where)
{
    onnx_tensor out;
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
    {
        fail(where, "external tensor data is not supported");
    }

    const std::size_t count = out.size();
    const bool has_raw = t.has_raw_data();
    const std::string& raw = t.raw_data();

    switch (t.data_type())
    {
        case onnx::TensorProto_DataType_FLOAT:
            if (has_raw)
                decode_raw<float, std::uint32_t>(raw, count, out.floats, where);
            else
                copy_field(t.float_data(), count, out.floats, "float_data", where);
            break;
        case onnx::TensorProto_DataType_UINT8:
            if (has_raw)
                decode_raw<std::uint8_t, std::uint8_t>(raw, count, out.ints, where);
            else
                copy_field(t.int32_data(), count, out.ints, "int32_data", where);
            break;
        case onnx::TensorProto_DataType_INT8:
            if (has_raw)
                decode_raw<std::int8_t, std::uint8_t>(raw, count, out.ints, where);
            else
                copy_field(t.int32_data(), count, out.ints, "int32_data", where);
            break;
        case onnx::TensorProto_DataType_UINT16:
            if (has_raw)
                decode_raw<std::uint16_t, std::uint16_t>(raw, count, out.ints, where);
            else
                copy_field(t.int32_data(), count, out.ints, "int32_data", where);
            break;
        case onnx::TensorProto_DataType_INT16:
            if (has_raw)
                decode_raw<std::int16_t, std::uint16_t>(raw, count, out.ints, where);
            else
                copy_field(t.int32_data(), count, out.ints, "int32_data", where);
            break;
        case onnx::TensorProto_DataType_INT32:
            if (has_raw)
                decode_raw<std::int32_t, std::uint32_t>(raw, count, out.ints, where);
            else
                copy_field(t.int32_data(), count, out.ints, "int32_data", where);
            break;
        case onnx::TensorProto_DataType_INT64:
            if (has_raw)
                decode_raw<std::int64_t, std::uint64_t>(raw, count, out.ints, where);
            else
                copy_field(t.int64_data(), count, out.ints, "int64_data", where);
            break;
        case onnx::TensorProto_DataType_BOOL:
            if (has_raw)
                decode_raw<std::uint8_t, std::uint8_t>(raw, count, out.ints, where);
            else
                copy_field(t.int32_data(), count, out.ints, "int32_data", where);
            break;
        case onnx::TensorProto_DataType_UINT32:
            if (has_raw)
                decode_raw<std::uint32_t, std::uint32_t>(raw, count, out.ints, where);
            else
                copy_field(t.uint64_data(), count, out.ints, "uint64_data", where);
            break;
        default:
            fail(where,
                 "unsupported tensor data_type " + std::to_string(t.data_type()) + " ("
                   + onnx::TensorProto_DataType_Name(t.data_type()) + ")");
    }
    return out;
}

onnx_attribute convert_attribute(const onnx::AttributeProto& a)
{
    onnx_attribute out;
    out.name = a.name();
    out.type = a.type();
    out.i = a.i();
    out.f = a.f();
    out.s = a.s();
    out.ints.assign(a.ints().begin(), a.ints().end());
    out.floats.assign(a.floats().begin(), a.floats().end());
    return out;
}

onnx_node convert_node(const onnx::NodeProto& n)
{
    onnx_node out;
    out.op_type = n.op_type();
    out.inputs.assign(n.input().begin(), n.input().end());
    out.outputs.assign(n.output().begin(), n.output().end());
    out.attributes.reserve(static_cast<std::size_t>(n.attribute_size()));
    for (const auto& a : n.attribute())
        out.attributes.push_back(convert_attribute(a));
    return out;
}

// Loads <dir>/<prefix>_0.pb, <prefix>_1.pb, ... up to the first missing index.
std::vector<onnx_tensor> load_numbered_tensors(const fs::path& dir, const std::string& prefix)
{
    std::vector<onnx_tensor> tensors;
    for (std::size_t idx = 0;; ++idx)
    {
        const fs::path file = dir / (prefix + "_" + std::to_string(idx) + ".pb");
        std::error_code ec;
        if (!fs::exists(file, ec))
            break;
        const auto proto = parse_file<onnx::TensorProto>(file, "TensorProto");
        tensors.push_back(convert_tensor(proto, file.string()));
    }
    return tensors;
}

std::string case_name_of(const std::string& case_dir)
{
    std::string trimmed = case_dir;
    while (trimmed.size() > 1 && (trimmed.back() == '/' || trimmed.back() == '\\'))
        trimmed.pop_back();
    return fs::path(trimmed).filename().string();
}

}  // namespace

std::size_t onnx_tensor::size() const
{
    std::size_t n = 1;
    for (const std::int64_t d : dims)
        n *= static_cast<std::size_t>(d);
    return n;
}

const onnx_attribute* onnx_node::attribute(std::string_view attr_name) const
{
    for (const auto& a : attributes)
    {
        if (a.name == attr_name)
            return &a;
    }
    return nullptr;
}

onnx_case load_onnx_case(const std::string& case_dir)
{
    const fs::path dir(case_dir);
    const fs::path model_path = dir / "model.onnx";
    const auto model = parse_file<onnx::ModelProto>(model_path, "ModelProto");
    const std::string model_where = model_path.string();

    onnx_case out;
    out.name = case_name_of(case_dir);

    for (const auto& op : model.opset_import())
    {
        if (op.domain().empty() || op.domain() == "ai.onnx")
        {
            out.opset = static_cast<int>(op.version());
        }
    }
    if (!model.has_graph())
        fail(model_where, "model has no graph");
    const auto& graph = model.graph();

    out.nodes.reserve(static_cast<std::size_t>(graph.node_size()));
    for (const auto& n : graph.node())
        out.nodes.push_back(convert_node(n));
    for (const auto& v : graph.input())
        out.graph_inputs.push_back(v.name());
    for (const auto& v : graph.output())
        out.graph_outputs.push_back(v.name());
    for (const auto& t : graph.initializer())
    {
        out.initializers.push_back(convert_tensor(t, model_where + " (initializer '" + t.name() + "')"));
    }

    const fs::path data_dir = dir / "test_data_set_0";
    std::error_code ec;
    if (!fs::is_directory(data_dir, ec))
        fail(data_dir.string(), "test data directory not found");
    out.inputs = load_numbered_tensors(data_dir, "input");
    out.outputs = load_numbered_tensors(data_dir, "output");
    return out;
}

std::string onnx_testdata_root()
{
    const char* env = std::getenv("AMCT_ONNX_TESTDATA");
    if (env != nullptr && *env != '\0')
        return env;
    return "/usr/share/libonnx-testdata/data/node";
}

}  // namespace amct_test
