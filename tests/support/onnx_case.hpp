// Test support: load one ONNX backend test case (model.onnx plus
// test_data_set_0/{input,output}_N.pb) into plain C++ structs.
//
// No protobuf or ONNX types appear here; the protobuf parsing lives in
// onnx_case.cpp, which is built into the static library amct_onnx_case.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace amct_test
{

// TensorProto::DataType values used by the tests.
namespace onnx_dtype
{
inline constexpr int undefined = 0;
inline constexpr int float32 = 1;
inline constexpr int uint8 = 2;
inline constexpr int int8 = 3;
inline constexpr int uint16 = 4;
inline constexpr int int16 = 5;
inline constexpr int int32 = 6;
inline constexpr int int64 = 7;
inline constexpr int boolean = 9;
inline constexpr int uint32 = 12;
}  // namespace onnx_dtype

// AttributeProto::AttributeType values used by the tests.
namespace onnx_attr_type
{
inline constexpr int undefined = 0;
inline constexpr int float32 = 1;
inline constexpr int int64 = 2;
inline constexpr int string = 3;
inline constexpr int tensor = 4;
inline constexpr int floats = 6;
inline constexpr int ints = 7;
}  // namespace onnx_attr_type

// One TensorProto, converted.
struct onnx_tensor
{
    std::string name;
    int data_type = 0;               // TensorProto::DataType value (see onnx_dtype)
    std::vector<std::int64_t> dims;  // empty for a scalar
    std::vector<float> floats;       // filled when data_type is FLOAT
    std::vector<std::int64_t> ints;  // filled for uint8, int8, uint16, int16, int32, int64
                                     // (and bool, uint32), widened
    std::size_t size() const;        // product of dims (1 for a scalar)
};

// One AttributeProto, converted. Only the field matching `type` is meaningful.
// TENSOR/GRAPH/... payloads are not converted.
struct onnx_attribute
{
    std::string name;
    int type = 0;  // AttributeProto::AttributeType value (see onnx_attr_type)
    std::int64_t i = 0;
    float f = 0;
    std::string s;
    std::vector<std::int64_t> ints;
    std::vector<float> floats;
};

struct onnx_node
{
    std::string op_type;
    std::vector<std::string> inputs, outputs;  // "" marks an omitted optional input
    std::vector<onnx_attribute> attributes;
    // nullptr when the node has no attribute of that name.
    const onnx_attribute* attribute(std::string_view name) const;
};

struct onnx_case
{
    std::string name;                                      // directory name, e.g. "test_quantizelinear_axis"
    int opset = 0;                                         // default-domain opset_import version
    std::vector<onnx_node> nodes;                          // graph nodes in order
    std::vector<std::string> graph_inputs, graph_outputs;  // names
    std::vector<onnx_tensor> initializers;
    std::vector<onnx_tensor> inputs, outputs;  // test_data_set_0/input_*.pb and output_*.pb, in index order
};

// Loads <case_dir>/model.onnx and <case_dir>/test_data_set_0/{input,output}_N.pb
// (N = 0, 1, 2, ... until the first missing index).
// Throws std::runtime_error naming the offending file on any failure
// (missing model, parse error, unsupported data type, inconsistent tensor data).
onnx_case load_onnx_case(const std::string& case_dir);

// Environment variable AMCT_ONNX_TESTDATA if set and non-empty,
// else /usr/share/libonnx-testdata/data/node.
std::string onnx_testdata_root();

}  // namespace amct_test
