// examples/tune_model.cpp: accuracy analysis and tuning (include/amct/analysis) on a real model in the
// reference runtime. After AMCT's default calibration it prints the Model Accuracy Analyzer's table, then
// runs the chosen flows against a target on the model's output (SQNR against the float model, measured on the
// calibration images, as HMCT tunes) and reports each result on held-out images:
//   mixed    HMCT's mixed precision: all-int16 and all-float16 upper bounds, then the fewest layers promoted
//   tune     AMCT's workflow: the fewest layers left in float, then methods tried to bring them back
//   search   modelwise and layerwise search over max, percentile, kl, ifmr, hfmg, mse
//   bias     bias correction on the calibration images
//
//   tune_model [--model mobilenet_v2|ppocr_det|ppocr_cls] [--models-dir DIR] [--images-dir DIR]
//              [--calib N] [--eval N] [--batch N] [--det-side N] [--rotate K] [--target-sqnr DB]
//              [--flows mixed,tune,search,bias] [--out DIR] [--summary FILE]
//
// --summary FILE writes one tab-separated line for scripts (scripts/demo.sh): model, quantized layers, target
// (dB), all-int8 output SQNR (dB, held-out), mixed precision's held-out SQNR, layers promoted and their type,
// tune's held-out SQNR and layers left in float, and whether the flows run reached the target (yes/no); "-"
// for a flow not run.
// Writes DIR/analysis.txt, DIR/tuning_log.txt, DIR/report.html, DIR/tuned_config.json (tune), and for mixed
// HMCT's DIR/quant_config.json with AMCT's DIR/mixed_config.json. Exits 1 when mixed or tune
// misses the target, 2 on an error.
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <amct/amct.hpp>

#include <refrt/amct_adapter.hpp>
#include <refrt/workloads.hpp>

namespace fs = std::filesystem;

namespace
{
struct options : refrt::workload_options
{
    double target_sqnr = 35.0;
    std::string flows = "mixed,tune,search,bias", out = "amct_tune", summary;
};

options parse(int argc, char** argv)
{
    options o;
    o.eval = 8;
    refrt::parse_options(argc,
                         argv,
                         o,
                         [&](const std::string& a, const std::string& v)
                         {
                             if (a == "--target-sqnr")
                                 o.target_sqnr = std::stod(v);
                             else if (a == "--flows")
                                 o.flows = v;
                             else if (a == "--out")
                                 o.out = v;
                             else if (a == "--summary")
                                 o.summary = v;
                             else
                                 return false;
                             return true;
                         });
    refrt::require_data_dirs(o);
    return o;
}
}  // namespace

