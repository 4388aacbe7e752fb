// amct/analysis/bias_correction.hpp: HMCT's BiasCorrection (peers.md 2.4; Nagel et al., arXiv 1906.04721):
// for every layer with a weight, in graph order, the mean shift of each output channel between the float
// model and the simulated model (earlier layers already corrected) on the sample batches,
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

    void output(const std::string& layer, float* data, const std::vector<std::size_t>& shape) override
    {
        if (shape.size() < 2)
        {
            throw_error<shape_error>("bias_correction: layer \"" + layer
                                     + "\" has an output of rank < 2 (channels are axis 1)");
        }
        const auto [outer, channels, inner] = split_at(shape, 1);
        auto& [sum, count] = sums[layer];
        sum.resize(channels, 0.0);
        for (std::size_t n = 0; n < outer; ++n)
        {
            for (std::size_t c = 0; c < channels; ++c)
            {
                const float* p = data + (n * channels + c) * inner;
                double s = 0;
                for (std::size_t i = 0; i < inner; ++i)
                {
                    s += p[i];
                }
                sum[c] += s;
            }
        }
        count += outer * inner;
    }

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
inline bias_correction_result bias_correction(simulator& sim,
                                              quantized_model& model,
                                              const simulation_plan& plan,
                                              const std::vector<std::size_t>& batches,
                                              metric m = metric::cosine)
{
    bias_correction_result out;
    out.log.target = tuning_target{m, 0.0, batches};
    std::set<std::string> layers;
    for (const auto& l : model.layers)
    {
        const auto it = plan.find(l.name);
        if (l.arq && it != plan.end() && it->second.q == &l && it->second.quantize_input)
        {
            layers.insert(l.name);
        }
    }
    detail::channel_means reference(std::move(layers));
    for (std::size_t b : batches)
    {
        sim.run({}, b, &reference);
    }
    out.log.add("before bias correction", detail::measure(sim, plan, out.log.target), true);
    for (auto& q : model.layers)
    {
        if (!reference.sums.count(q.name))
        {
            continue;
        }
        detail::channel_means quant({q.name});
        for (std::size_t b : batches)
        {
            sim.run(plan, b, &quant);
        }
        const auto& [fsum, fcount] = reference.sums.at(q.name);
        const auto& [qsum, qcount] = quant.sums.at(q.name);
        if (fsum.size() != q.channels)
        {
            detail::throw_error<shape_error>(
              "bias_correction: layer \"" + q.name + "\" has " + std::to_string(fsum.size())
              + " output channels on axis 1, its weight " + std::to_string(q.channels));
        }
        q.bias_correction.resize(q.channels, 0.0f);
        double shift = 0;  // mean over channels of |correction[c]|
        for (std::size_t c = 0; c < q.channels; ++c)
        {
            const double d = fsum[c] / static_cast<double>(fcount) - qsum[c] / static_cast<double>(qcount);
            q.bias_correction[c] = static_cast<float>(q.bias_correction[c] + d);
            shift += std::fabs(d) / static_cast<double>(q.channels);
        }
        set_activation(q, q.activation, model.notes);
        model.record[q.name] = record_of(q);
        sim.changed(q.name);
        out.mean_shift[q.name] = shift;
    }
    out.log.add("after bias correction", detail::measure(sim, plan, out.log.target), true);
    return out;
}
}  // namespace AMCT_ABI
}  // namespace amct
