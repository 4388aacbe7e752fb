// runtime/refrt/tfjs_import.hpp: TF.js layers models (model.json + binary shards, as written by the TF.js
// converter or tfjs-layers' save()) into refrt::graph.
//
// The graph computes what the Keras model computes: its inputs keep the declared layout (NHWC for images)
// and a Transpose to NCHW follows each rank-4 input; rank-4 outputs are transposed back to NHWC. Conv and
// Gemm nodes carry the Keras layer names; weights become constants named as in the weights manifest, in
// ONNX layout (Conv OIHW, Gemm B as [in, out] with transB = 0).
#pragma once

#include <cstdint>  // std::int64_t
#include <map>      // std::map
#include <string>   // std::string
#include <vector>   // std::vector

#include "graph.hpp"

namespace refrt
{
/// One weight of a weights manifest, decoded to float32 as tfjs-core's io_utils decodeWeights does, in the
/// manifest's (TF) shape and layout.
struct tfjs_weight
{
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};

/// Every weight of the model's manifest by name. Quantized uint8/uint16: q * scale + min in double, rounded
/// once to float32; float16: exact; float32: raw little-endian; int32: as float.
/// @throws model_error naming the file and the weight or shard.
std::map<std::string, tfjs_weight> read_tfjs_weights(const std::string& model_json_path);

/// Loads a layers model (functional or Sequential Keras config). Shards are read relative to the json.
/// @throws model_error naming the file and the layer (and its class) or the JSON path at fault.
graph load_tfjs(const std::string& model_json_path);
}  // namespace refrt
