// amct/config/layer_params.hpp: the typed algorithm parameters (amct/algo/params.hpp) that one layer's
// config.json entry selects. Unset fields take the algorithm's defaults; `asymmetric` falls back to the
// file's activation_offset (amct-algorithms.md 7.1); channel_wise falls back to the layer type's default.
#pragma once

#include <string>       // std::string
#include <string_view>  // std::string_view

#include <amct/algo/params.hpp>
#include <amct/algo/registry.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief The activation observer parameters of a layer's activation_quant_params.
/// @throws value_error naming the layer when kl (symmetric only) is asked to be asymmetric;
/// unsupported_error for an unknown act_algo.
inline algorithm_params activation_params(const activation_quant_config& a,
                                          bool activation_offset,
                                          const std::string& layer = {})
{
    const bool asymmetric = a.asymmetric.value_or(activation_offset);
    algorithm_params params = default_params(a.act_algo);
    std::visit(
      [&](auto& p)
      {
          using P = std::decay_t<decltype(p)>;
          p.num_bits = a.num_bits;
          if constexpr (std::is_same_v<P, ifmr_params> || std::is_same_v<P, percentile_params>)
          {
              p.max_percentile = a.max_percentile.value_or(p.max_percentile);
              p.min_percentile = a.min_percentile.value_or(p.min_percentile);
          }
          if constexpr (std::is_same_v<P, ifmr_params>)
          {
              if (a.search_range)
              {
                  p.search_range_start = (*a.search_range)[0];
                  p.search_range_end = (*a.search_range)[1];
              }
              p.search_step = a.search_step.value_or(p.search_step);
              p.mode = a.ifmr_mode.value_or("exact") == "bounded" ? ifmr_mode::bounded : ifmr_mode::exact;
          }
          if constexpr (
            std::is_same_v<
              P,
              hfmg_params> || std::is_same_v<P, percentile_params> || std::is_same_v<P, kl_params> || std::is_same_v<P, mse_params>)
          {
              p.num_of_bins = a.num_of_bins.value_or(p.num_of_bins);
          }
          if constexpr (std::is_same_v<P, kl_params>)
          {
              p.num_quantized_bins = a.num_quantized_bins.value_or(p.num_quantized_bins);
              if (a.asymmetric.value_or(false))
              {
                  detail::throw_error<value_error>("layer \"" + layer
                                                   + "\": act_algo kl is symmetric only; asymmetric: true");
              }
          }
          else if constexpr (std::is_same_v<P, mse_params>)
          {
              p.num_candidates = a.num_candidates.value_or(p.num_candidates);
              p.asymmetric = asymmetric;
          }
          else if constexpr (!std::is_same_v<P, arq_params>)
          {
              p.asymmetric = asymmetric;
          }
      },
      params);
    return params;
}

/// The ARQ parameters of a layer's weight_quant_params, for a layer of `type`.
inline arq_params weight_params(const weight_quant_config& w, std::string_view type)
{
    const auto rule = find_arq_rule(type);
    arq_params p;
    p.num_bits = w.num_bits;
    p.channel_wise = w.channel_wise.value_or(rule ? rule->channel_wise_default : false);
    return p;
}

/// The record's name of a bit width: INT4, INT6, INT7, INT8, INT16.
inline std::string int_type_name(int bits)
{
    return "INT" + std::to_string(bits);
}
}  // namespace AMCT_ABI
}  // namespace amct
