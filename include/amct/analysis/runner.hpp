// amct/analysis/runner.hpp: what a runtime implements so that amct can run its model for accuracy analysis
// and tuning: run one batch of its analysis data while amct watches (and may change) each layer's input and
// output. Parameters are read and written through the model_adapter (amct/pipeline/adapter.hpp).
#pragma once

#include <cstddef>  // std::size_t
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/config.hpp>
#include <amct/detail/xtensor.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Called by the runtime around the nodes of a run. Node names are the model_adapter's. The default
/// functions watch nothing.
class layer_hook
{
public:
    virtual ~layer_hook() = default;

    /// Whether input() is called for `layer` (the runtime then lends its first input, which may be changed).
    virtual bool wants_input(const std::string& /*layer*/) const
    {
        return false;
    }

    /// The first input of `layer` before the layer runs, row-major; amct may change the values in place.
    virtual void input(const std::string& /*layer*/,
                       float* /*data*/,
                       const std::vector<std::size_t>& /*shape*/)
    {
    }

    /// Whether output() is called for `layer`.
    virtual bool wants_output(const std::string& /*layer*/) const
    {
        return false;
    }

    /// The first output of `layer` after it ran, row-major; amct may change the values in place (a float16
    /// layer's output is rounded to half precision).
    virtual void output(const std::string& /*layer*/,
                        float* /*data*/,
                        const std::vector<std::size_t>& /*shape*/)
    {
    }
};

/// @brief A runtime's model, runnable on its analysis data (a fixed list of batches).
///
/// run() uses the parameters the model_adapter last set; amct never calls it concurrently with itself or
/// with set_param.
class model_runner
{
public:
    virtual ~model_runner() = default;

    /// Number of batches run() accepts.
    virtual std::size_t batch_count() const = 0;

    /// Runs batch `b` (< batch_count()), calling `hook` for every node it asks for; returns the model's
    /// outputs in a fixed order.
    virtual std::vector<xt::xarray<float>> run(std::size_t b, layer_hook& hook) = 0;
};
}  // namespace AMCT_ABI
}  // namespace amct
