// Accuracy analysis and tuning (include/amct/analysis) on a small random CNN in the reference runtime:
// Conv+BatchNorm+Relu, depthwise Conv+Relu, 1x1 Conv, GlobalAveragePool, Flatten, Gemm. The simulator is
// checked against the demo's independent simulation path (fake_quant_observer and the session's weights),
// the searches against evaluations made one by one.
#include <random>
#include <set>

#include <doctest/doctest.h>

#include <amct/analysis/analyzer.hpp>
#include <amct/analysis/metrics.hpp>
#include <amct/analysis/precision.hpp>
#include <amct/analysis/search.hpp>
#include <amct/analysis/simulation.hpp>
#include <amct/analysis/tuning.hpp>
#include <amct/config/config_json.hpp>
#include <amct/pipeline/quantized_model.hpp>
#include <amct/pipeline/runtime.hpp>
#include <amct/pipeline/session.hpp>

#include "runtime_support.hpp"
#include <refrt/amct_adapter.hpp>
#include <refrt/executor.hpp>

namespace
{
using refrt::tensor;

using rt_test::int_attr;
using rt_test::ints_attr;
using rt_test::random_tensor;

refrt::graph make_model(std::mt19937& rng)
{
    refrt::graph g;
    g.inputs.push_back({"x", {-1, 3, 8, 8}});
    g.constants["w1"] = random_tensor({8, 3, 3, 3}, rng, -0.5f, 0.5f);
    g.constants["b1"] = random_tensor({8}, rng, -0.2f, 0.2f);
    g.constants["s1"] = random_tensor({8}, rng, 0.7f, 1.3f);
    g.constants["o1"] = random_tensor({8}, rng, -0.2f, 0.2f);
    g.constants["m1"] = random_tensor({8}, rng, -0.2f, 0.2f);
    g.constants["v1"] = random_tensor({8}, rng, 0.5f, 1.5f);
    g.constants["w2"] = random_tensor({8, 1, 3, 3}, rng, -0.5f, 0.5f);
    g.constants["b2"] = random_tensor({8}, rng, -0.2f, 0.2f);
    g.constants["w3"] = random_tensor({16, 8, 1, 1}, rng, -0.5f, 0.5f);
    g.constants["w4"] = random_tensor({10, 16}, rng, -0.5f, 0.5f);
    g.constants["b4"] = random_tensor({10}, rng, -0.2f, 0.2f);
    const auto conv = [](std::string name, std::string in, std::string w, std::string b, std::string out)
    {
        refrt::node n{name, "Conv", {in, w}, {out}, {}, 0};
        if (!b.empty())
        {
            n.inputs.push_back(b);
        }
        return n;
    };
    g.nodes.push_back(conv("conv1", "x", "w1", "b1", "c1"));
    g.nodes.back().attributes["pads"] = ints_attr({1, 1, 1, 1});
    g.nodes.push_back({"bn1", "BatchNormalization", {"c1", "s1", "o1", "m1", "v1"}, {"n1"}, {}, 0});
    g.nodes.push_back({"relu1", "Relu", {"n1"}, {"r1"}, {}, 0});
    g.nodes.push_back(conv("conv2", "r1", "w2", "b2", "c2"));
    g.nodes.back().attributes["pads"] = ints_attr({1, 1, 1, 1});
    g.nodes.back().attributes["group"] = int_attr(8);
    g.nodes.push_back({"relu2", "Relu", {"c2"}, {"r2"}, {}, 0});
    g.nodes.push_back(conv("conv3", "r2", "w3", "", "c3"));
    g.nodes.push_back({"pool", "GlobalAveragePool", {"c3"}, {"p"}, {}, 0});
    g.nodes.push_back({"flat", "Flatten", {"p"}, {"f"}, {}, 0});
    g.nodes.push_back({"fc", "Gemm", {"f", "w4", "b4"}, {"y"}, {}, 0});
    g.nodes.back().attributes["transB"] = int_attr(1);
    g.outputs = {"y"};
    return g;
}

/// The model calibrated by a session on batches 0 and 1 of six; batches 2 to 5 are the analysis set.
struct fixture
{
    std::mt19937 rng{7};
    refrt::graph original = make_model(rng);
    refrt::graph g = original;
    std::vector<tensor> data;
    std::unique_ptr<refrt::graph_bridge> bridge;
    amct::quant_config cfg;
    amct::quantized_model qm;
    std::unique_ptr<amct::simulator> sim;
    const std::vector<std::size_t> calib{0, 1}, eval{2, 3, 4, 5};

