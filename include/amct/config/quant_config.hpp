// amct/config/quant_config.hpp: the typed form of AMCT's config.json (docs/configuration.md). A layer's
// activation and weight sections hold the typed parameters of their algorithm (the alternatives of
// amct/algo/algorithms.hpp's lists) and which of its fields the file sets, so that an unset field keeps its
// meaning (asymmetric follows activation_offset, channel_wise the layer type) and the file is written back
// as it was read. Keys, rules and defaults are the algorithms' own declarations.
#pragma once

#include <array>        // std::array
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::decay_t, std::is_same_v
#include <utility>      // std::pair
#include <variant>      // std::get, std::holds_alternative, std::visit
#include <vector>       // std::vector

#include <amct/algo/configured_algorithm.hpp>
#include <amct/algo/param.hpp>
#include <amct/algo/registry.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Activation bit widths of config.json: 8 or 16. AMCT's code also takes 4, but its record has no INT4
/// activation type (act_type INT8 or INT16, offset_d in INT8's or INT16's range:
/// docs/model.md#read-time-validation), so amct refuses INT4 activations where they are written rather than
/// write a record that its record readers (and AMCT's) refuse. quant.cfg's dst_type has INT8 and INT16 only.
struct activation_bit_widths
{
    constexpr bool operator()(int bits) const noexcept
    {
        return bits == 8 || bits == 16;
    }

    std::string text() const
    {
        return "8 or 16 (the record's act_type is INT8 or INT16)";
    }
};

inline constexpr activation_bit_widths activation_bits_rule{};

/// Weight bit widths config.json and quant.cfg express (WTS_SUPPORT_NUM_BITS); INT6 and INT7 only for
/// Conv2d (docs/configuration.md#layer-type-rules).
inline constexpr auto weight_bits_rule = param::values(4, 6, 7, 8);

/// activation_quant_params of one layer: act_algo and its parameters.
struct activation_quant_config : configured_algorithm<activation_params>
{
    /// asymmetric when the file sets it; unset, the file's activation_offset applies.
    std::optional<bool> asymmetric() const
    {
        return flag("asymmetric");
    }

    /// Sets asymmetric; false for an algorithm without the field.
    bool set_asymmetric(bool v)
    {
        return set_flag("asymmetric", v);
    }
};

/// weight_quant_params of one layer: wts_algo and its parameters.
struct weight_quant_config : configured_algorithm<weight_params>
{
    /// channel_wise when the file sets it; unset, the layer type's default applies.
    std::optional<bool> channel_wise() const
    {
        return flag("channel_wise");
    }

    bool set_channel_wise(bool v)
    {
        return set_flag("channel_wise", v);
    }
};

/// The configuration of one layer, keyed by its name in quant_config::layers.
struct layer_quant_config
{
    bool quant_enable = true;
    std::optional<double> dmq_balancer_param;  ///< [0.2, 0.8], only when configured
    activation_quant_config activation_quant_params;
    weight_quant_config weight_quant_params;

    bool operator==(const layer_quant_config& o) const
    {
        return quant_enable == o.quant_enable && dmq_balancer_param == o.dmq_balancer_param
               && activation_quant_params == o.activation_quant_params
               && weight_quant_params == o.weight_quant_params;
    }
};

/// fakequant_precision_mode: DEFAULT (left out of the file) or FORCE_FP16_QUANT.
enum class fakequant_precision
{
    default_mode,
    force_fp16_quant
};

template <>
struct enum_names<fakequant_precision>
{
    static constexpr std::array<std::string_view, 2> values = {"DEFAULT", "FORCE_FP16_QUANT"};
};

/// A whole config.json. Layers keep the file's order.
struct quant_config
{
    int version = 1;
    int batch_num = 1;
    bool activation_offset = true;
    bool do_fusion = true;
    std::vector<std::string> skip_fusion_layers;
    fakequant_precision fakequant_precision_mode = fakequant_precision::default_mode;
    std::vector<std::pair<std::string, layer_quant_config>> layers;

    /// The configuration of layer `name`, or nullptr.
    const layer_quant_config* find(const std::string& name) const
    {
        for (const auto& [n, c] : layers)
        {
            if (n == name)
            {
                return &c;
            }
        }
        return nullptr;
    }

    layer_quant_config* find(const std::string& name)
    {
        return const_cast<layer_quant_config*>(static_cast<const quant_config*>(this)->find(name));
    }

    bool operator==(const quant_config& o) const
    {
        return version == o.version && batch_num == o.batch_num && activation_offset == o.activation_offset
               && do_fusion == o.do_fusion && skip_fusion_layers == o.skip_fusion_layers
               && fakequant_precision_mode == o.fakequant_precision_mode && layers == o.layers;
    }
};
}  // namespace AMCT_ABI
}  // namespace amct
