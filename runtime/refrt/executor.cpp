// The run loop (executor.hpp): nodes in order over a map of live tensors, each intermediate freed after its
// last reader. Ops are in ops.cpp.
#include "executor.hpp"

#include <exception>      // std::exception
#include <optional>       // std::optional
#include <set>            // std::set
#include <unordered_map>  // std::unordered_map

namespace refrt
{
namespace
{
[[noreturn]] void fail(const node& n, const std::string& what)
{
    throw model_error(n.where() + ": " + what);
}
}  // namespace

std::vector<tensor> run(const graph& g, const tensor_map& inputs, run_observer* observer)
{
    for (const value_info& v : g.inputs)
        if (inputs.count(v.name) == 0)
            throw model_error("graph input '" + v.name + "' is not given");

    // last_use[name]: index of the last node reading it; graph outputs are never freed.
    std::unordered_map<std::string, std::size_t> last_use;
    for (std::size_t i = 0; i < g.nodes.size(); ++i)
        for (const std::string& name : g.nodes[i].inputs)
            if (!name.empty())
                last_use[name] = i;
    const std::set<std::string> keep(g.outputs.begin(), g.outputs.end());

    std::unordered_map<std::string, tensor> live;
    const auto lookup = [&](const std::string& name) -> const tensor*
    {
        if (const auto it = live.find(name); it != live.end())
            return &it->second;
        if (const auto it = inputs.find(name); it != inputs.end())
            return &it->second;
        return g.constant(name);
    };

    std::vector<const tensor*> args;
    for (std::size_t i = 0; i < g.nodes.size(); ++i)
    {
        const node& n = g.nodes[i];
        args.assign(n.inputs.size(), nullptr);
        for (std::size_t k = 0; k < n.inputs.size(); ++k)
        {
            if (n.inputs[k].empty())
                continue;
            args[k] = lookup(n.inputs[k]);
            if (args[k] == nullptr)
                fail(n, "input '" + n.inputs[k] + "' is not available");
        }
        std::optional<tensor> replaced;  // constructed only for an observed node
        if (observer != nullptr && !args.empty() && args[0] != nullptr && observer->wants_input(n))
        {
            replaced = *args[0];
            observer->input(n, *replaced);
            args[0] = &*replaced;
        }
        std::vector<tensor> outputs;
        try
        {
            outputs = run_node(n, args);
        }
        catch (const model_error&)
        {
            throw;
        }
        catch (const std::exception& e)
        {
            fail(n, e.what());
        }
        if (outputs.empty())
            fail(n, "no output");
        if (observer != nullptr)
            observer->output(n, outputs[0]);
        for (std::size_t k = 0; k < n.outputs.size() && k < outputs.size(); ++k)
            if (!n.outputs[k].empty() && (last_use.count(n.outputs[k]) != 0 || keep.count(n.outputs[k]) != 0))
                live[n.outputs[k]] = std::move(outputs[k]);
        for (const std::string& name : n.inputs)
        {
            if (name.empty() || keep.count(name) != 0)
                continue;
            const auto it = last_use.find(name);
            if (it != last_use.end() && it->second == i)
                live.erase(name);
        }
    }

    std::vector<tensor> result;
    result.reserve(g.outputs.size());
    for (const std::string& name : g.outputs)
    {
        if (const auto it = live.find(name); it != live.end())
            result.push_back(std::move(it->second));
        else if (const tensor* t = lookup(name))
            result.push_back(*t);
        else
            throw model_error("graph output '" + name + "' is not produced");
    }
    return result;
}

void check_graph(const graph& g)
{
    std::set<std::string> available;
    for (const value_info& v : g.inputs)
        available.insert(v.name);
    for (const auto& c : g.constants)
        available.insert(c.first);
    for (const node& n : g.nodes)
    {
        if (!is_supported(n.op))
            throw model_error("unsupported op '" + n.op + "' in node '" + n.name + "'");
        for (const std::string& name : n.inputs)
            if (!name.empty() && available.count(name) == 0)
                fail(n,
                     "input '" + name
                       + "' is neither a graph input, a constant nor an earlier node's output");
        for (const std::string& name : n.outputs)
            if (!name.empty())
                available.insert(name);
    }
    for (const std::string& name : g.outputs)
        if (available.count(name) == 0)
            throw model_error("graph output '" + name + "' is not produced by any node");
}
}  // namespace refrt
