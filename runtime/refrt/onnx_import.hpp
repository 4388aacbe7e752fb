// runtime/refrt/onnx_import.hpp: ONNX files into the reference runtime's graph (graph.hpp).
#pragma once

#include <string>  // std::string

#include "graph.hpp"

namespace refrt
{
/// Loads an ONNX model. Initializers and Constant nodes become g.constants (graph inputs that are also
/// initializers are constants); declared input shapes keep -1 for symbolic dimensions; unnamed nodes are
/// named after their first output; every tensor is converted to float; each node records the model's opset.
/// @throws model_error naming the file, and the node for an unsupported op (check_graph).
graph load_onnx(const std::string& path);

/// Loads one TensorProto file (ONNX backend test data) as float.
/// @throws model_error naming the file.
tensor load_onnx_tensor(const std::string& pb_path);
}  // namespace refrt
