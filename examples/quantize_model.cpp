// examples/quantize_model.cpp: AMCT's whole post-training quantization flow on a real model in the reference
// runtime (runtime/): create_quant_config (or a quant.cfg / config.json), BN fusion, ARQ, activation
// calibration over real images from several threads, record.txt, then simulated int8 inference on held-out
// images against the float model: a layer-wise table (cosine, SQNR) and the output's SQNR, cosine and top-1
// agreement (PP-OCR cls: accuracy against labels; PP-OCR det: agreement of the probability map). The model is
// also written as ONNX, float (model.onnx) and quantized (model_qdq.onnx, QuantizeLinear/DequantizeLinear
// with amct's factors), to run in ONNX Runtime (scripts/ort_run.js).
//
//   quantize_model [--model mobilenet_v2|ppocr_det|ppocr_cls] [--models-dir DIR]
//                  [--images-dir DIR] [--quant-cfg FILE | --config config.json] [--out DIR]
//                  [--calib N] [--eval N] [--batch N] [--threads N] [--det-side N] [--rotate K]
//                  [--min-sqnr DB] [--min-top1 FRACTION] [--max-accuracy-drop POINTS]
//                  [--summary FILE]
//
// --summary FILE writes one tab-separated line for scripts (scripts/demo.sh): model, quantized layers, the
// output's SQNR (dB) and cosine against the float model, top-1 agreement, text-mask IoU, float and int8
// accuracy against the labels (%); "-" where the model has no such measure.
// The models come from scripts/fetch_models.sh, the images from scripts/fetch_images.sh (both print their
// directory); scripts/demo.sh runs both and then this program.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <amct/amct.hpp>

#include <refrt/amct_adapter.hpp>
#include <refrt/onnx_export.hpp>
#include <refrt/workloads.hpp>

namespace fs = std::filesystem;
using refrt::batch;
using refrt::run1;
using refrt::tensor;

namespace
{
struct options : refrt::workload_options
{
    std::string quant_cfg, config, out = "amct_out", summary;
    std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
    double min_sqnr = -1e9, min_top1 = -1.0, max_accuracy_drop = 1e9;
};

/// Records the outputs of the quantized layers in a float run.
class capture_outputs : public refrt::run_observer
{
public:
    explicit capture_outputs(const amct::quant_record& r)
      : m_record(r)
    {
    }

    void output(const refrt::node& n, tensor& y) override
    {
        if (m_record.find(n.name))
        {
            outputs[n.name] = y;
        }
    }

    std::map<std::string, tensor> outputs;

private:
    const amct::quant_record& m_record;
};

/// Simulated int8 inference that compares each quantized layer's output with the float run's.
class compare_outputs : public refrt::fake_quant_observer
{
public:
    compare_outputs(const amct::quant_record& r,
                    const std::map<std::string, tensor>& reference,
                    std::map<std::string, amct::comparison>& stats)
      : fake_quant_observer(r)
      , m_reference(reference)
      , m_stats(stats)
    {
    }

