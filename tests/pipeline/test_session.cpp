// amct/pipeline/session.hpp inside a runtime: the calibration session against an independent numpy
// re-implementation of AMCT's flow (scripts/gen_pipeline_golden.py), thread, process-shard and save/resume
// determinism, bad batches, the checks of its configuration and of the runtime's parameters.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include <amct/pipeline/session.hpp>

#include "pipeline_support.hpp"
#include "test_support.hpp"
#include "tiny_runtime.hpp"

namespace
{
using amct_test::bits;
using amct_test::error_of;
using amct_test::flow_graph;
using amct_test::golden_file;
using amct_test::max_error;
using amct_test::read_tensors;

/// Index of the first element where a and b differ in bits, or -1.
long first_difference(const std::vector<float>& a, const std::vector<float>& b)
{
    if (a.size() != b.size())
    {
        return static_cast<long>(std::min(a.size(), b.size()));
    }
    for (std::size_t i = 0; i < a.size(); ++i)
    {
        if (bits(a[i]) != bits(b[i]))
        {
            return static_cast<long>(i);
        }
    }
    return -1;
}

std::vector<float> as_vector(const xt::xarray<float>& t)
{
    return std::vector<float>(t.begin(), t.end());
}

amct::quant_config default_config(const amct::model_adapter& model, int batch_num)
{
    amct::create_quant_config_options opts;
    opts.batch_num = batch_num;
    return amct::create_quant_config(amct::quantizable_layers(model), opts);
}

/// Runs `batches` through the graph, handing every quantized layer's input to the session.
void calibrate(tiny::graph& g,
               amct::calibration_session& s,
               const std::vector<tiny::tensor>& batches,
               std::size_t first = 0,
               std::size_t step = 1)
{
    for (std::size_t b = first; b < batches.size(); b += step)
    {
        g.run(batches[b],
              [&](const tiny::node& n, tiny::tensor& in)
              {
                  if (s.wants(n.name))
                  {
                      s.observe(n.name, b, in);
                  }
              });
    }
}

std::vector<tiny::tensor> random_batches(std::size_t n, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<tiny::tensor> out;
    for (std::size_t i = 0; i < n; ++i)
    {
        tiny::tensor t = tiny::tensor::from_shape({2, 3, 6, 6});
        for (auto& v : t)
        {
            v = d(rng);
        }
        out.push_back(std::move(t));
    }
    return out;
}

/// A config with HFMG (whose result depends on the batch order) on two layers.
amct::quant_config mixed_config(const amct::model_adapter& model, int batch_num)
{
    amct::quant_config cfg = default_config(model, batch_num);
    for (auto& [name, l] : cfg.layers)
    {
        if (name == "conv2" || name == "fc")
        {
            l.activation_quant_params = amct::activation_quant_config{};
            l.activation_quant_params.select("hfmg");
            l.activation_quant_params.set(&amct::hfmg_params::num_of_bins, 1024);
        }
    }
    return cfg;
}

/// A config with one activation algorithm on every layer ("mixed": mixed_config; "ifmr_bounded": IFMR with
/// ifmr_mode "bounded").
amct::quant_config algorithm_config(const amct::model_adapter& model, int batch_num, const std::string& algo)
{
    if (algo == "mixed")
    {
        return mixed_config(model, batch_num);
    }
    amct::quant_config cfg = default_config(model, batch_num);
    for (auto& [name, l] : cfg.layers)
    {
        l.activation_quant_params = amct::activation_quant_config{};
        l.activation_quant_params.select(algo == "ifmr_bounded" ? "ifmr" : algo);
        if (algo == "ifmr_bounded")
        {
            l.activation_quant_params.set(&amct::ifmr_params::mode, amct::ifmr_mode::bounded);
        }
        if (algo == "kl")
        {
            l.activation_quant_params.set_asymmetric(false);
        }
    }
    return cfg;
}

/// The flow graph in a runtime, with a calibration session on it (default or mixed_config).
struct flow_run
{
    flow_run(const golden_file& g, bool mixed, int batch_num, void (*edit)(tiny::graph&) = nullptr)
      : graph(flow_graph(g))
      , adapter(edited(graph, edit))
      , session(adapter, mixed ? mixed_config(adapter, batch_num) : default_config(adapter, batch_num))
    {
    }

