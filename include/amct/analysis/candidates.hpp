// amct/analysis/candidates.hpp: calibrating several activation methods (or bit widths) at once. Every
// candidate sees the same data as the session did: AMCT's calibration model, fake-quantized weights and float
// activations (docs/model.md#amcts-flow), one run per batch feeding every candidate's observers.
#pragma once

#include <cstddef>  // std::size_t
#include <deque>    // std::deque
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/algo/arq.hpp>
#include <amct/algo/registry.hpp>
#include <amct/analysis/simulation.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/layer_params.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/pipeline/activation_calibration.hpp>
#include <amct/pipeline/quantized_model.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// An activation method tried on every layer.
struct calibration_candidate
{
    std::string act_algo;  ///< ifmr, hfmg, max, percentile, kl, mse; empty: each layer's own
    int num_bits = 0;      ///< 8 or 16 (16: activations and weights, HMCT's int16); 0: each layer's own

    /// "kl", "ifmr/int16", "layer's method/int16".
    AMCT_DECL std::string name() const;

    /// A layer's activation_quant_params under this candidate: the algorithm and bit width replaced (the
    /// algorithm's defaults for a new algorithm), asymmetric kept.
    /// @throws unsupported_error when act_algo is not an activation algorithm.
    AMCT_DECL activation_quant_config apply(const activation_quant_config& layer) const;
};

/// Every activation algorithm (activation_algorithms), at the layers' bit width.
AMCT_DECL std::vector<calibration_candidate> all_methods();

/// @brief Calibrates every candidate on `batches`; one quantized_model per candidate, in order, with the
/// weights of sim.base() and the deployable tensors recomputed for the new activation factors.
/// @throws config_error / value_error naming the layer for a candidate the layer's configuration refuses
/// (kl asymmetric), value_error for a batch with NaN or Inf (naming layer and batch).
AMCT_DECL std::deque<quantized_model> calibrate_candidates(
  simulator& sim,
  const quant_config& cfg,
  const std::vector<calibration_candidate>& candidates,
  const std::vector<std::size_t>& batches);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/candidates.ipp>
#endif
