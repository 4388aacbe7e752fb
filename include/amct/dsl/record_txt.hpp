// amct/dsl/record_txt.hpp: AMCT's record.txt (docs/model.md#the-record-file), the protobuf text format of
// ScaleOffsetRecord { repeated MapFiledEntry record { key, value: SingleLayerRecord } }, read with the schema
// rules of schema_reader and the read-time rules of AMCT's parse_record_file.py, every problem as
// file:line:column; and written as AMCT writes it (fields in proto order, floats with 9 significant digits,
// which read back as the same float).
#pragma once

#include <string>  // std::string

#include <amct/base/macros.hpp>
#include <amct/model/record.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace dsl
{
/// @brief Reads record.txt text. @throws config_error listing every problem (syntax, schema, AMCT's read-time
/// rules: scales finite and > 0, offset_d in the activation type's range, offset_w 0, shift_bit, types).
AMCT_DECL quant_record read_record_txt(const std::string& text, const std::string& file = "record.txt");

/// @brief Reads a record.txt file. @throws config_error (also when the file cannot be read).
AMCT_DECL quant_record load_record_txt(const std::string& path);

/// @brief record.txt text of `rec`, laid out as AMCT writes it.
AMCT_DECL std::string write_record_txt(const quant_record& rec);
}  // namespace dsl
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/dsl/impl/record_txt.ipp>
#endif