    fixture()
    {
        // Bounded inputs, so that the calibration batches' ranges cover the analysis batches' (clipping would
        // hide the difference between int8 and int16).
        for (int b = 0; b < 6; ++b)
        {
            data.push_back(random_tensor({2, 3, 8, 8}, rng));
        }
        std::vector<const tensor*> batches;
        for (const auto& d : data)
        {
            batches.push_back(&d);
        }
        bridge = std::make_unique<refrt::graph_bridge>(g, batches);
        cfg = refrt::default_config(*bridge, calib.size());
        amct::calibration_session session(*bridge, cfg);
        session.calibrate(*bridge, calib);
        qm = session.finalize();
        sim = std::make_unique<amct::simulator>(*bridge, *bridge, qm);
    }

    double value(const amct::simulation_plan& plan, amct::metric m = amct::metric::sqnr)
    {
        return sim->evaluate(plan, eval).value(m);
    }
};

/// Keeps the first input and output of every layer it sees.
struct capture : amct::layer_hook
{
    std::map<std::string, std::vector<float>> inputs, outputs;

    bool wants_input(const std::string&) const override
    {
        return true;
    }

    void input(const std::string& layer, float* x, const std::vector<std::size_t>& shape) override
    {
        inputs[layer].assign(x, x + amct::detail::element_count(shape));
    }

    bool wants_output(const std::string&) const override
    {
        return true;
    }

    void output(const std::string& layer, float* y, const std::vector<std::size_t>& shape) override
    {
        outputs[layer].assign(y, y + amct::detail::element_count(shape));
    }
};
}  // namespace

TEST_CASE("simulator: float and int8 plans against independent runs")
{
    fixture f;
    REQUIRE(f.qm.layers.size() == 4);  // conv1 (BN folded), conv2, conv3, fc
    // Float: the BN-fused float weights against the original graph (fusion rounds, nothing else).
    const tensor y_float = f.sim->run({}, 2).at(0);
    const tensor y_orig = refrt::run(f.original, {{"x", f.data[2]}}).at(0);
    CHECK(xt::amax(xt::abs(y_float - y_orig))() < 1e-5f * xt::amax(xt::abs(y_orig))());
    // Int8: the demo's path, on a copy of the session's graph (fake-quantized weights) with the int32 bias
    // dequantized and the layer inputs fake-quantized from the record.
    refrt::graph demo = f.g;
    refrt::graph_bridge demo_adapter(demo);
    for (const auto& l : f.qm.layers)
    {
        demo_adapter.set_param(l.name, amct::param_kind::weight, l.weight_fake);
    }
    refrt::set_dequantized_bias(demo_adapter, f.qm);
    refrt::fake_quant_observer fq(f.qm.record);
    const tensor y_demo = refrt::run(demo, {{"x", f.data[2]}}, &fq).at(0);
    const tensor y_int8 = f.sim->run(amct::uniform_plan(f.qm, amct::qtype::int8), 2).at(0);
    CHECK(y_int8 == y_demo);
    CHECK_FALSE(y_int8 == y_float);
    // Back to float: every parameter is written again.
    CHECK(f.sim->run({}, 2).at(0) == y_float);

    SUBCASE("float16 rounds inputs and outputs to half precision")
    {
        capture c;
        const tensor y16 = f.sim->run(amct::uniform_plan(f.qm, amct::qtype::float16), 2, &c).at(0);
        for (const auto* v : {&c.inputs.at("conv2"), &c.outputs.at("conv3")})
        {
            std::vector<float> again = *v;
            amct::round_to_float16(again.data(), again.data(), again.size());
            CHECK(again == *v);
        }
        const float err = xt::amax(xt::abs(y16 - y_float))(), scale = xt::amax(xt::abs(y_float))();
        CHECK(err > 0.0f);
        CHECK(err < 1e-2f * scale);
    }
    SUBCASE("bad plans")
    {
        amct::simulation_plan plan{{"nope", {}}};
        CHECK_THROWS_WITH_AS(f.sim->run(plan, 2), doctest::Contains("\"nope\""), amct::value_error);
        plan = {{"conv1", {amct::qtype::int16, f.qm.find("conv1"), true}}};
        CHECK_THROWS_WITH_AS(f.sim->run(plan, 2), doctest::Contains("16-bit"), amct::value_error);
    }
}

