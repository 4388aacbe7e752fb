// amct/config/quant_config.hpp: the typed form of AMCT's config.json (amct-algorithms.md 7.1; seeds 000 and
// 001). Field names are AMCT's. Fields an algorithm does not use are absent (std::nullopt), as in AMCT's
// files, so that "IFMR and HFMG parameters on one layer" can be reported. Extensions, documented as such:
// act_algo values max, percentile, kl and mse (amct/algo), with num_quantized_bins (kl) and num_candidates
// (mse); ifmr_mode (IFMR's storage: "exact", AMCT's, or "bounded", a streaming histogram).
#pragma once

#include <array>     // std::array
#include <optional>  // std::optional
#include <string>    // std::string
#include <utility>   // std::pair
#include <vector>    // std::vector

namespace amct
{
/// activation_quant_params of one layer.
struct activation_quant_config
{
    std::string act_algo = "ifmr";                      ///< ifmr, hfmg; extensions: max, percentile, kl, mse
    int num_bits = 8;                                   ///< 8 (16 for some layer types; 4 for research)
    std::optional<bool> asymmetric;                     ///< unset: the file's activation_offset
    std::optional<double> max_percentile;               ///< IFMR (and percentile): (0.5, 1]
    std::optional<double> min_percentile;               ///< IFMR (and percentile): (0.5, 1]
    std::optional<std::array<double, 2>> search_range;  ///< IFMR: 0 < start < end
    std::optional<double> search_step;                  ///< IFMR: (0, end - start]
    std::optional<std::string> ifmr_mode;               ///< extension (IFMR): "exact" or "bounded"
    std::optional<int> num_of_bins;         ///< HFMG: 1024, 2048, 4096, 8192 (and kl, mse, percentile)
    std::optional<int> num_quantized_bins;  ///< extension (kl)
    std::optional<int> num_candidates;      ///< extension (mse)

    bool operator==(const activation_quant_config& o) const
    {
        return act_algo == o.act_algo && num_bits == o.num_bits && asymmetric == o.asymmetric
               && max_percentile == o.max_percentile && min_percentile == o.min_percentile
               && search_range == o.search_range && search_step == o.search_step && ifmr_mode == o.ifmr_mode
               && num_of_bins == o.num_of_bins && num_quantized_bins == o.num_quantized_bins
               && num_candidates == o.num_candidates;
    }
};

/// weight_quant_params of one layer.
struct weight_quant_config
{
    std::string wts_algo = "arq_quantize";
    int num_bits = 8;                  ///< 4, 6, 7 or 8
    std::optional<bool> channel_wise;  ///< unset: the layer type's default (Conv true, Linear/MatMul false)

    bool operator==(const weight_quant_config& o) const
    {
        return wts_algo == o.wts_algo && num_bits == o.num_bits && channel_wise == o.channel_wise;
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

/// A whole config.json. Layers keep the file's order.
struct quant_config
{
    int version = 1;
    int batch_num = 1;
    bool activation_offset = true;
    bool do_fusion = true;
    std::vector<std::string> skip_fusion_layers;
    std::string fakequant_precision_mode =
      "DEFAULT";  ///< or FORCE_FP16_QUANT; left out of the file when DEFAULT
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
}  // namespace amct
