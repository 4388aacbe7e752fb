// amct/model/graph.hpp: the graph a runtime describes to amct: its nodes (name, type, data inputs and
// outputs, layout attributes), the parameters amct asks for by kind, and the float tensors the runtime lends
// amct.
#pragma once

#include <algorithm>    // std::copy
#include <cstddef>      // std::size_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <type_traits>  // std::enable_if_t, std::is_base_of_v
#include <utility>      // std::move
#include <vector>       // std::vector

#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/detail/contiguous.hpp>
#include <amct/detail/xtensor.hpp>
#include <amct/model/layer_types.hpp>

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
    AMCT_DECL xt::xarray<float> copy() const;
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

AMCT_DECL const char* to_string(param_kind k) noexcept;

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
AMCT_DECL weight_layout layout_of(const graph_node& n);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/model/impl/graph.ipp>
#endif