    void output(const refrt::node& n, tensor& y) override
    {
        const auto it = m_reference.find(n.name);
        if (it != m_reference.end())
        {
            m_stats.try_emplace(n.name, amct::skip_kl_divergence).first->second.add(it->second, y);
        }
    }

private:
    const std::map<std::string, tensor>& m_reference;
    std::map<std::string, amct::comparison>& m_stats;
};

std::size_t argmax(const tensor& y, std::size_t row)
{
    const std::size_t n = y.shape()[1];
    const float* p = y.data() + row * n;
    return static_cast<std::size_t>(std::max_element(p, p + n) - p);
}

options parse(int argc, char** argv)
{
    options o;
    refrt::parse_options(argc,
                         argv,
                         o,
                         [&](const std::string& a, const std::string& v)
                         {
                             if (a == "--quant-cfg")
                                 o.quant_cfg = v;
                             else if (a == "--config")
                                 o.config = v;
                             else if (a == "--out")
                                 o.out = v;
                             else if (a == "--summary")
                                 o.summary = v;
                             else if (a == "--threads")
                                 o.threads = std::max<std::size_t>(1, std::stoul(v));
                             else if (a == "--min-sqnr")
                                 o.min_sqnr = std::stod(v);
                             else if (a == "--min-top1")
                                 o.min_top1 = std::stod(v);
                             else if (a == "--max-accuracy-drop")
                                 o.max_accuracy_drop = std::stod(v);
                             else
                                 return false;
                             return true;
                         });
    refrt::require_data_dirs(o);
    return o;
}

double seconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv)
try
{
    const options o = parse(argc, argv);
    fs::create_directories(o.out);
    refrt::workload w = refrt::load_workload(o);
    const refrt::graph float_model = w.model;  // the reference, never changed
    std::vector<const tensor*> calib;
    for (const batch& b : w.calib)
    {
        calib.push_back(&b.x);
    }
    refrt::graph_bridge adapter(w.model, calib);  // amct's view of the runtime: parameters and runs
    std::cout << "model " << o.model << ": " << w.model.nodes.size() << " nodes, " << w.calib.size()
              << " calibration batches, " << w.eval.size() << " evaluation batches\n";

    // 1. The configuration: AMCT's defaults for the model's layers, a quant.cfg resolved against them, or a
    //    config.json checked against them.
    const auto layers = amct::quantizable_layers(adapter);
    amct::quant_config cfg;
    if (!o.config.empty())
    {
        cfg = amct::load_config_json(o.config, layers);
    }
    else
    {
        amct::create_quant_config_options co;
        co.config_definition = o.quant_cfg;
        if (o.quant_cfg.empty())
        {
            co.batch_num = static_cast<int>(w.calib.size());
        }
        cfg = amct::create_quant_config(layers, co);
    }
    refrt::write_file(fs::path(o.out) / "config.json", amct::write_config_json(cfg));

    // 2. BN fusion and ARQ: the session rewrites the runtime's weights through the adapter.
    auto t0 = std::chrono::steady_clock::now();
    amct::calibration_session session(adapter, cfg);
    const double setup_s = seconds_since(t0);
    std::cout << "BN fusion: " << session.fusion().fused.size() << " BatchNorms folded; "
              << session.layers().size() << " layers to calibrate\n";
    for (const auto& warning : session.fusion().warnings)
    {
        std::cout << "  " << warning << "\n";
    }
    if (session.batch_num() > w.calib.size())
    {
        throw std::runtime_error("the configuration asks for batch_num " + std::to_string(session.batch_num())
                                 + " but there are " + std::to_string(w.calib.size())
                                 + " calibration batches");
    }

    // 3. Calibration on o.threads threads; batches are applied in order whatever the thread.
    t0 = std::chrono::steady_clock::now();
    session.calibrate(adapter, {}, amct::thread_executor(o.threads));
    const double calib_s = seconds_since(t0);

    // 4. The record and the deployable tensors; simulation runs with the int32 bias dequantized.
    t0 = std::chrono::steady_clock::now();
    const amct::quantized_model result = session.finalize();
    const double finalize_s = seconds_since(t0);
    for (const auto& note : result.notes)
    {
        std::cout << "note: " << note << "\n";
    }
    refrt::write_file(fs::path(o.out) / "record.txt", amct::dsl::write_record_txt(result.record));
    refrt::set_dequantized_bias(adapter, result);
    std::cout << "calibration: setup (fusion, ARQ) " << std::fixed << std::setprecision(2) << setup_s
              << " s, forward + observe " << calib_s << " s, finalize " << finalize_s << " s; record in "
              << (fs::path(o.out) / "record.txt").string() << "\n";
    const fs::path onnx_float = fs::path(o.out) / "model.onnx", onnx_qdq = fs::path(o.out) / "model_qdq.onnx";
    refrt::save_onnx(float_model, onnx_float.string());
    refrt::save_onnx_qdq(w.model, result, onnx_qdq.string());
    std::cout << "ONNX models: " << onnx_float.string() << " (float), " << onnx_qdq.string() << " (QDQ)\n";

    // 5. Simulated int8 against float on the held-out images: every quantized layer's output against the
    //    BN-fused float model's (the same function up to rounding), the model's output against the original.
    refrt::graph fused = float_model;
    refrt::graph_bridge fused_adapter(fused);
    amct::fuse_batch_norm(fused_adapter, cfg);
    std::map<std::string, amct::comparison> layer_stats;
    amct::comparison output(amct::skip_kl_divergence);
    std::size_t rows = 0, top1 = 0, correct_float = 0, correct_quant = 0, mask_and = 0, mask_or = 0;
    for (const batch& b : w.eval)
    {
        const tensor y_float = run1(float_model, b.x);
        capture_outputs reference(result.record);
        run1(fused, b.x, &reference);
        compare_outputs compare(result.record, reference.outputs, layer_stats);
        const tensor y_quant = run1(w.model, b.x, &compare);
        output.add(y_float, y_quant);
        if (w.kind == refrt::output_kind::dense)  // DB's text mask: probability > 0.3
        {
            for (std::size_t i = 0; i < y_float.size(); ++i)
            {
                const bool a = y_float.data()[i] > 0.3f, q = y_quant.data()[i] > 0.3f;
                mask_and += a && q;
                mask_or += a || q;
            }
            continue;
        }
        for (std::size_t r = 0; r < y_float.shape()[0]; ++r, ++rows)
        {
            const std::size_t f = argmax(y_float, r), q = argmax(y_quant, r);
            top1 += f == q;
            if (!b.labels.empty())
            {
                correct_float += static_cast<int>(f) == b.labels[r];
                correct_quant += static_cast<int>(q) == b.labels[r];
            }
        }
    }

    std::cout << "\nlayer-wise, simulated int8 against float on " << w.eval.size() << " held-out batches:\n"
              << std::left << std::setw(36) << "layer" << std::setw(20) << "type" << std::right
              << std::setw(10) << "cosine" << std::setw(10) << "SQNR dB"
              << "\n";
    for (const auto& l : result.layers)
    {
        const amct::comparison& a = layer_stats.at(l.name);
        std::cout << std::left << std::setw(36) << l.name << std::setw(20) << l.type << std::right
                  << std::setprecision(6) << std::setw(10) << a.value(amct::metric::cosine)
                  << std::setprecision(1) << std::setw(10) << a.value(amct::metric::sqnr) << "\n";
    }
    std::cout << "\noutput against the float model: SQNR " << std::setprecision(2)
              << output.value(amct::metric::sqnr) << " dB, cosine " << std::setprecision(6)
              << output.value(amct::metric::cosine);
    bool pass = output.value(amct::metric::sqnr) >= o.min_sqnr;
    // The --summary columns after model, layers, SQNR and cosine: top-1, IoU, float and int8 accuracy.
    std::vector<std::string> measures(4, "-");
    const auto format = [](double v, int precision)
    {
        std::ostringstream s;
        s << std::fixed << std::setprecision(precision) << v;
        return s.str();
    };
    if (w.kind == refrt::output_kind::dense)
    {
        const double iou = mask_or ? static_cast<double>(mask_and) / static_cast<double>(mask_or) : 1.0;
        std::cout << ", text-mask IoU " << std::setprecision(4) << iou << "\n";
        measures[1] = format(iou, 4);
    }
    else
    {
        const double agree = static_cast<double>(top1) / static_cast<double>(rows);
        std::cout << ", top-1 agreement " << std::setprecision(4) << agree << " (" << top1 << "/" << rows
                  << ")\n";
        measures[0] = format(agree, 4);
        pass = pass && agree >= o.min_top1;
        if (w.kind == refrt::output_kind::labelled)
        {
            const double af = 100.0 * static_cast<double>(correct_float) / static_cast<double>(rows);
            const double aq = 100.0 * static_cast<double>(correct_quant) / static_cast<double>(rows);
            std::cout << "accuracy against the labels: float " << std::setprecision(2) << af << " %, int8 "
                      << aq << " % (" << rows << " crops)\n";
            measures[2] = format(af, 2);
            measures[3] = format(aq, 2);
            pass = pass && af - aq <= o.max_accuracy_drop;
        }
    }
    if (!o.summary.empty())
    {
        std::string line = o.model + "\t" + std::to_string(result.layers.size()) + "\t"
                           + format(output.value(amct::metric::sqnr), 2) + "\t"
                           + format(output.value(amct::metric::cosine), 6);
        for (const auto& m : measures)
        {
            line += "\t" + m;
        }
        refrt::write_file(o.summary, line + "\n");
    }
    if (!pass)
    {
        std::cout << "FAILED: below the accuracy bound given on the command line\n";
        return 1;
    }
    return 0;
}

catch (const std::exception& e)
{
    std::cerr << "quantize_model: " << e.what() << "\n";
    return 2;
}
