// runtime/refrt/onnx_proto.hpp: ONNX protobuf files decoded into plain structs and encoded from them (no
// protobuf types here), with the few services of ONNX's own library the exporter needs (operator schemas,
// shape inference, the checker). Shared by the importer (onnx_import.cpp), the exporter (onnx_export.cpp) and
// the tests' backend-case loader (tests/support/onnx_case.cpp); built as the static library amct_onnx_proto
// (onnx_proto.cmake).
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

/// A model that cannot be encoded or written, or that ONNX's checker rejects; the message names the file and
/// the tensor, node or attribute concerned.
struct encode_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

/// The largest model, weight or image file the runtime reads: 2 GiB, protobuf's limit for one message
/// (docs/model.md#reading-model-files).
inline constexpr std::uint64_t max_model_file_bytes = std::uint64_t{2} << 30;

/// A regular file's bytes. @throws decode_error "FILE: PROBLEM" for what is not a regular file (a FIFO, a
/// device, a directory), a file larger than max_model_file_bytes or a file that cannot be read.
std::string read_model_file(const std::string& path);

/// TensorProto::DataType values.
namespace dtype
{
inline constexpr int float32 = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7,
                     boolean = 9, float64 = 11, uint32 = 12, uint64 = 13;
}

/// AttributeProto::AttributeType values.
namespace attr_type
{
inline constexpr int undefined = 0, float32 = 1, int64 = 2, string = 3, tensor = 4, floats = 6, ints = 7;
}

/// One TensorProto. FLOAT and DOUBLE fill `floats` (DOUBLE narrowed); the integer types and BOOL fill
/// `ints` (uint64 above INT64_MAX wraps). Other data types are a decode_error. Encoding reads the same
/// members, with an encode_error for a value outside the data type's range.
struct tensor_data
{
    std::string name;
    int data_type = 0;
    std::vector<std::int64_t> dims;  ///< empty for a scalar
    std::vector<float> floats;
    std::vector<std::int64_t> ints;
    std::size_t size() const;  ///< product of dims (1 for a scalar; SIZE_MAX when it overflows)
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
    std::vector<std::string> dim_params;  ///< empty, or per dimension the name of a symbolic one ("" if none)
};

struct opset_data
{
    std::string domain;  ///< "" for ONNX's default domain
    int version = 0;
};

struct model_data
{
    int opset = 0;  ///< default-domain ("" or "ai.onnx") opset_import version (read only)
    std::vector<opset_data> opset_imports;
    std::int64_t ir_version = 0;
    std::string producer_name, graph_name;
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

/// Writes a ModelProto file: every member of `m` but `opset` (opset_imports says it), tensors as raw_data.
/// @throws encode_error naming the file and the tensor, node or attribute.
void write_model(const model_data& m, const std::string& path);
/// Writes a TensorProto file (ONNX backend test data). @throws encode_error naming the file.
void write_tensor(const tensor_data& t, const std::string& path);

/// The AttributeProto::AttributeType (attr_type) of attribute `name` of `op_type` in ONNX's default domain at
/// `opset`, from ONNX's operator schemas: attr_type::undefined when the op has no such attribute, -1 when
/// the opset has no such op.
int attribute_type(const std::string& op_type, int opset, const std::string& name);

/// The types and shapes ONNX's shape inference (with data propagation) gives m's outputs; elem_type 0 and
/// has_shape false where it cannot tell. @throws encode_error when m cannot be encoded or inference fails.
std::vector<value_data> infer_outputs(const model_data& m);

/// ONNX's checker on `m`: "" when it passes, else its message.
std::string check_model(const model_data& m);
}  // namespace refrt::proto
