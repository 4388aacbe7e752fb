// amct/config/record_json.hpp: the quantization record as JSON, in protobuf's JSON form of
// ScaleOffsetRecord with the proto's field names (docs/model.md#the-record-file):
// clang-format off
//   {"record": [{"key": "conv1",
//                "value": {"scale_d": 0.0039215689, "offset_d": -128, "scale_w": [...], ...}}]}
// clang-format on
// read_record_json applies record.txt's read-time rules (check_layer_record) and reports every problem at
// file:line:column. Floats are written as the shortest text that reads back as the same float32.
#pragma once

#include <string>  // std::string

#include <amct/base/macros.hpp>
#include <amct/model/record.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief Reads a record in JSON. @throws config_error listing every problem at file:line:column.
AMCT_DECL quant_record read_record_json(const std::string& text, const std::string& file = "record.json");

/// @brief Reads a record file in JSON. @throws config_error (also when the file cannot be read).
AMCT_DECL quant_record load_record_json(const std::string& path);

/// The JSON text of a record: set fields in the proto's field order, floats in their shortest exact form.
AMCT_DECL std::string write_record_json(const quant_record& rec);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/config/impl/record_json.ipp>
#endif
