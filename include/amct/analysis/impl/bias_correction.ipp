// amct/analysis/impl/bias_correction.ipp: the definitions of <amct/analysis/bias_correction.hpp>
// (header-only: included by it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/analysis/bias_correction.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
AMCT_DECL void channel_means::output(const std::string& layer,
                                     float* data,
                                     const std::vector<std::size_t>& shape)
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
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL bias_correction_result bias_correction(simulator& sim,
                                                 quantized_model& model,
                                                 const simulation_plan& plan,
                                                 const std::vector<std::size_t>& batches,
                                                 metric m)
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
