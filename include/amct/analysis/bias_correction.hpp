// amct/analysis/bias_correction.hpp: HMCT's BiasCorrection (docs/sources.md#horizon-hmct, "Bias correction";
// Nagel et al., arXiv 1906.04721): for every layer with a weight, in graph order, the mean shift of each
// output channel between the float model and the simulated model (earlier layers already corrected) on the
// sample batches,
//   correction[c] = mean(y_float[:, c, ...]) - mean(y_quant[:, c, ...]),
// is added to the layer's bias_correction (a layer without bias gets an int32 bias), and the int32 bias
// recomputed (set_activation). The float model keeps its bias.
// Channels are axis 1 of the layer's output (NCHW, NC). Cost: one float run and one run per layer per batch.
#pragma once

#include <cmath>    // std::fabs
#include <cstddef>  // std::size_t
#include <map>      // std::map
#include <set>      // std::set
#include <string>   // std::string
#include <utility>  // std::move, std::pair
#include <vector>   // std::vector

#include <amct/analysis/simulation.hpp>
#include <amct/analysis/tuning_log.hpp>
#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/detail/contiguous.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// Per-channel sums (axis 1) of the first output of chosen layers.
class channel_means : public layer_hook
{
public:
    explicit channel_means(std::set<std::string> layers)
      : m_layers(std::move(layers))
    {
    }

    bool wants_output(const std::string& layer) const override
    {
        return m_layers.count(layer) != 0;
    }

    AMCT_DECL void output(const std::string& layer,
                          float* data,
                          const std::vector<std::size_t>& shape) override;

    std::map<std::string, std::pair<std::vector<double>, std::size_t>> sums;

private:
    std::set<std::string> m_layers;
};
}  // namespace detail

struct bias_correction_result
{
    std::map<std::string, double>
      mean_shift;    ///< per corrected layer: the mean over channels of |correction|
    tuning_log log;  ///< the model-output metric before and after
};

/// @brief Corrects the biases of `model` (the simulator's base, changed in place) for the plan `plan`
/// (usually uniform_plan(model, qtype::int8)) on `batches`; layers of `plan` not in int8/int16 are
/// left alone. The result logs the model-output `m` before and after.
/// @throws shape_error when a layer's output channels differ from its bias size.
AMCT_DECL bias_correction_result bias_correction(simulator& sim,
                                                 quantized_model& model,
                                                 const simulation_plan& plan,
                                                 const std::vector<std::size_t>& batches,
                                                 metric m = metric::cosine);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/bias_correction.ipp>
#endif
