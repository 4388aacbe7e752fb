// amct/model/record.hpp: AMCT's quantization record (docs/model.md#the-record-file): per layer, the
// activation factors (scale_d, offset_d) and the weight factors (scale_w, offset_w per channel) with their
// types, keyed by layer name, and the read-time rules of AMCT's parse_record_file.py.
#pragma once

#include <cmath>             // std::isfinite
#include <cstdint>           // std::int32_t, std::uint32_t
#include <initializer_list>  // std::initializer_list
#include <optional>          // std::optional
#include <string>            // std::string
#include <unordered_set>     // std::unordered_set
#include <utility>           // std::pair
#include <vector>            // std::vector

#include <amct/base/diagnostic.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/detail/format.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// SingleLayerRecord: what calibration decided for one layer. Unset optional fields are left out of the file.
struct layer_record
{
    std::optional<float> scale_d;              ///< activation scale (AscendQuant's scale is 1/scale_d)
    std::optional<std::int32_t> offset_d;      ///< activation offset, in [-128, 127] (INT16: [-32768, 32767])
    std::vector<float> scale_w;                ///< weight scale per output channel (one value: per tensor)
    std::vector<std::int32_t> offset_w;        ///< always 0: weights are symmetric
    std::vector<std::uint32_t> shift_bit;      ///< reserved: all 0 or in [1, 16]
    std::vector<float> tensor_balance_factor;  ///< DMQ balancer, one per input channel
    std::optional<bool> skip_fusion;           ///< default false
    std::optional<std::string> dst_type;       ///< older files: INT8 or INT16
    std::optional<std::string> act_type;       ///< INT8 or INT16
    std::optional<std::string> wts_type;       ///< INT8 (INT4, INT6, INT7 for narrower weights)
    std::optional<std::string> fakequant_precision_mode;  ///< DEFAULT or FORCE_FP16_QUANT
    std::optional<float> scale_h;                         ///< RNN hidden input
    std::optional<std::int32_t> offset_h;
    std::vector<float> scale_r;  ///< RNN recurrent weights
    std::vector<std::int32_t> offset_r;

    AMCT_DECL bool operator==(const layer_record& o) const;

    /// The activation type: act_type, else dst_type, else INT8.
    std::string activation_type() const
    {
        return act_type ? *act_type : dst_type.value_or("INT8");
    }
};

namespace detail
{
inline bool positive_finite(double v)
{
    return std::isfinite(v) && v > 0.0;
}
}  // namespace detail

/// The read-time rules of AMCT's parse_record_file.py (docs/model.md#read-time-validation) for one layer's
/// record, each broken one reported as report(field, index, message); index is the element of a repeated
/// field, or -1.
template <class Report>
void check_layer_record(const layer_record& r, Report&& report)
{
    const std::string act = r.activation_type();
    const bool is_int16 = act == "INT16";
    auto offset_range = [&](const char* field, std::int32_t v)
    {
        const std::int32_t lo = is_int16 ? -32768 : -128, hi = is_int16 ? 32767 : 127;
        if (v < lo || v > hi)
        {
            report(field,
                   -1,
                   std::string(field) + " = " + std::to_string(v) + " must be in [" + std::to_string(lo)
                     + ", " + std::to_string(hi) + "] for " + act + " activations");
        }
    };
    auto scales = [&](const char* field, const std::vector<float>& v)
    {
        for (std::size_t i = 0; i < v.size(); ++i)
        {
            if (!detail::positive_finite(v[i]))
            {
                report(field,
                       static_cast<long>(i),
                       std::string(field) + "[" + std::to_string(i) + "] = " + detail::number_to_string(v[i])
                         + " must be a finite number > 0");
            }
        }
    };
    auto zeros = [&](const char* field, const std::vector<std::int32_t>& v)
    {
        for (std::size_t i = 0; i < v.size(); ++i)
        {
            if (v[i] != 0)
            {
                report(field,
                       static_cast<long>(i),
                       std::string(field) + "[" + std::to_string(i) + "] = " + std::to_string(v[i])
                         + " must be 0 (weights are quantized symmetrically)");
            }
        }
    };
    auto one_of =
      [&](const char* field, const std::optional<std::string>& v, std::initializer_list<const char*> ok)
    {
        if (!v)
        {
            return;
        }
        std::string all;
        for (const char* x : ok)
        {
            if (*v == x)
            {
                return;
            }
            all += (all.empty() ? "" : ", ") + std::string(x);
        }
        report(field, -1, std::string(field) + " = \"" + *v + "\" must be one of " + all);
    };
    if (r.scale_d && !detail::positive_finite(*r.scale_d))
    {
        report("scale_d",
               -1,
               "scale_d = " + detail::number_to_string(*r.scale_d) + " must be a finite number > 0");
    }
    if (r.offset_d)
    {
        offset_range("offset_d", *r.offset_d);
    }
    if (r.scale_h && !detail::positive_finite(*r.scale_h))
    {
        report("scale_h",
               -1,
               "scale_h = " + detail::number_to_string(*r.scale_h) + " must be a finite number > 0");
    }
    if (r.offset_h)
    {
        offset_range("offset_h", *r.offset_h);
    }
    scales("scale_w", r.scale_w);
    scales("scale_r", r.scale_r);
    zeros("offset_w", r.offset_w);
    zeros("offset_r", r.offset_r);
    if (!r.scale_w.empty() && !r.offset_w.empty() && r.scale_w.size() != r.offset_w.size())
    {
        report("offset_w",
               -1,
               "offset_w has " + std::to_string(r.offset_w.size()) + " values and scale_w "
                 + std::to_string(r.scale_w.size()) + "; they go per channel together");
    }
    bool any_shift = false;
    for (const auto b : r.shift_bit)
    {
        any_shift = any_shift || b != 0;
    }
    for (std::size_t i = 0; any_shift && i < r.shift_bit.size(); ++i)
    {
        if (r.shift_bit[i] < 1 || r.shift_bit[i] > 16)
        {
            report("shift_bit",
                   static_cast<long>(i),
                   "shift_bit[" + std::to_string(i) + "] = " + std::to_string(r.shift_bit[i])
                     + " must be in [1, 16] (or every shift_bit 0)");
        }
    }
    one_of("dst_type", r.dst_type, {"INT8", "INT16"});
    one_of("act_type", r.act_type, {"INT8", "INT16"});
    one_of("wts_type", r.wts_type, {"INT8", "INT4", "INT6", "INT7"});
    one_of("fakequant_precision_mode", r.fakequant_precision_mode, {"DEFAULT", "FORCE_FP16_QUANT"});
}

/// ScaleOffsetRecord: the records of a model, in file order.
struct quant_record
{
    std::vector<std::pair<std::string, layer_record>> layers;

    /// The record of `name`, or nullptr.
    AMCT_DECL const layer_record* find(const std::string& name) const;

    AMCT_DECL layer_record& operator[](const std::string& name);

    bool operator==(const quant_record& o) const
    {
        return layers == o.layers;
    }
};

/// @brief Checks a record with AMCT's read-time rules, and, when `layer_names` is given, that every key is a
/// layer of the model. @throws config_error naming each problem as `record "key": ...`.
AMCT_DECL void check_record(const quant_record& rec, const std::vector<std::string>* layer_names = nullptr);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/model/impl/record.ipp>
#endif