    /// With one algorithm on every layer (algorithm_config) and an executor.
    flow_run(const golden_file& g, int batch_num, const std::string& algo, amct::executor exec = {})
      : graph(flow_graph(g))
      , adapter(graph)
      , session(adapter, algorithm_config(adapter, batch_num, algo), std::move(exec))
    {
    }

    static tiny::graph& edited(tiny::graph& g, void (*edit)(tiny::graph&))
    {
        if (edit)
        {
            edit(g);
        }
        return g;
    }

    /// calibrate() over batches first, first + step, ...
    void run(const std::vector<tiny::tensor>& batches, std::size_t first = 0, std::size_t step = 1)
    {
        calibrate(graph, session, batches, first, step);
    }

    tiny::graph graph;
    tiny::tiny_adapter adapter;
    amct::calibration_session session;
};

/// What the mixed configuration gives on `batches` in one uninterrupted run.
amct::quantized_model uninterrupted(const golden_file& g, const std::vector<tiny::tensor>& batches)
{
    flow_run r(g, true, static_cast<int>(batches.size()));
    r.run(batches);
    return r.session.finalize();
}

void check_same_model(const amct::quantized_model& a, const amct::quantized_model& b)
{
    CHECK(a.record == b.record);
    REQUIRE(a.layers.size() == b.layers.size());
    for (std::size_t i = 0; i < a.layers.size(); ++i)
    {
        INFO("layer " << a.layers[i].name);
        CHECK(a.layers[i].weight_int == b.layers[i].weight_int);
        CHECK(first_difference(as_vector(a.layers[i].weight_fake), as_vector(b.layers[i].weight_fake)) == -1);
        CHECK(a.layers[i].bias_int == b.layers[i].bias_int);
        CHECK(first_difference(a.layers[i].deq_scale, b.layers[i].deq_scale) == -1);
    }
}
}  // namespace

