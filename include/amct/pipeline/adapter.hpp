// amct/pipeline/adapter.hpp: what a runtime tells amct about its graph. A runtime implements model_adapter
// (five functions: its nodes, a node's parameters, replacing a parameter, removing a folded BatchNorm, and
// optionally its graph outputs); amct reads and rewrites parameters through it (BN fusion, fake-quantized
// weights) and never touches the runtime's storage directly.
#pragma once

#include <cstddef>      // std::size_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::enable_if_t
#include <vector>       // std::vector

#include <amct/algo/arq.hpp>
#include <amct/config.hpp>
#include <amct/config/layer_types.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/xtensor.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// A float tensor the runtime lends amct to read: contiguous row-major storage and its shape. An empty
/// tensor_ref (data == nullptr) means "no such parameter". amct copies what it needs at once: the storage
/// must stay valid until the runtime's next call into the adapter, nothing more.
struct tensor_ref
{
    const float* data = nullptr;
    std::vector<std::size_t> shape;

    tensor_ref() = default;

    tensor_ref(const float* d, std::vector<std::size_t> s)
      : data(d)
      , shape(std::move(s))
    {
    }

    /// Any row-major xtensor container (xarray, xtensor, their adaptors; not views): borrows its storage.
    /// @throws value_error for a container that is not row-major.
    template <class C, std::enable_if_t<std::is_base_of_v<xt::xcontainer<C>, C>, int> = 0>
    tensor_ref(const C& c)  // NOLINT(google-explicit-constructor): lending a container is the common case
      : data(c.data())
      , shape(c.shape().begin(), c.shape().end())
    {
        if (c.layout() != xt::layout_type::row_major)
        {
            detail::throw_error<value_error>("tensor_ref: the container is not row-major");
        }
    }

    bool empty() const noexcept
    {
        return data == nullptr;
    }

    std::size_t size() const noexcept
    {
        return data ? detail::element_count(shape) : 0;
    }

    /// A copy as an xarray (amct keeps copies of what it changes).
    xt::xarray<float> copy() const
    {
        xt::xarray<float> a = xt::xarray<float>::from_shape(shape);
        std::copy(data, data + size(), a.begin());
        return a;
    }
};

/// The parameters amct reads and writes. For a BatchNorm node: weight = gamma (scale), bias = beta,
/// mean = running mean, variance = running variance.
enum class param_kind
{
    weight,
    bias,
    mean,
    variance
};

inline const char* to_string(param_kind k) noexcept
{
    switch (k)
    {
        case param_kind::weight:
            return "weight";
        case param_kind::bias:
            return "bias";
        case param_kind::mean:
            return "mean";
        case param_kind::variance:
            return "variance";
    }
    return "?";
}

/// One node of the runtime's graph. Parameters are not listed among the inputs: amct asks for them by
/// param_kind.
struct graph_node
{
    std::string name;
    std::string type;                     ///< ONNX, PyTorch, TF, Keras or Caffe spelling (see find_arq_rule)
    std::vector<std::string> inputs;      ///< data tensors read; the first is what calibration observes
    std::vector<std::string> outputs;     ///< data tensors written
    std::size_t groups = 1;               ///< Conv / ConvTranspose groups
    bool trans_b = false;                 ///< ONNX Gemm's transB
    double epsilon = 1e-5;                ///< BatchNorm's epsilon
    std::optional<weight_layout> layout;  ///< unset: the type's layout (find_arq_rule)
    /// The shape every observed input must have, 0 for a dimension of any size (the batch); empty: any shape.
    std::vector<std::size_t> input_shape;
};

/// The layout of a node's weight: its own, else its type's.
inline weight_layout layout_of(const graph_node& n)
{
    if (n.layout)
    {
        return *n.layout;
    }
    const auto rule = find_arq_rule(n.type, n.trans_b);
    return rule ? rule->layout : weight_layout::out_in;
}

/// BatchNorm in the spellings of ONNX, PyTorch, TF, Keras and Caffe.
inline bool is_batch_norm(std::string_view type)
{
    return detail::type_in(type,
                           {"BatchNormalization",
                            "BatchNorm",
                            "BatchNorm1d",
                            "BatchNorm2d",
                            "BatchNorm3d",
                            "FusedBatchNorm",
                            "FusedBatchNormV2",
                            "FusedBatchNormV3"});
}

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
inline std::vector<layer_info> quantizable_layers(const model_adapter& model)
{
    std::vector<layer_info> layers;
    for (const auto& n : model.nodes())
    {
        const auto rule = find_arq_rule(n.type, n.trans_b);
        if (rule && (!rule->has_weight || !model.param(n.name, param_kind::weight).empty()))
        {
            layers.push_back({n.name, n.type});
        }
    }
    return layers;
}
}  // namespace AMCT_ABI
}  // namespace amct