TEST_CASE("calibrate_candidates reproduces the session with the configured method")
{
    fixture f;
    const auto models = amct::calibrate_candidates(*f.sim, f.cfg, {{"", 0}, {"max", 0}, {"", 16}}, f.calib);
    REQUIRE(models.size() == 3);
    for (const auto& l : f.qm.layers)
    {
        CAPTURE(l.name);
        const amct::quantized_layer& same = *models[0].find(l.name);
        CHECK(same.activation.scale == l.activation.scale);
        CHECK(same.activation.offset == l.activation.offset);
        CHECK(same.bias_int == l.bias_int);
        CHECK(*models[0].record.find(l.name) == *f.qm.record.find(l.name));
        CHECK(models[1].find(l.name)->activation.num_bits == 8);
        CHECK(models[2].find(l.name)->activation.num_bits == 16);
        CHECK(models[2].record.find(l.name)->activation_type() == "INT16");
    }
    // More bits, less error: on the calibration batches (no clipping beyond the calibrated ranges) the int16
    // model (16-bit activations and weights) is far closer to float than the int8 one.
    const double v8 =
      f.sim->evaluate(amct::uniform_plan(f.qm, amct::qtype::int8), f.calib).value(amct::metric::sqnr);
    const double v16 =
      f.sim->evaluate(amct::uniform_plan(models[2], amct::qtype::int16), f.calib).value(amct::metric::sqnr);
    CHECK(v16 > v8 + 30.0);
    CHECK(models[2].find("conv1")->weights.num_bits == 16);
    CHECK(models[2].find("conv1")->weight_int.size() == 0);
}

TEST_CASE("analyzer: accumulated, alone and sensitivity")
{
    fixture f;
    const auto plan = amct::uniform_plan(f.qm, amct::qtype::int8);
    amct::analyzer_options o;
    o.batches = f.eval;
    const amct::model_analysis a = amct::analyze(*f.sim, plan, o);
    REQUIRE(a.layers.size() == 4);
    CHECK(a.layers[0].name == "conv1");
    // The first layer sees float input in both runs: its accumulated and alone errors are the same.
    CHECK(a.layers[0].accumulated.value(amct::metric::sqnr) == a.layers[0].alone.value(amct::metric::sqnr));
    // Later layers accumulate the error of earlier ones.
    CHECK(a.layers[3].accumulated.value(amct::metric::sqnr) < a.layers[3].alone.value(amct::metric::sqnr));
    // The whole plan's output and each layer's sensitivity are what evaluate() measures on its own.
    CHECK(a.output.value(amct::metric::sqnr) == doctest::Approx(f.value(plan)).epsilon(1e-12));
    for (const auto& l : a.layers)
    {
        CAPTURE(l.name);
        CHECK(l.output.value(amct::metric::sqnr)
              == doctest::Approx(f.value({{l.name, plan.at(l.name)}})).epsilon(1e-12));
        CHECK(l.flagged == (l.accumulated.value(amct::metric::cosine) < 0.99));
    }
    // Most sensitive first: the model-output SQNR with the layer alone, ascending.
    const auto ranking = a.sensitivity(amct::metric::sqnr);
    REQUIRE(ranking.size() == 4);
    for (std::size_t i = 1; i < ranking.size(); ++i)
    {
        CHECK(f.value({{ranking[i - 1], plan.at(ranking[i - 1])}})
              <= f.value({{ranking[i], plan.at(ranking[i])}}));
    }
    const std::string table = a.table();
    CHECK(table.find("conv3") != std::string::npos);
    CHECK(table.find("model output") != std::string::npos);
}

TEST_CASE("fewest_promotions and tune reach the target with a minimal set")
{
    fixture f;
    const auto int8 = amct::uniform_plan(f.qm, amct::qtype::int8);
    const double v8 = f.value(int8);
    amct::tuning_target t{amct::metric::sqnr, v8 + 6.0, f.eval};
    SUBCASE("fewest_promotions")
    {
        amct::tuning_log log;
        log.target = t;
        amct::analyzer_options o;
        o.batches = f.eval;
        const auto ranking = amct::analyze(*f.sim, int8, o).sensitivity(t.m);
        const auto r = amct::fewest_promotions(
          *f.sim,
          int8,
          ranking,
          [](const std::string&)
          {
              return amct::layer_setting{};
          },
          "in float",
          t,
          log);
        REQUIRE(r.reached);
        REQUIRE_FALSE(r.promoted.empty());
        CHECK(r.value == f.value(r.plan));
        CHECK(t.met(r.value));
        for (const auto& layer : r.promoted)  // none can go back to int8
        {
            amct::simulation_plan fewer = r.plan;
            fewer[layer] = int8.at(layer);
            CHECK_FALSE(t.met(f.value(fewer)));
        }
        CHECK(log.steps.size() >= 3);
        CHECK(log.text().find("binary search") != std::string::npos);
    }
    SUBCASE("tune")
    {
        amct::tune_options o;
        o.target = t;
        o.calibration_batches = f.calib;
        const amct::tune_result r = amct::tune(*f.sim, f.cfg, o);
        REQUIRE(r.reached);
        CHECK(t.met(f.value(r.plan)));
        CHECK(r.after == f.value(r.plan));
        CHECK(r.before == doctest::Approx(v8).epsilon(1e-12));
        std::set<std::string> disabled(r.disabled.begin(), r.disabled.end());
        for (const auto& [name, lc] : r.config.layers)
        {
            CHECK(lc.quant_enable == (disabled.count(name) == 0));
            CHECK((r.plan.count(name) ? r.plan.at(name).p : amct::qtype::float32)
                  == (disabled.count(name) ? amct::qtype::float32 : amct::qtype::int8));
        }
        // The tuned config.json is valid: it reads back to itself.
        CHECK(amct::read_config_json(
                amct::write_config_json(r.config), "tuned.json", amct::quantizable_layers(*f.bridge))
              == r.config);
    }
}

