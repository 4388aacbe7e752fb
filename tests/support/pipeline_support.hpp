// Helpers shared by the pipeline tests (tests/pipeline): the golden tensors of scripts/gen_pipeline_golden.py
// (tests/data/pipeline) and the graphs built from them in the tiny runtime.
#pragma once

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "test_support.hpp"
#include "tiny_runtime.hpp"

#ifndef AMCT_TEST_DATA_DIR
#error "AMCT_TEST_DATA_DIR must name tests/data"
#endif

namespace amct_test
{
/// A tensor of the golden files: "<key> <dims...> : <values...>".
struct golden_tensor
{
    std::vector<std::size_t> shape;
    std::vector<double> values;

    tiny::tensor f32() const
    {
        tiny::tensor t = tiny::tensor::from_shape(shape.empty() ? std::vector<std::size_t>{1} : shape);
        std::transform(values.begin(),
                       values.end(),
                       t.begin(),
                       [](double v)
                       {
                           return static_cast<float>(v);
                       });
        return t;
    }

    std::vector<float> floats() const
    {
        return std::vector<float>(values.begin(), values.end());
    }

    std::vector<std::int64_t> ints() const
    {
        return std::vector<std::int64_t>(values.begin(), values.end());
    }
};

using golden_file = std::map<std::string, golden_tensor>;

inline golden_file read_tensors(const std::string& name)
{
    const std::string path = std::string(AMCT_TEST_DATA_DIR) + "/pipeline/" + name;
    std::ifstream in(path);
    REQUIRE_MESSAGE(in, "cannot open " << path);
    golden_file out;
    std::string line;
    while (std::getline(in, line))
    {
        if (line.empty() || line[0] == '#')
        {
            continue;
        }
        std::istringstream s(line);
        std::string key, tok;
        s >> key;
        golden_tensor t;
        while (s >> tok && tok != ":")
        {
            t.shape.push_back(std::stoul(tok));
        }
        while (s >> tok)
        {
            // "%.9g" writes a float -0.0 as "-0": keep its sign (ints() reads it as 0)
            t.values.push_back(tok == "-0" ? -0.0
                               : tok.find_first_of(".eEn") == std::string::npos
                                 ? static_cast<double>(std::stoll(tok))
                                 : static_cast<double>(amct_test::parse_float(tok)));
        }
        out.emplace(key, std::move(t));
    }
    return out;
}

/// Largest |a - b| / (1 + |b|).
inline double max_error(const xt::xarray<float>& a, const xt::xarray<float>& b)
{
    REQUIRE(a.shape() == b.shape());
    double e = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
    {
        e = std::max(e, std::fabs(static_cast<double>(a.flat(i)) - b.flat(i)) / (1.0 + std::fabs(b.flat(i))));
    }
    return e;
}

inline tiny::node make_node(std::string name, std::string op, std::string in, std::string out)
{
    tiny::node n;
    n.name = std::move(name);
    n.op = std::move(op);
    n.input = std::move(in);
    n.output = std::move(out);
    return n;
}

inline tiny::node batch_norm(const golden_file& g,
                             const std::string& prefix,
                             const std::string& name,
                             std::string in,
                             std::string out)
{
    tiny::node n = make_node(name, "BatchNormalization", std::move(in), std::move(out));
    n.params["weight"] = g.at(prefix + "gamma").f32();
    n.params["bias"] = g.at(prefix + "beta").f32();
    n.params["mean"] = g.at(prefix + "mean").f32();
    n.params["variance"] = g.at(prefix + "var").f32();
    n.epsilon = static_cast<float>(g.at(prefix + "eps").values.at(0));
    return n;
}

/// The graph of flow.txt (see scripts/gen_pipeline_golden.py).
inline tiny::graph flow_graph(const golden_file& g)
{
    tiny::graph m;
    tiny::node conv1 = make_node("conv1", "Conv", "x", "c1");
    conv1.pad = 1;
    conv1.params["weight"] = g.at("conv1.weight").f32();
    conv1.params["bias"] = g.at("conv1.bias").f32();
    tiny::node conv2 = make_node("conv2", "Conv", "r1", "c2");
    conv2.pad = 1;
    conv2.groups = 8;
    conv2.params["weight"] = g.at("conv2.weight").f32();
    tiny::node pool = make_node("pool", "AveragePool", "r2", "p");
    pool.kernel = 2;
    tiny::node conv3 = make_node("conv3", "Conv", "p", "c3");
    conv3.groups = 2;
    conv3.params["weight"] = g.at("conv3.weight").f32();
    conv3.params["bias"] = g.at("conv3.bias").f32();
    tiny::node fc = make_node("fc", "Gemm", "f", "y");
    fc.params["weight"] = g.at("fc.weight").f32();
    fc.params["bias"] = g.at("fc.bias").f32();
    m.nodes = {conv1,
               batch_norm(g, "bn1.", "bn1", "c1", "b1"),
               make_node("relu1", "Relu", "b1", "r1"),
               conv2,
               batch_norm(g, "bn2.", "bn2", "c2", "b2"),
               make_node("relu2", "Relu", "b2", "r2"),
               pool,
               conv3,
               make_node("relu3", "Relu", "c3", "r3"),
               make_node("gap", "GlobalAveragePool", "r3", "g"),
               make_node("flat", "Flatten", "g", "f"),
               fc};
    m.output = "y";
    return m;
}
}  // namespace amct_test