TEST_SUITE("pipeline")
{
    TEST_CASE("the session reproduces the numpy flow bit for bit from the same layer inputs")
    {
        const golden_file g = read_tensors("flow.txt");
        flow_run s(g, false, 3);
        CHECK(s.session.layers() == std::vector<std::string>{"conv1", "conv2", "pool", "conv3", "fc"});
        REQUIRE(s.session.fusion().fused.size() == 2);
        CHECK(s.graph.nodes.size() == 10);
        // the fused weights are fake-quantized in the runtime now; bias stays float
        CHECK(
          first_difference(as_vector(s.graph.nodes[0].params.at("bias")), g.at("fused.conv1.bias").floats())
          == -1);
        for (std::size_t b = 0; b < 3; ++b)
        {
            for (const auto& layer : s.session.layers())
            {
                CHECK(s.session.observe(layer, b, g.at("act." + layer + "." + std::to_string(b)).f32()));
            }
        }
        CHECK_FALSE(s.session.observe("conv1", 3, g.at("act.conv1.0").f32()));  // after batch_num: ignored
        REQUIRE(s.session.complete());
        const amct::quantized_model q = s.session.finalize();
        REQUIRE(q.layers.size() == 5);
        for (const auto& l : q.layers)
        {
            CAPTURE(l.name);
            const amct::layer_record& r = *q.record.find(l.name);
            CHECK(bits(*r.scale_d) == bits(static_cast<float>(g.at(l.name + ".scale_d").values[0])));
            CHECK(*r.offset_d == g.at(l.name + ".offset_d").values[0]);
            CHECK(r.act_type == std::optional<std::string>("INT8"));
            if (l.name == "pool")
            {
                CHECK(r.scale_w == std::vector<float>{1.0f});
                CHECK(r.offset_w == std::vector<std::int32_t>{0});
                CHECK_FALSE(r.wts_type);
                continue;
            }
            CHECK(r.wts_type == std::optional<std::string>("INT8"));
            CHECK(first_difference(r.scale_w, g.at(l.name + ".scale_w_final").floats()) == -1);
            CHECK(r.offset_w == std::vector<std::int32_t>(r.scale_w.size(), 0));
            const auto wi = g.at(l.name + ".weight_int");
            CHECK(std::vector<std::size_t>(l.weight_int.shape().begin(), l.weight_int.shape().end())
                  == wi.shape);
            CHECK(std::vector<std::int64_t>(l.weight_int.begin(), l.weight_int.end()) == wi.ints());
            CHECK(first_difference(as_vector(l.weight_fake), g.at(l.name + ".weight_fake").floats()) == -1);
            CHECK(std::vector<std::int64_t>(l.bias_int.begin(), l.bias_int.end())
                  == g.at(l.name + ".bias_int").ints());
            CHECK(first_difference(l.deq_scale, g.at(l.name + ".deq_scale").floats()) == -1);
        }
        // conv3's channel 0 needed a larger weight scale for its int32 bias, and says so; the runtime has it
        REQUIRE(q.notes.size() == 1);
        CHECK(q.notes[0].find("layer \"conv3\": the int32 bias of output channel 0") == 0);
        const auto conv3 = std::find_if(s.graph.nodes.begin(),
                                        s.graph.nodes.end(),
                                        [](const tiny::node& n)
                                        {
                                            return n.name == "conv3";
                                        });
        REQUIRE(conv3 != s.graph.nodes.end());
        CHECK(first_difference(as_vector(conv3->params.at("weight")), g.at("conv3.weight_fake").floats())
              == -1);
        CHECK(bits(q.find("conv3")->weights.scale[0])
              != bits(static_cast<float>(g.at("conv3.scale_w").values[0])));
        CHECK(first_difference(q.find("conv1")->weights.scale, g.at("conv1.scale_w").floats()) == -1);
    }

    TEST_CASE("the session inside the runtime: fake-quantized weights, float activations, numpy's outputs")
    {
        const golden_file g = read_tensors("flow.txt");
        flow_run s(g, false, 3);
        std::vector<tiny::tensor> inputs;
        for (int b = 0; b < 3; ++b)
        {
            inputs.push_back(g.at("input." + std::to_string(b)).f32());
        }
        for (std::size_t b = 0; b < 3; ++b)
        {
            const tiny::tensor y = s.graph.run(
              inputs[b],
              [&](const tiny::node& n, tiny::tensor& in)
              {
                  if (s.session.wants(n.name))
                  {
                      CHECK(max_error(in, g.at("act." + n.name + "." + std::to_string(b)).f32()) < 1e-5);
                      s.session.observe(n.name, b, in);
                  }
              });
            CHECK(max_error(y, g.at("output." + std::to_string(b)).f32()) < 1e-5);
        }
        const amct::quantized_model q = s.session.finalize();
        for (const auto& l : q.layers)
        {
            CAPTURE(l.name);
            const amct::layer_record& r = *q.record.find(l.name);
            CHECK(*r.scale_d == doctest::Approx(g.at(l.name + ".scale_d").values[0]).epsilon(1e-5));
            CHECK(*r.offset_d == g.at(l.name + ".offset_d").values[0]);
        }
    }

    TEST_CASE("two threads give the one-thread result, whatever order batches arrive in")
    {
        const golden_file g = read_tensors("flow.txt");
        const std::vector<tiny::tensor> batches = random_batches(8, 7);
        flow_run one(g, true, 8);
        one.run(batches);
        const amct::quantized_model expected = one.session.finalize();

        for (int round = 0; round < 3; ++round)
        {
            flow_run two(g, true, 8);
            // each thread runs its own copy of the (fake-quantized) graph, as a runtime's workers would
            tiny::graph w0 = two.graph, w1 = two.graph;
            std::thread t0(
              [&]
              {
                  calibrate(w0, two.session, batches, 0, 2);
              });
            std::thread t1(
              [&]
              {
                  calibrate(w1, two.session, batches, 1, 2);
              });
            t0.join();
            t1.join();
            flow_run resumed(g, true, 8);  // the saved state holds the same result
            resumed.session.restore(two.session.save());
            check_same_model(two.session.finalize(), expected);
            check_same_model(resumed.session.finalize(), expected);
        }

        flow_run backwards(
          g, true, 8);  // the last batch first, then the rest backwards: HFMG's batches wait for batch 0
        for (std::size_t b = 8; b-- > 0;)
        {
            backwards.run(batches, b, 8);
            CHECK(backwards.session.batches_seen("conv2") == 8 - b);
        }
        check_same_model(backwards.session.finalize(), expected);
    }

    TEST_CASE("every algorithm: threads, any batch order and a thread executor give the one-thread result")
    {
        const golden_file g = read_tensors("flow.txt");
        const std::vector<tiny::tensor> batches = random_batches(9, 21);
        for (const std::string algo : {"ifmr", "ifmr_bounded", "hfmg", "max", "percentile", "kl", "mse"})
        {
            CAPTURE(algo);
            flow_run one(g, 9, algo);
            one.run(batches);
            const amct::quantized_model expected = one.session.finalize();
            for (std::uint32_t round = 0; round < 2; ++round)
            {
                flow_run three(g, 9, algo, amct::thread_executor(2));
                std::vector<std::size_t> order(batches.size());
                std::iota(order.begin(), order.end(), std::size_t{0});
                std::shuffle(order.begin(), order.end(), std::mt19937(round));
                std::vector<std::thread> workers;
                for (std::size_t t = 0; t < 3; ++t)
                {
                    workers.emplace_back(
                      [&, t, local = three.graph]() mutable
                      {
                          for (std::size_t i = t; i < order.size(); i += 3)
                          {
                              calibrate(local, three.session, batches, order[i], batches.size());
                          }
                      });
                }
                for (auto& w : workers)
                {
                    w.join();
                }
                check_same_model(three.session.finalize(), expected);
            }
        }
    }

    TEST_CASE("processes: sessions on shards of the batches, merged, give the one-process result")
    {
        const golden_file g = read_tensors("flow.txt");
        const std::vector<tiny::tensor> batches = random_batches(7, 5);
        for (const std::string algo :
             {"mixed", "ifmr", "ifmr_bounded", "hfmg", "max", "percentile", "kl", "mse"})
        {
            CAPTURE(algo);
            flow_run one(g, 7, algo);
            one.run(batches);
            const amct::quantized_model expected = one.session.finalize();
            for (bool share : {true, false})
            {
                CAPTURE(share);
                // three "processes", each with its own runtime; rank r has batches r, r + 3, ...; after each
                // round they exchange HFMG's batch ranges (or not: waiting batches then travel in the state)
                std::vector<std::unique_ptr<flow_run>> ranks;
                for (int r = 0; r < 3; ++r)
                {
                    ranks.push_back(std::make_unique<flow_run>(g, 7, algo));
                }
                for (std::size_t round = 0; round * 3 < batches.size(); ++round)
                {
                    std::vector<std::string> sent;
                    for (std::size_t r = 0; r < 3; ++r)
                    {
                        if (round * 3 + r < batches.size())
                        {
                            ranks[r]->run(batches, round * 3 + r, batches.size());
                        }
                        sent.push_back(ranks[r]->session.take_batch_ranges());
                    }
                    for (std::size_t r = 0; share && r < 3; ++r)
                    {
                        for (std::size_t from = 0; from < 3; ++from)
                        {
                            if (from != r)
                            {
                                ranks[r]->session.add_batch_ranges(sent[from]);
                            }
                        }
                    }
                }
                ranks[1]->session.merge(ranks[2]->session.save());
                ranks[0]->session.merge(ranks[1]->session.save());
                CHECK(ranks[0]->session.complete());
                const amct::quantized_model merged = ranks[0]->session.finalize();
                check_same_model(merged, expected);
                CHECK(amct::dsl::write_record_txt(merged.record)
                      == amct::dsl::write_record_txt(expected.record));
            }
        }

        // refused: a batch in both, another configuration, foreign bytes; nothing changes
        flow_run a(g, 7, "mixed"), b(g, 7, "mixed"), other(g, 7, "ifmr");
        a.run(batches, 0, 2);
        b.run(batches, 2, 3);
        const std::string saved_a = a.session.save();
        CHECK(error_of<amct::value_error>(
                [&]
                {
                    b.session.merge(saved_a);
                })
              == "amct: value error: layer \"conv1\", batch 2: observed in both (each batch belongs to one "
                 "process)");
        CHECK(b.session.batches_seen("conv1") == 2);
        CHECK(error_of<amct::state_error>(
                [&]
                {
                    other.session.merge(saved_a);
                })
              == "amct: state error: the saved session was made with another configuration");
        CHECK(error_of<amct::state_error>(
                [&]
                {
                    b.session.add_batch_ranges(saved_a);
                })
              == "amct: state error: state of a \"calibration_session\" observer cannot be loaded into a "
                 "\"batch_ranges\" observer");
    }

    TEST_CASE("a saved session resumes in a fresh runtime with the uninterrupted result")
    {
        const golden_file g = read_tensors("flow.txt");
        const std::vector<tiny::tensor> batches = random_batches(6, 11);
        const amct::quantized_model expected = uninterrupted(g, batches);

        std::string saved;
        {
            flow_run first(g, true, 6);
            first.run({batches[0], batches[1], batches[2]});
            first.run(
              batches, 4, 6);  // batch 4 arrives early; HFMG's copy waits for batch 3: it is saved too
            saved = first.session.save();
        }
        flow_run resumed(g, true, 6);  // a later process: the float model again
        resumed.session.restore(saved);
        CHECK(resumed.session.batches_seen("fc") == 4);
        resumed.run(batches, 3, 6);
        resumed.run(batches, 5, 6);
        check_same_model(resumed.session.finalize(), expected);

        // refused: another configuration, other weights, a flipped bit; nothing changes
        flow_run other(g, false, 6);
        CHECK(error_of<amct::state_error>(
                [&]
                {
                    other.session.restore(saved);
                })
              == "amct: state error: the saved session was made with another configuration");
        flow_run changed(g,
                         true,
                         6,
                         [](tiny::graph& m)
                         {
                             m.nodes[7].params["weight"] *= 2.0f;
                         });  // conv3
        CHECK(error_of<amct::state_error>(
                [&]
                {
                    changed.session.restore(saved);
                })
              == "amct: state error: layer \"conv3\": its weight scales differ from the saved session's "
                 "(another model?)");
        std::string corrupt = saved;
        corrupt[corrupt.size() / 2] ^= 0x10;
        flow_run target(g, true, 6);
        target.run({batches[0]});
        CHECK(error_of<amct::state_error>(
                [&]
                {
                    target.session.restore(corrupt);
                })
                .find("checksum mismatch")
              != std::string::npos);
        CHECK(target.session.batches_seen("conv1") == 1);
    }

    TEST_CASE(
      "IFMR's bounded mode through the session: exact on these few values; bad batches as in exact mode")
    {
        const golden_file g = read_tensors("flow.txt");
        const std::vector<tiny::tensor> batches = random_batches(3, 9);
        tiny::graph graph = flow_graph(g), graph_b = flow_graph(g);
        tiny::tiny_adapter adapter(graph), adapter_b(graph_b);
        amct::quant_config cfg = default_config(adapter, 3);
        for (auto& layer : cfg.layers)
        {
            layer.second.activation_quant_params.set(&amct::ifmr_params::mode, amct::ifmr_mode::bounded);
        }
        amct::calibration_session exact(adapter, default_config(adapter, 3)), bounded(adapter_b, cfg);
        calibrate(graph, exact, {batches[0]});
        calibrate(graph_b, bounded, {batches[0]});
        const std::string before = bounded.save();
        for (const std::size_t batch : {1u, 2u})  // in turn: the observer's own pass; early: the session's
        {
            tiny::tensor nan = batches[batch];
            nan(1, 2, 3, 4) = -std::numeric_limits<float>::infinity();
            CHECK(error_of<amct::value_error>(
                    [&]
                    {
                        bounded.observe("conv1", batch, nan);
                    })
                  == "amct: value error: layer \"conv1\", batch " + std::to_string(batch)
                       + ": element 202 is infinite; the batch was not observed");
        }
        CHECK(bounded.save() == before);
        calibrate(graph, exact, batches, 1);
        calibrate(graph_b, bounded, batches, 1);
        check_same_model(exact.finalize(), bounded.finalize());  // bounded_exact_limit: the same IFMR
    }

    TEST_CASE("bad batches are rejected and the gathered state is kept")
    {
        const golden_file g = read_tensors("flow.txt");
        const std::vector<tiny::tensor> batches = random_batches(3, 5);
        const amct::quantized_model expected = uninterrupted(g, batches);

        flow_run s(g,
                   true,
                   3,
                   [](tiny::graph& m)
                   {
                       m.nodes[0].input_shape = {0, 3, 6, 6};  // declared by the runtime: any batch size
                   });
        s.run({batches[0]});
        tiny::tensor nan = batches[1];
        nan(0, 1, 2, 3) = std::nanf("");
        CHECK(
          error_of<amct::value_error>(
            [&]
            {
                s.session.observe("conv1", 1, nan);
            })
          == "amct: value error: layer \"conv1\", batch 1: element 51 is NaN; the batch was not observed");
        const tiny::tensor wrong = xt::zeros<float>({2, 3, 5, 6});
        CHECK(error_of<amct::shape_error>(
                [&]
                {
                    s.session.observe("conv1", 1, wrong);
                })
              == "amct: shape error: layer \"conv1\", batch 1: shape [2, 3, 5, 6] is not the layer's input "
                 "shape [0, 3, 6, 6]; the batch was not observed");
        CHECK(error_of<amct::value_error>(
                [&]
                {
                    s.session.observe("conv1", 0, batches[0]);
                })
              == "amct: value error: layer \"conv1\", batch 0: this batch was observed before");
        CHECK(error_of<amct::value_error>(
                [&]
                {
                    s.session.observe("relu1", 1, batches[0]);
                })
              == "amct: value error: layer \"relu1\" is not calibrated in this session");
        CHECK(error_of<amct::value_error>(
                [&]
                {
                    s.session.finalize();
                })
              == "amct: value error: calibration is incomplete (3 batches per layer): \"conv1\" has 1, "
                 "\"conv2\" has 1, \"pool\" has 1, \"conv3\" has 1, \"fc\" has 1");
        CHECK(s.session.batches_seen("conv1") == 1);
        s.run(batches, 1);  // the good batches 1 and 2 after all
        check_same_model(s.session.finalize(), expected);
    }

    TEST_CASE("the session checks its configuration and the runtime's parameters")
    {
        const golden_file g = read_tensors("flow.txt");
        tiny::graph m = flow_graph(g);
        tiny::tiny_adapter a(m);
        amct::quant_config cfg = default_config(a, 1);
        cfg.layers.emplace_back("nope", amct::layer_quant_config{});
        CHECK(amct_test::config_error_of(
                [&]
                {
                    amct::calibration_session s(a, cfg);
                })
                .find("\"nope\"")
              != std::string::npos);

        cfg = default_config(a, 1);
        cfg.layers[0].second.activation_quant_params.select("kl");
        cfg.layers[0].second.activation_quant_params.set_asymmetric(true);
        CHECK(amct_test::config_error_of(
                [&]
                {
                    amct::calibration_session s(a, cfg);
                })
              == "#/conv1/activation_quant_params/asymmetric: layer \"conv1\": "
                 "activation_quant_params.asymmetric = true must be false (kl is symmetric only)");

        // ARQ's with_offset is API-only (docs/algorithms.md#amcts-arq): the flow's record takes offset_w = 0
        cfg = default_config(a, 1);
        REQUIRE(cfg.layers[0].second.weight_quant_params.set_flag("with_offset", true));
        CHECK(error_of<amct::unsupported_error>(
                [&]
                {
                    amct::calibration_session s(a, cfg);
                })
                .find("layer \"conv1\" (Conv): ARQ with_offset (asymmetric weights) is an API-only argument")
              != std::string::npos);

        tiny::graph no_weight = flow_graph(g);
        no_weight.nodes[3].params.clear();  // conv2
        tiny::tiny_adapter b(no_weight);
        CHECK(amct::quantizable_layers(b).size() == 4);
        tiny::graph full = flow_graph(g);
        tiny::tiny_adapter full_adapter(full);
        CHECK(amct_test::config_error_of(
                [&]
                {
                    amct::calibration_session s(b, default_config(full_adapter, 1));
                })
                .find("\"conv2\"")
              != std::string::npos);

        tiny::graph bad_bias = flow_graph(g);
        bad_bias.nodes[7].params["bias"] = xt::zeros<float>({3});  // conv3 has 4 output channels
        tiny::tiny_adapter c(bad_bias);
        CHECK(error_of<amct::shape_error>(
                [&]
                {
                    amct::calibration_session s(c, default_config(c, 1));
                })
              == "amct: shape error: layer \"conv3\" (Conv): bias of 3 elements for 4 output channels");
        // nothing was changed in the runtime: conv3 comes after the folds and conv1's ARQ
        CHECK(bad_bias.nodes.size() == 12);
        CHECK(bad_bias.nodes[0].params.at("weight") == g.at("conv1.weight").f32());

        tiny::graph plain = flow_graph(g);
        tiny::tiny_adapter e(plain);
        cfg = default_config(e, 1);
        cfg.batch_num = 0;
        // check_config's rules (more in test_session_config.cpp)
        CHECK(amct_test::config_error_of(
                [&]
                {
                    amct::calibration_session s(e, cfg);
                })
              == "#/batch_num: batch_num = 0 must be in [1, 2147483647]");
        cfg.batch_num = 1;
        cfg.fakequant_precision_mode = amct::fakequant_precision::force_fp16_quant;
        CHECK(
          amct_test::config_error_of(
            [&]
            {
                amct::calibration_session s(e, cfg);
            })
          == "#/fakequant_precision_mode: fakequant_precision_mode FORCE_FP16_QUANT is not implemented by "
             "amct (it does not round deq_scale to the device's s19 format)");

        // tensor_ref borrows row-major containers only (views do not convert at all)
        const xt::xarray<float, xt::layout_type::column_major> column = {{1.0f, 2.0f}, {3.0f, 4.0f}};
        CHECK(error_of<amct::value_error>(
                [&]
                {
                    amct::tensor_ref r(column);
                })
              == "amct: value error: tensor_ref: the container is not row-major");
        static_assert(!std::is_convertible_v<decltype(xt::view(column, 0)), amct::tensor_ref>);

        // a MatMul of two activations has no weight: not a quantizable layer
        tiny::graph attention = flow_graph(g);
        tiny::node scores;
        scores.name = "scores";
        scores.op = "MatMul";
        scores.input = "f";
        scores.output = "s";
        attention.nodes.push_back(scores);
        tiny::tiny_adapter f(attention);
        CHECK(amct::quantizable_layers(f).size() == 5);

        // quant_enable false: the layer is left alone
        tiny::graph partial = flow_graph(g);
        tiny::tiny_adapter d(partial);
        cfg = default_config(d, 1);
        cfg.layers[4].second.quant_enable = false;  // fc
        const tiny::tensor fc_weight = partial.nodes.back().params.at("weight");
        amct::calibration_session s(d, cfg);
        CHECK(s.layers() == std::vector<std::string>{"conv1", "conv2", "pool", "conv3"});
        CHECK(partial.nodes.back().params.at("weight") == fc_weight);
    }

    TEST_CASE(
      "parameters from the runtime must be finite: layer, parameter and element named, nothing changed "
      "(docs/model.md#parameters-from-the-runtime)")
    {
        const golden_file g = read_tensors("flow.txt");
        const float nan = std::numeric_limits<float>::quiet_NaN(),
                    inf = std::numeric_limits<float>::infinity();

        struct bad_parameter
        {
            std::size_t node;
            const char* param;
            std::size_t element;
            float value;
            const char* message;
        };

        const bad_parameter cases[] = {
          {7, "bias", 2, nan, "layer \"conv3\": bias element 2 is nan"},  // the int32-bias search spun on it
          {11, "bias", 0, inf, "layer \"fc\": bias element 0 is inf"},
          {4, "variance", 5, inf, "layer \"bn2\": variance element 5 is inf"},
          {1, "weight", 0, -inf, "layer \"bn1\": gamma element 0 is -inf"},
          {1, "bias", 3, nan, "layer \"bn1\": beta element 3 is nan"},
          {4, "mean", 1, nan, "layer \"bn2\": mean element 1 is nan"},
          {0, "weight", 17, nan, "layer \"conv1\": weight element 17 is nan"},
          {0, "bias", 1, -inf, "layer \"conv1\": bias element 1 is -inf"},
          {3, "weight", 40, inf, "layer \"conv2\": weight element 40 is inf"},
        };
        for (const bad_parameter& c : cases)
        {
            CAPTURE(c.message);
            tiny::graph m = flow_graph(g);
            REQUIRE(m.nodes[c.node].params.at(c.param).size() > c.element);
            m.nodes[c.node].params.at(c.param).flat(c.element) = c.value;
            const tiny::graph before = m;
            tiny::tiny_adapter a(m);
            const amct::quant_config cfg = default_config(a, 1);
            CHECK(error_of<amct::value_error>(
                    [&]
                    {
                        amct::calibration_session s(a, cfg);
                    })
                  == std::string("amct: value error: ") + c.message
                       + " (parameters from the runtime must be finite)");
            // nothing changed: no fold, no fake-quantized weight (compared bit for bit, NaN included)
            REQUIRE(m.nodes.size() == before.nodes.size());
            for (std::size_t i = 0; i < m.nodes.size(); ++i)
            {
                CHECK(m.nodes[i].name == before.nodes[i].name);
                REQUIRE(m.nodes[i].params.size() == before.nodes[i].params.size());
                for (const auto& [name, value] : before.nodes[i].params)
                {
                    CHECK(first_difference(as_vector(m.nodes[i].params.at(name)), as_vector(value)) == -1);
                }
            }
        }
        // a layer the configuration leaves alone is not read: its parameters are the runtime's business
        tiny::graph m = flow_graph(g);
        m.nodes[11].params.at("bias").flat(0) = nan;
        tiny::tiny_adapter a(m);
        amct::quant_config cfg = default_config(a, 1);
        cfg.layers[4].second.quant_enable = false;  // fc
        CHECK_NOTHROW(amct::calibration_session(a, cfg));
    }
}