int main(int argc, char** argv)
try
{
    const options o = parse(argc, argv);
    fs::create_directories(o.out);
    refrt::workload w = refrt::load_workload(o);
    // The runner's batches: the calibration images (tuning), then the held-out ones (reporting).
    std::vector<const refrt::tensor*> batches;
    for (const auto* set : {&w.calib, &w.eval})
    {
        for (const auto& b : *set)
        {
            batches.push_back(&b.x);
        }
    }
    std::vector<std::size_t> tuning(w.calib.size()), held_out(w.eval.size());
    std::iota(tuning.begin(), tuning.end(), std::size_t{0});
    std::iota(held_out.begin(), held_out.end(), tuning.size());
    refrt::graph_bridge bridge(w.model, batches);  // amct's view of the runtime: parameters and runs

    // AMCT's default calibration (create_quant_config, BN fusion, ARQ, IFMR) on the calibration images.
    const amct::quant_config cfg = refrt::default_config(bridge, w.calib.size());
    amct::calibration_session session(bridge, cfg);
    session.calibrate(bridge, tuning);
    amct::quantized_model qm = session.finalize();
    amct::simulator sim(bridge, bridge, qm);
    const amct::tuning_target target{amct::metric::sqnr, o.target_sqnr, tuning};
    std::cout << o.model << ": " << qm.layers.size() << " quantized layers, " << tuning.size()
              << " calibration batches (tuning), " << held_out.size() << " held-out batches; target "
              << target.describe() << "\n";
    auto held = [&](const amct::simulation_plan& plan)
    {
        return sim.evaluate(plan, held_out).value(amct::metric::sqnr);
    };
    const amct::simulation_plan int8 = amct::uniform_plan(qm, amct::qtype::int8);
    const double int8_held = held(int8);

    amct::analyzer_options ao;
    ao.batches = tuning;
    const amct::model_analysis analysis = amct::analyze(sim, int8, ao);
    const std::string analysis_table = analysis.table();
    refrt::write_file(fs::path(o.out) / "analysis.txt", analysis_table);
    std::cout << "\nModel Accuracy Analyzer (all int8, calibration images), worst layers first:\n";
    std::istringstream table(analysis_table);
    std::size_t shown = 0;
    for (std::string line; std::getline(table, line) && shown < 12; ++shown)
    {
        std::cout << line << "\n";
    }
    std::cout << "...\nmost sensitive layers (output SQNR with the layer alone):";
    const auto ranking = analysis.sensitivity(amct::metric::sqnr);
    for (std::size_t i = 0; i < 5 && i < ranking.size(); ++i)
    {
        std::cout << " " << ranking[i];
    }
    std::cout << "\n";

    std::string log;
    bool reached = true;
    std::vector<std::string> summary(5, "-");  // --summary: mixed SQNR, layers, type; tune SQNR, layers
    const auto decibels = [](double v)
    {
        std::ostringstream s;
        s << std::fixed << std::setprecision(2) << v;
        return s.str();
    };
    amct::accuracy_report report;
    const auto add_log = [&](const std::string& flow, const amct::tuning_log& l)
    {
        log += flow + "\n" + l.text() + "\n";
        for (auto e : amct::report_entries(l, static_cast<int>(report.log.size()) + 1))
        {
            e.action = flow + ": " + e.action;
            report.log.push_back(std::move(e));
        }
    };
    std::cout << std::fixed << std::setprecision(2) << "\nall int8: output SQNR " << int8_held
              << " dB on held-out images\n";
    if (o.flows.find("mixed") != std::string::npos)
    {
        amct::mixed_precision_options mo;
        mo.target = target;
        mo.calibration_batches = tuning;
        mo.ranking = ranking;
        const auto r = amct::mixed_precision_search(sim, cfg, mo);
        add_log("mixed precision", r.log);
        const double h = held(r.plan);
        amct::quant_config mixed = cfg;
        amct::apply_qtypes(mixed, r.precisions);
        refrt::write_file(fs::path(o.out) / "mixed_config.json", amct::write_config_json(mixed));
        refrt::write_file(fs::path(o.out) / "quant_config.json",
                          amct::write_precision_config(amct::with_qtypes({}, r.precisions)));
        report.summary.push_back({"mixed precision (held-out)",
                                  std::to_string(h) + " dB with " + std::to_string(r.promoted.size())
                                    + " layers in " + std::string(amct::qtype_name(r.promoted_to))});
        reached = reached && r.reached;
        summary[0] = decibels(h);
        summary[1] = std::to_string(r.promoted.size());
        summary[2] = amct::qtype_name(r.promoted_to);
        std::cout << "mixed precision: upper bounds int16 " << r.int16 << " dB, float16 " << r.float16
                  << " dB (calibration images); " << r.promoted.size() << " of " << qm.layers.size()
                  << " layers in " << amct::qtype_name(r.promoted_to) << " -> " << r.value
                  << " dB (calibration), " << h << " dB held-out" << (r.reached ? "" : ", target missed")
                  << "\n";
    }
    if (o.flows.find("tune") != std::string::npos)
    {
        amct::tune_options to;
        to.target = target;
        to.calibration_batches = tuning;
        to.ranking = ranking;
        const auto r = amct::tune(sim, cfg, to);
        add_log("tune", r.log);
        const double h = held(r.plan);
        report.summary.push_back(
          {"tune (held-out)",
           std::to_string(h) + " dB with " + std::to_string(r.disabled.size()) + " layers in float"});
        reached = reached && r.reached;
        summary[3] = decibels(h);
        summary[4] = std::to_string(r.disabled.size());
        refrt::write_file(fs::path(o.out) / "tuned_config.json", amct::write_config_json(r.config));
        std::cout << "tune: " << r.disabled.size() << " layers left in float, " << r.methods.size()
                  << " brought back with another method -> " << r.after << " dB (calibration), " << h
                  << " dB held-out" << (r.reached ? "" : ", target missed") << "; "
                  << (fs::path(o.out) / "tuned_config.json").string() << "\n";
    }
    if (o.flows.find("search") != std::string::npos)
    {
        amct::search_options so;
        so.m = amct::metric::sqnr;
        so.calibration_batches = tuning;
        so.evaluation_batches = tuning;
        const auto m = amct::modelwise_search(sim, cfg, so);
        add_log("modelwise_search", m.log);
        std::cout << "modelwise_search: " << m.methods[m.best].name() << " -> " << m.value
                  << " dB (calibration), " << held(m.plan) << " dB held-out\n";
        so.topk = 8;
        const auto l = amct::layerwise_search(sim, cfg, so);
        add_log("layerwise_search", l.log);
        std::cout << "layerwise_search (top 8): " << l.value << " dB (calibration), " << held(l.plan)
                  << " dB held-out\n";
    }
    if (o.flows.find("bias") != std::string::npos)
    {
        const auto r = amct::bias_correction(sim, qm, int8, tuning, amct::metric::sqnr);
        add_log("bias_correction", r.log);
        std::cout << "bias correction: " << r.log.steps.front().value << " -> " << r.log.steps.back().value
                  << " dB (calibration), " << int8_held << " -> " << held(int8) << " dB held-out\n";
    }
    refrt::write_file(fs::path(o.out) / "tuning_log.txt", log);
    report.title = "amct accuracy report: " + o.model;
    report.model = o.model;
    report.metrics = {amct::metric::cosine,
                      amct::metric::sqnr,
                      amct::metric::max_abs_error,
                      amct::metric::relative_euclidean_distance};
    report.layers = amct::report_layers(analysis, report.metrics);
    report.histograms = amct::activation_histograms(sim, tuning.at(0));
    report.log_measure = "output SQNR (dB), calibration images";
    report.summary.insert(report.summary.begin(),
                          {{"quantized layers", std::to_string(qm.layers.size())},
                           {"all int8, output SQNR (held-out)", std::to_string(int8_held) + " dB"},
                           {"target", target.describe() + " on the calibration images"}});
    refrt::write_file(fs::path(o.out) / "report.html", amct::render_html(report));
    if (!o.summary.empty())
    {
        std::ostringstream line;
        line << std::fixed << std::setprecision(2) << o.model << "\t" << qm.layers.size() << "\t"
             << o.target_sqnr << "\t" << int8_held;
        for (const auto& s : summary)
        {
            line << "\t" << s;
        }
        line << "\t" << (reached ? "yes" : "no") << "\n";
        refrt::write_file(o.summary, line.str());
    }
    return reached ? 0 : 1;
}

catch (const std::exception& e)
{
    std::cerr << "tune_model: " << e.what() << "\n";
    return 2;
}
