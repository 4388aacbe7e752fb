// amct/pipeline/bn_fusion.hpp: BN fusion against torch's fuse_conv_bn_eval and the unfused graph, and its
// conditions.
#include <string>

#include <doctest/doctest.h>

#include <amct/config/quant_config.hpp>
#include <amct/pipeline/bn_fusion.hpp>

#include "pipeline_support.hpp"
#include "test_support.hpp"
#include "tiny_runtime.hpp"

namespace
{
using amct_test::batch_norm;
using amct_test::error_of;
using amct_test::flow_graph;
using amct_test::golden_file;
using amct_test::make_node;
using amct_test::max_error;
using amct_test::read_tensors;
}  // namespace

TEST_SUITE("pipeline")
{
    TEST_CASE("BN fusion equals torch's fuse_conv_bn_eval and the unfused graph")
    {
        const golden_file g = read_tensors("bn_fusion.txt");
        for (const char* name :
             {"conv", "conv_nobias", "depthwise", "grouped", "convtranspose", "convtranspose_nobias"})
        {
            const std::string c = name;
            CAPTURE(c);
            const auto attrs = g.at(c + ".attrs").ints();
            tiny::node conv = make_node(c, attrs[3] ? "ConvTranspose" : "Conv", "x", "c");
            conv.groups = static_cast<std::size_t>(attrs[0]);
            conv.stride = static_cast<std::size_t>(attrs[1]);
            conv.pad = static_cast<std::size_t>(attrs[2]);
            conv.params["weight"] = g.at(c + ".weight").f32();
            if (g.count(c + ".bias"))
            {
                conv.params["bias"] = g.at(c + ".bias").f32();
            }
            tiny::graph m;
            m.nodes = {conv, batch_norm(g, c + ".", "bn", "c", "y")};
            m.output = "y";
            const tiny::tensor x = g.at(c + ".x").f32(), y = g.at(c + ".y").f32();
            CHECK(max_error(m.run(x), y) < 1e-5);  // the fixture's runtime against torch, unfused

            tiny::tiny_adapter adapter(m);
            const amct::fusion_report r = amct::fuse_batch_norm(adapter, amct::quant_config{});
            REQUIRE(r.fused.size() == 1);
            CHECK(r.fused[0] == std::make_pair(c, std::string("bn")));
            CHECK(r.warnings.empty());
            REQUIRE(m.nodes.size() == 1);
            CHECK(m.output == "c");
            // torch computes 1/sqrt with rsqrt: a few ulps apart at most
            CHECK(max_error(m.nodes[0].params.at("weight"), g.at(c + ".fused_weight").f32()) < 1e-6);
            CHECK(max_error(m.nodes[0].params.at("bias"), g.at(c + ".fused_bias").f32()) < 1e-6);
            CHECK(max_error(m.run(x), y) < 1e-5);
        }
    }

    TEST_CASE("BN fusion honours do_fusion, skip_fusion_layers, single readers and finite folds")
    {
        const golden_file g = read_tensors("flow.txt");
        auto fused_of = [&](tiny::graph m, const amct::quant_config& cfg)
        {
            tiny::tiny_adapter a(m);
            return amct::fuse_batch_norm(a, cfg);
        };
        amct::quant_config cfg;
        CHECK(fused_of(flow_graph(g), cfg).fused.size() == 2);
        cfg.do_fusion = false;
        CHECK(fused_of(flow_graph(g), cfg).fused.empty());
        cfg.do_fusion = true;
        cfg.skip_fusion_layers = {"conv1"};
        const auto skipped = fused_of(flow_graph(g), cfg);
        REQUIRE(skipped.fused.size() == 1);
        CHECK(skipped.fused[0].first == "conv2");
        cfg.skip_fusion_layers.clear();

        tiny::graph two_readers = flow_graph(g);  // conv1's output also read by another node
        two_readers.nodes.push_back(make_node("side", "Relu", "c1", "side_out"));
        CHECK(fused_of(two_readers, cfg).fused.size() == 1);
        tiny::graph output_read = flow_graph(g);  // conv2's output is what the caller reads
        output_read.output = "c2";
        CHECK(fused_of(output_read, cfg).fused.size() == 1);

        tiny::graph partial = flow_graph(g);
        partial.nodes[1].params.erase("variance");
        const auto p = fused_of(partial, cfg);
        CHECK(p.fused.size() == 1);
        REQUIRE(p.warnings.size() == 1);
        CHECK(
          p.warnings[0]
          == "\"conv1\" + BatchNorm \"bn1\" not fused: the BatchNorm lacks gamma, beta, mean or variance");

        tiny::graph bad = flow_graph(g);
        bad.nodes[1].params["variance"](3) = -bad.nodes[1].epsilon;  // 1/sqrt(0) = inf
        const tiny::tensor before = bad.nodes[0].params["weight"];
        tiny::tiny_adapter a(bad);
        const auto r = amct::fuse_batch_norm(a, cfg);
        CHECK(r.fused.size() == 1);
        REQUIRE(r.warnings.size() == 1);
        CHECK(
          r.warnings[0].find(
            "\"conv1\" + BatchNorm \"bn1\" not fused: the fold gives non-finite values in output channel 3")
          == 0);
        CHECK(bad.nodes[0].params["weight"] == before);
        CHECK(bad.nodes[1].name == "bn1");

        tiny::graph mismatch = flow_graph(g);
        mismatch.nodes[1].params["mean"] = xt::zeros<float>({5});
        CHECK(error_of<amct::shape_error>(
                [&]
                {
                    fused_of(mismatch, cfg);
                })
              == "amct: shape error: \"conv1\" + BatchNorm \"bn1\": the BatchNorm has 5 channels, the "
                 "convolution 8");
    }
}
