// amct/pipeline/runtime.hpp: the one seam between amct and a runtime. A runtime implements model_adapter
// (five functions: its nodes, a node's parameters, replacing a parameter, removing a folded BatchNorm, and
// optionally its graph outputs); amct reads and rewrites parameters through it (BN fusion, fake-quantized
// weights) and never touches the runtime's storage directly. For accuracy analysis and tuning it also
// implements model_runner: run one batch of its analysis data while amct watches (and may change) each
// layer's input and output through a layer_hook.
#pragma once

#include <cstddef>  // std::size_t
#include <string>   // std::string
#include <vector>   // std::vector

#include <amct/base/macros.hpp>
#include <amct/detail/xtensor.hpp>
#include <amct/model/graph.hpp>
#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// @brief What a runtime implements so that amct can quantize its model.
///
/// amct calls nodes() and graph_outputs() once per pass, param() to read, set_param() to write back fused
/// and fake-quantized parameters (set_param may create a parameter: a convolution without bias gets one
/// from BN fusion), and remove_node() for a BatchNorm folded into its producer. None of these is called
/// concurrently. During calibration the runtime hands amct each quantized layer's input through
/// calibration_session::observe (amct/pipeline/session.hpp).
class model_adapter
{
public:
    virtual ~model_adapter() = default;

    /// The nodes, in an order where producers come before consumers.
    virtual std::vector<graph_node> nodes() const = 0;

    /// Tensors the caller of the model reads; a producer whose output is one of them is never fused away.
    virtual std::vector<std::string> graph_outputs() const
    {
        return {};
    }

    /// A parameter of a node, or an empty tensor_ref when the node has none.
    virtual tensor_ref param(const std::string& node, param_kind kind) const = 0;

    /// Replaces (or creates) a parameter of a node.
    virtual void set_param(const std::string& node, param_kind kind, const xt::xarray<float>& value) = 0;

    /// Removes a BatchNorm that was folded into its producer: readers of its output read its input instead.
    virtual void remove_node(const std::string& node) = 0;
};

/// The layers of a runtime's model that amct can quantize, for create_quant_config: nodes of a type
/// find_arq_rule knows, except weighted types without a weight (a MatMul of two activations).
AMCT_DECL std::vector<layer_info> quantizable_layers(const model_adapter& model);

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

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/pipeline/impl/runtime.ipp>
#endif
