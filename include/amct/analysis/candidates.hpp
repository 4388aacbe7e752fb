// amct/analysis/candidates.hpp: calibrating several activation methods (or bit widths) at once. Every
// candidate sees the same data as the session did: AMCT's calibration model, fake-quantized weights and float
// activations (amct-algorithms.md 1), one run per batch feeding every candidate's observers.
#pragma once

#include <cstddef>  // std::size_t
#include <deque>    // std::deque
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/algo/arq.hpp>
#include <amct/algo/registry.hpp>
#include <amct/analysis/simulation.hpp>
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
    std::string name() const
    {
        const std::string algo = act_algo.empty() ? "configured" : act_algo;
        return num_bits == 0 ? algo : algo + "/int" + std::to_string(num_bits);
    }

    /// A layer's activation_quant_params under this candidate: the algorithm and bit width replaced (the
    /// algorithm's defaults for a new algorithm), asymmetric kept.
    /// @throws unsupported_error when act_algo is not an activation algorithm.
    activation_quant_config apply(const activation_quant_config& layer) const
    {
        activation_quant_config a = layer;
        if (!act_algo.empty() && act_algo != layer.algorithm())
        {
            a = activation_quant_config{};
            if (!visit_algorithm<activation_algorithms>(act_algo,
                                                        [&](auto p)
                                                        {
                                                            a.params = p;
                                                        }))
            {
                detail::throw_error<unsupported_error>("calibration candidate \"" + act_algo
                                                       + "\": act_algo must be "
                                                       + algorithm_choices<activation_algorithms>());
            }
            a.set_num_bits(layer.num_bits());
            const std::optional<bool> asymmetric = layer.asymmetric();
            if (asymmetric && a.inherits("asymmetric"))  // not kl's, which is symmetric only
            {
                a.set_asymmetric(*asymmetric);
            }
        }
        if (num_bits != 0)
        {
            a.set_num_bits(num_bits);
        }
        return a;
    }
};

/// Every activation algorithm (activation_algorithms), at the layers' bit width.
inline std::vector<calibration_candidate> all_methods()
{
    std::vector<calibration_candidate> out;
    for (std::size_t i = 0; i < activation_algorithms::size; ++i)
    {
        out.push_back({std::string(algorithm_names[i]), 0});
    }
    return out;
}

/// @brief Calibrates every candidate on `batches`; one quantized_model per candidate, in order, with the
/// weights of sim.base() and the deployable tensors recomputed for the new activation factors.
/// @throws config_error / value_error naming the layer for a candidate the layer's configuration refuses
/// (kl asymmetric), value_error for a batch with NaN or Inf (naming layer and batch).
inline std::deque<quantized_model> calibrate_candidates(simulator& sim,
                                                        const quant_config& cfg,
                                                        const std::vector<calibration_candidate>& candidates,
                                                        const std::vector<std::size_t>& batches)
{
    std::vector<std::vector<calibrated_layer>> layers(candidates.size());
    simulation_plan calibration_model;
    for (const auto& l : sim.base().layers)
    {
        const layer_quant_config* lc = cfg.find(l.name);
        if (!lc)
        {
            detail::throw_error<value_error>("calibrate_candidates: layer \"" + l.name
                                             + "\" is not in the configuration");
        }
        for (std::size_t k = 0; k < candidates.size(); ++k)
        {
            layers[k].push_back({l.name,
                                 widen<algorithm_params>(resolved_params(
                                   candidates[k].apply(lc->activation_quant_params), cfg.activation_offset)),
                                 {}});
        }
        calibration_model[l.name] = int_setting(l, false);
    }
    std::deque<activation_calibration> calibrations;
    std::vector<activation_calibration*> all;
    for (const auto& k : layers)
    {
        all.push_back(&calibrations.emplace_back(k, batches.size()));
    }
    feed_batches(batches,
                 all,
                 [&](std::size_t b, layer_hook& hook)
                 {
                     sim.run(calibration_model, b, &hook);
                 });
    std::deque<quantized_model> out(candidates.size());
    for (std::size_t k = 0; k < candidates.size(); ++k)
    {
        for (std::size_t i = 0; i < sim.base().layers.size(); ++i)
        {
            quantized_layer q = calibration_inputs(sim.base().layers[i]);
            if (candidates[k].num_bits == 16 && q.arq)  // int16 layers: 16-bit weights too (HMCT's int16)
            {
                q.arq = arq(q.weight_float, arq_params{q.arq->channel_wise, 16}, q.layout, q.groups, q.name);
            }
            set_activation(q, calibrations[k].observer(i).compute(), out[k].notes);
            out[k].record.layers.emplace_back(q.name, record_of(q));
            out[k].layers.push_back(std::move(q));
        }
    }
    return out;
}
}  // namespace AMCT_ABI
}  // namespace amct
