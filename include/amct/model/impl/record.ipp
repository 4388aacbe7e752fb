// amct/model/impl/record.ipp: the definitions of <amct/model/record.hpp> (header-only: included by it;
// separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/model/record.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL bool layer_record::operator==(const layer_record& o) const
{
    return scale_d == o.scale_d && offset_d == o.offset_d && scale_w == o.scale_w && offset_w == o.offset_w
           && shift_bit == o.shift_bit && tensor_balance_factor == o.tensor_balance_factor
           && skip_fusion == o.skip_fusion && dst_type == o.dst_type && act_type == o.act_type
           && wts_type == o.wts_type && fakequant_precision_mode == o.fakequant_precision_mode
           && scale_h == o.scale_h && offset_h == o.offset_h && scale_r == o.scale_r
           && offset_r == o.offset_r;
}

AMCT_DECL const layer_record* quant_record::find(const std::string& name) const
{
    for (const auto& [n, r] : layers)
    {
        if (n == name)
        {
            return &r;
        }
    }
    return nullptr;
}

AMCT_DECL layer_record& quant_record::operator[](const std::string& name)
{
    for (auto& [n, r] : layers)
    {
        if (n == name)
        {
            return r;
        }
    }
    return layers.emplace_back(name, layer_record{}).second;
}

AMCT_DECL void check_record(const quant_record& rec, const std::vector<std::string>* layer_names)
{
    std::vector<diagnostic> problems;
    const std::unordered_set<std::string> names =
      layer_names ? std::unordered_set<std::string>(layer_names->begin(), layer_names->end())
                  : std::unordered_set<std::string>{};
    for (const auto& [key, r] : rec.layers)
    {
        const std::string who = "record \"" + key + "\": ";
        check_layer_record(r,
                           [&](const char*, long, const std::string& message)
                           {
                               problems.push_back({{"record", 0, 0}, who + message});
                           });
        if (layer_names && names.count(key) == 0)
        {
            problems.push_back({{"record", 0, 0}, who + "not a layer of the model"});
        }
    }
    if (!problems.empty())
    {
        detail::throw_error<config_error>(std::move(problems));
    }
}
}  // namespace AMCT_ABI
}  // namespace amct