TEST_CASE("modelwise and layerwise search")
{
    fixture f;
    amct::search_options o;
    o.m = amct::metric::sqnr;
    o.calibration_batches = f.calib;
    o.evaluation_batches = f.eval;
    const amct::search_result m = amct::modelwise_search(*f.sim, f.cfg, o);
    REQUIRE(m.models.size() == 6);
    double best = -1e300;
    for (const auto& model : m.models)
    {
        best = std::max(best, f.value(amct::uniform_plan(model, amct::qtype::int8)));
    }
    CHECK(m.value == best);
    CHECK(m.value == f.value(m.plan));
    const amct::search_result l = amct::layerwise_search(*f.sim, f.cfg, o);
    CHECK(l.value == f.value(l.plan));
    CHECK(l.value >= m.value);  // never worse than the model-wise choice
    const amct::quant_config tuned = l.config(f.cfg);
    for (const auto& [name, lc] : tuned.layers)
    {
        CHECK(lc.activation_quant_params.algorithm() == l.methods[l.layer_method.at(name)].act_algo);
    }
}

TEST_CASE("mixed precision: upper bounds, then the fewest promoted layers")
{
    fixture f;
    amct::mixed_precision_options o;
    o.target = {amct::metric::sqnr, 0.0, f.calib};  // the calibration batches: int16 is not clipped there
    o.calibration_batches = f.calib;
    o.target.value =
      f.sim->evaluate(amct::uniform_plan(f.qm, amct::qtype::int8), f.calib).value(amct::metric::sqnr) + 6.0;
    const amct::mixed_precision_result r = amct::mixed_precision_search(*f.sim, f.cfg, o);
    CHECK(r.int16 > r.int8);
    CHECK(r.float16 > r.int8);
    REQUIRE(r.reached);
    CHECK(r.promoted_to == amct::qtype::int16);
    CHECK(r.value == f.sim->evaluate(r.plan, f.calib).value(amct::metric::sqnr));
    std::size_t promoted = 0;
    for (const auto& [name, p] : r.precisions)
    {
        promoted += p == amct::qtype::int16;
    }
    CHECK(promoted == r.promoted.size());
    CHECK(promoted < f.qm.layers.size());
}

TEST_CASE("bias_correction removes the mean shift of each output channel")
{
    fixture f;
    const auto plan = amct::uniform_plan(f.qm, amct::qtype::int8);
    const amct::bias_correction_result r = amct::bias_correction(*f.sim, f.qm, plan, f.calib);
    CHECK(r.mean_shift.size() == 4);
    REQUIRE(r.log.steps.size() == 2);
    // conv3 has no bias: it got an int32 one; the float model keeps none.
    CHECK_FALSE(f.qm.find("conv3")->bias_float.has_value());
    CHECK(f.qm.find("conv3")->bias_correction.size() == 16);
    CHECK(f.qm.find("conv3")->bias_int.size() == 16);
    // On the sample batches, the corrected layers' per-channel means agree with float's (up to the int32
    // rounding of the bias), the last layer measured with every earlier correction in place.
    for (const std::string layer : {"conv1", "conv3", "fc"})
    {
        CAPTURE(layer);
        const std::size_t channels = f.qm.find(layer)->channels;
        std::vector<double> shift(channels, 0.0);
        double magnitude = 0;
        std::size_t count = 0;
        for (std::size_t b : f.calib)
        {
            capture ref, quant;
            f.sim->run({}, b, &ref);
            f.sim->run(plan, b, &quant);
            const auto& y = ref.outputs.at(layer);
            const auto& q = quant.outputs.at(layer);
            const std::size_t inner = y.size() / 2 / channels;
            for (std::size_t i = 0; i < y.size(); ++i)
            {
                shift[i / inner % channels] += q[i] - y[i];
                magnitude = std::max(magnitude, std::fabs(static_cast<double>(y[i])));
            }
            count += y.size() / channels;
        }
        for (std::size_t c = 0; c < channels; ++c)
        {
            // the int32 bias round(b / deq_scale) moved by
            // round((b + correction) / deq_scale) - round(b / deq_scale) steps: the correction up to one step
            CHECK(std::fabs(shift[c] / static_cast<double>(count))
                  <= f.qm.find(layer)->deq_scale[c] + 1e-6 * magnitude);
        }
    }
    // On the sample batches the model's output moved closer to float's.
    CHECK(r.log.steps[1].value >= r.log.steps[0].value);
}
