// examples/runtime/onnx_proto.hpp: ONNX protobuf files decoded into plain structs (no protobuf types here).
// Shared by the importer (onnx_import.cpp) and the tests' backend-case loader (tests/support/onnx_case.cpp);
// built as the static library amct_onnx_proto (onnx_proto.cmake).
#pragma once

#include <cstddef>    // std::size_t
#include <cstdint>    // std::int64_t
#include <optional>   // std::optional
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string
#include <vector>     // std::vector

namespace refrt::proto
{
/// A file that cannot be read or decoded; the message starts with the file (and the tensor) concerned.
struct decode_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

/// TensorProto::DataType values.
namespace dtype
{
inline constexpr int float32 = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7,
                     boolean = 9, float64 = 11, uint32 = 12, uint64 = 13;
}

/// One TensorProto. FLOAT and DOUBLE fill `floats` (DOUBLE narrowed); the integer types and BOOL fill
/// `ints` (uint64 above INT64_MAX wraps). Other data types are a decode_error.
struct tensor_data
{
    std::string name;
    int data_type = 0;
    std::vector<std::int64_t> dims;  ///< empty for a scalar
    std::vector<float> floats;
    std::vector<std::int64_t> ints;
    std::size_t size() const;  ///< product of dims (1 for a scalar)
};

/// One AttributeProto; the member matching `type` (AttributeProto::AttributeType) is meaningful.
struct attribute_data
{
    std::string name;
    int type = 0;
    std::int64_t i = 0;
    float f = 0.0f;
    std::string s;
    std::vector<std::int64_t> ints;
    std::vector<float> floats;
    std::optional<tensor_data> t;  ///< TENSOR attributes
    std::string t_error;           ///< why `t` could not be decoded (reported by whoever needs it)
};

struct node_data
{
    std::string name, op_type, domain;
    std::vector<std::string> inputs, outputs;  ///< "" marks an omitted optional input
    std::vector<attribute_data> attributes;
};

/// A graph input or output: element type and shape, -1 for a symbolic or unknown dimension.
struct value_data
{
    std::string name;
    int elem_type = 0;
    bool has_shape = false;
    std::vector<std::int64_t> shape;
};

struct model_data
{
    int opset = 0;  ///< default-domain ("" or "ai.onnx") opset_import version
    std::vector<node_data> nodes;
    std::vector<tensor_data> initializers;
    std::vector<value_data> inputs, outputs;
};

/// Reads a ModelProto file. Initializers and TENSOR attributes are decoded.
model_data read_model(const std::string& path);
/// Reads a TensorProto file (ONNX backend test data).
tensor_data read_tensor(const std::string& path);
/// The TensorProto::DataType name of a value ("FLOAT", ...), or its number.
std::string data_type_name(int data_type);
}  // namespace refrt::proto
