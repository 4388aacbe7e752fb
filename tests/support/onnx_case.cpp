// Implementation of the ONNX backend test-case loader declared in onnx_case.hpp, on top of the reference
// runtime's protobuf decoder (runtime/refrt/onnx_proto.hpp).

#include "onnx_case.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include <refrt/onnx_proto.hpp>

namespace amct_test
{

namespace
{

namespace fs = std::filesystem;
namespace proto = refrt::proto;

constexpr const char* prefix = "amct_test::load_onnx_case: ";

[[noreturn]] void fail(const std::string& where, const std::string& what)
{
    throw std::runtime_error(prefix + where + ": " + what);
}

// The decoder also reads DOUBLE and UINT64; this loader keeps its narrower set of types.
onnx_tensor convert_tensor(proto::tensor_data&& t, const std::string& where)
{
    switch (t.data_type)
    {
        case onnx_dtype::float32:
        case onnx_dtype::uint8:
        case onnx_dtype::int8:
        case onnx_dtype::uint16:
        case onnx_dtype::int16:
        case onnx_dtype::int32:
        case onnx_dtype::int64:
        case onnx_dtype::boolean:
        case onnx_dtype::uint32:
            break;
        default:
            fail(where,
                 "unsupported tensor data_type " + std::to_string(t.data_type) + " ("
                   + proto::data_type_name(t.data_type) + ")");
    }
    onnx_tensor out;
    out.name = std::move(t.name);
    out.data_type = t.data_type;
    out.dims = std::move(t.dims);
    out.floats = std::move(t.floats);
    out.ints = std::move(t.ints);
    return out;
}

onnx_attribute convert_attribute(proto::attribute_data&& a)
{
    onnx_attribute out;
    out.name = std::move(a.name);
    out.type = a.type;
    out.i = a.i;
    out.f = a.f;
    out.s = std::move(a.s);
    out.ints = std::move(a.ints);
    out.floats = std::move(a.floats);
    return out;
}

// Loads <dir>/<prefix>_0.pb, <prefix>_1.pb, ... up to the first missing index.
std::vector<onnx_tensor> load_numbered_tensors(const fs::path& dir, const std::string& name_prefix)
{
    std::vector<onnx_tensor> tensors;
    for (std::size_t idx = 0;; ++idx)
    {
        const fs::path file = dir / (name_prefix + "_" + std::to_string(idx) + ".pb");
        std::error_code ec;
        if (!fs::exists(file, ec))
            break;
        tensors.push_back(convert_tensor(proto::read_tensor(file.string()), file.string()));
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

onnx_case load(const std::string& case_dir)
{
    const fs::path dir(case_dir);
    const std::string model_path = (dir / "model.onnx").string();
    proto::model_data model = proto::read_model(model_path);

    onnx_case out;
    out.name = case_name_of(case_dir);
    out.opset = model.opset;
    out.nodes.reserve(model.nodes.size());
    for (auto& n : model.nodes)
    {
        onnx_node node;
        node.op_type = std::move(n.op_type);
        node.inputs = std::move(n.inputs);
        node.outputs = std::move(n.outputs);
        node.attributes.reserve(n.attributes.size());
        for (auto& a : n.attributes)
            node.attributes.push_back(convert_attribute(std::move(a)));
        out.nodes.push_back(std::move(node));
    }
    for (const auto& v : model.inputs)
        out.graph_inputs.push_back(v.name);
    for (const auto& v : model.outputs)
        out.graph_outputs.push_back(v.name);
    for (auto& t : model.initializers)
    {
        const std::string where = model_path + " (initializer '" + t.name + "')";
        out.initializers.push_back(convert_tensor(std::move(t), where));
    }

    const fs::path data_dir = dir / "test_data_set_0";
    std::error_code ec;
    if (!fs::is_directory(data_dir, ec))
        fail(data_dir.string(), "test data directory not found");
    out.inputs = load_numbered_tensors(data_dir, "input");
    out.outputs = load_numbered_tensors(data_dir, "output");
    return out;
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
    try
    {
        return load(case_dir);
    }
    catch (const proto::decode_error& e)
    {
        throw std::runtime_error(prefix + std::string(e.what()));
    }
}

std::string onnx_testdata_root()
{
    const char* env = std::getenv("AMCT_ONNX_TESTDATA");
    if (env != nullptr && *env != '\0')
        return env;
    return "/usr/share/libonnx-testdata/data/node";
}

}  // namespace amct_test
