// runtime/refrt/executor.hpp: runs a refrt::graph. Single-threaded per call and re-entrant: one const
// graph may be run from several threads at once. Intermediate tensors are freed after their last reader.
#pragma once

#include <map>     // std::map
#include <string>  // std::string
#include <vector>  // std::vector

#include "graph.hpp"

namespace refrt
{
using tensor_map = std::map<std::string, tensor>;

/// Watches a run: may replace a node's first input before the node runs (fake quantization) and read or
/// change every node's first output afterwards (layer-wise comparisons, float16 simulation).
class run_observer
{
public:
    virtual ~run_observer() = default;

    /// Whether input() is called for this node (its first input is then copied, so it may be changed).
    virtual bool wants_input(const node&)
    {
        return false;
    }

    virtual void input(const node&, tensor&) {}

    /// Called after every node with its first output, which may be changed (float16 rounding).
    virtual void output(const node&, tensor&) {}
};

/// Runs the graph on its named inputs and returns the graph's outputs in the order of g.outputs.
/// @throws model_error naming the node for a missing input, bad shapes or an unsupported op.
std::vector<tensor> run(const graph& g, const tensor_map& inputs, run_observer* observer = nullptr);

/// One node: its outputs from its inputs (nullptr for an omitted optional input; constants included).
/// @throws model_error naming the node.
std::vector<tensor> run_node(const node& n, const std::vector<const tensor*>& inputs);

/// Whether run_node implements an op type.
bool is_supported(const std::string& op);

/// Throws model_error naming the first node whose op is not supported, or whose inputs are neither graph
/// inputs, constants nor outputs of earlier nodes.
void check_graph(const graph& g);
}  // namespace refrt
