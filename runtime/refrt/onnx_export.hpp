// runtime/refrt/onnx_export.hpp: the reference runtime's graph (graph.hpp) written as an ONNX model, float
// or as a QDQ model of amct's quantization, to run in other runtimes (ONNX Runtime: scripts/ort_run.js).
#pragma once

#include <string>  // std::string

#include <amct/pipeline/session.hpp>

#include "graph.hpp"

namespace refrt
{
/// The ONNX opset and IR version written. Per-axis DequantizeLinear needs opset 13; 17 is the newest that
/// Debian's ONNX 1.12 (its schemas, shape inference and checker) knows.
inline constexpr int onnx_export_opset = 17;
inline constexpr int onnx_export_ir_version = 8;

/// @brief Writes `g` as an ONNX model (float, opset 17). Every node keeps its op and attributes; nodes that
/// follow an older opset (node::opset) are rewritten into their opset-17 form with the same result
/// (attributes that became inputs: Clip, Pad, Slice, Squeeze, Unsqueeze, ReduceSum; Resize-10's coordinates;
/// Softmax before 13 as Flatten, Softmax, Reshape). Constants become initializers of the type each reader
/// needs (int64 shapes, axes, pads and indices; otherwise the type of the data they meet, float by default);
/// output shapes come from ONNX's shape inference. The model passes ONNX's checker before it is written.
/// @throws model_error naming the node (an op or attribute opset 17 lacks) or the file.
void save_onnx(const graph& g, const std::string& path);

// clang-format off
/// @brief Writes `g` as an ONNX QDQ model of amct's quantization `q`; `g` is the graph the session calibrated
/// (after its BN fusion; its weights float or fake-quantized). For each layer of `q` (Conv, ConvTranspose,
/// Gemm, MatMul, AveragePool):
///  - input 0 through QuantizeLinear -> DequantizeLinear with y_scale = scale_d and y_zero_point = offset_d:
///    ONNX's q = saturate(round(x / y_scale) + y_zero_point), x' = (q - y_zero_point) y_scale is AMCT's
///    q = clamp(round(x / scale_d) + offset_d), x' = scale_d (q - offset_d)
///    (docs/quantization.md#the-mapping), so the zero point is offset_d itself. INT8 layers use ONNX's int8
///    ops; INT16 layers com.microsoft's QuantizeLinear/DequantizeLinear with int16 (ONNX's own takes int16
///    from opset 21 only). One QuantizeLinear per tensor and scale; one DequantizeLinear per layer.
///  - the weight as weight_int (int8) with DequantizeLinear(scale_w, zero point 0): per-tensor, or per
///    channel along the output-channel axis (Conv, depthwise too: 0; ConvTranspose: 1; Gemm transB = 0 and
///    MatMul: the last; grouped ConvTranspose: stored as [C_out, C_in/g, k...] and reshaped back after
///    dequantizing).
///  - the bias as bias_int (int32) with DequantizeLinear(deq_scale = scale_d * scale_w[c], zero point 0).
/// Every other node, and every layer absent from `q`, stays float as save_onnx writes it, except a Relu or
/// Clip whose output only QuantizeLinears read that map its bounds to their smallest and largest integers:
/// q(clip(x)) = q(x), so it is left out (ONNX Runtime then fuses DequantizeLinear -> Conv -> QuantizeLinear;
/// docs/model.md#deployable-outputs). Every node name is unique (a repeated or empty one of `g` is renamed).
/// @throws model_error naming the layer when `q` does not fit `g` (unknown layer, another weight shape or a
/// weight more than half a step from the quantized one: a graph without BN fusion), or as save_onnx.
// clang-format on
void save_onnx_qdq(const graph& g, const amct::quantized_model& q, const std::string& path);

/// Writes `t` as an ONNX TensorProto file (ONNX's test-data format) of `data_type` (proto::dtype; integer
/// types need integer values). @throws model_error naming the file.
void save_onnx_tensor(const tensor& t, const std::string& name, int data_type, const std::string& path);
}  // namespace refrt
