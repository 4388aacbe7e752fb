// examples/embed_runtime.cpp: amct inside somebody else's runtime. The runtime (tiny_runtime.hpp) is a small
// NCHW float executor that knows nothing of amct; tiny_adapter there is the glue. This program runs AMCT's
// whole flow on a small CNN: create_quant_config (or a quant.cfg), BN fusion, ARQ, IFMR calibration from two
// threads, the record (record.txt and JSON, read back and checked), and simulated int8 inference against
// the float model on held-out inputs.
//
//   embed_runtime [--quant-cfg FILE] [--out DIR] [--batches N]
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <amct/amct.hpp>

#include "tiny_runtime.hpp"

namespace
{
tiny::node op(const std::string& name, const std::string& type, const std::string& in)
{
    tiny::node n;
    n.name = name;
    n.op = type;
    n.input = in;
    n.output = name + ".out";
    return n;
}

tiny::tensor random_tensor(std::vector<std::size_t> shape, float stddev, std::mt19937& rng)
{
    std::normal_distribution<float> d(0.0f, stddev);
    tiny::tensor t = tiny::tensor::from_shape(shape);
    for (auto& v : t)
    {
        v = d(rng);
    }
    return t;
}

tiny::node conv(const std::string& name,
                const std::string& in,
                std::size_t cin,
                std::size_t cout,
                std::size_t k,
                std::size_t groups,
                std::mt19937& rng)
{
    tiny::node n = op(name, "Conv", in);
    n.groups = groups;
    n.pad = k / 2;
    n.params["weight"] = random_tensor({cout, cin / groups, k, k}, 0.5f, rng);
    n.params["bias"] = random_tensor({cout}, 0.1f, rng);
    return n;
}

tiny::node batch_norm(const std::string& name, const std::string& in, std::size_t c, std::mt19937& rng)
{
    std::uniform_real_distribution<float> u(0.5f, 1.5f);
    tiny::node n = op(name, "BatchNormalization", in);
    n.params["weight"] = random_tensor({c}, 0.2f, rng) + 1.0f;
    n.params["bias"] = random_tensor({c}, 0.2f, rng);
    n.params["mean"] = random_tensor({c}, 0.2f, rng);
    n.params["variance"] = xt::xarray<float>::from_shape({c});
    for (auto& v : n.params["variance"])
    {
        v = u(rng);
    }
    return n;
}

/// conv+BN+ReLU, depthwise conv+BN+ReLU, AvgPool, pointwise conv+ReLU, global pooling, a classifier.
tiny::graph make_model()
{
    std::mt19937 rng(2026);
    tiny::graph g;
    g.nodes.push_back(conv("conv1", "x", 3, 8, 3, 1, rng));
    g.nodes.push_back(batch_norm("bn1", "conv1.out", 8, rng));
    g.nodes.push_back(op("relu1", "Relu", "bn1.out"));
    g.nodes.push_back(conv("dw2", "relu1.out", 8, 8, 3, 8, rng));
    g.nodes.push_back(batch_norm("bn2", "dw2.out", 8, rng));
    g.nodes.push_back(op("relu2", "Relu", "bn2.out"));
    g.nodes.push_back(op("pool", "AveragePool", "relu2.out"));
    g.nodes.back().kernel = 2;
    g.nodes.push_back(conv("pw3", "pool.out", 8, 16, 1, 1, rng));
    g.nodes.push_back(op("relu3", "Relu", "pw3.out"));
    g.nodes.push_back(op("gap", "GlobalAveragePool", "relu3.out"));
    g.nodes.push_back(op("flat", "Flatten", "gap.out"));
    tiny::node fc = op("fc", "Gemm", "flat.out");
    fc.params["weight"] = random_tensor({10, 16}, 0.3f, rng);
    fc.params["bias"] = random_tensor({10}, 0.1f, rng);
    g.nodes.push_back(fc);
    g.output = "fc.out";
    return g;
}

void write_file(const std::string& path, const std::string& text)
{
    std::ofstream out(path);
    out << text;
    if (!out)
    {
        throw std::runtime_error("cannot write " + path);
    }
}
}  // namespace

int main(int argc, char** argv)
try
{
    std::string quant_cfg, out_dir = ".";
    std::size_t batches = 8;
    for (int i = 1; i < argc; ++i)
    {
        const std::string a = argv[i];
        if (i + 1 == argc || (a != "--quant-cfg" && a != "--out" && a != "--batches"))
        {
            std::cerr << "usage: embed_runtime [--quant-cfg FILE] [--out DIR] [--batches N]\n";
            return 2;
        }
        const std::string v = argv[++i];
        if (a == "--quant-cfg")
        {
            quant_cfg = v;
        }
        else if (a == "--out")
        {
            out_dir = v;
        }
        else
        {
            batches = std::stoul(v);
        }
    }

    tiny::graph model = make_model();
    const tiny::graph float_model = model;  // the reference for the evaluation
    tiny::tiny_adapter adapter(model);

    // 1. The configuration: AMCT's defaults for the model's layers, or a quant.cfg resolved against them.
    amct::create_quant_config_options options;
    options.batch_num = static_cast<int>(batches);
    options.config_definition = quant_cfg;
    if (!quant_cfg.empty())
    {
        options.batch_num = 1;
    }
    const amct::quant_config cfg = amct::create_quant_config(amct::quantizable_layers(adapter), options);
    std::filesystem::create_directories(out_dir);
    write_file(out_dir + "/config.json", amct::write_config_json(cfg));

    // 2. BN fusion, ARQ, fake-quantized weights: the runtime's model is changed through the adapter.
    amct::calibration_session session(adapter, cfg);
    for (const auto& [conv, bn] : session.fusion().fused)
    {
        std::cout << "fused " << bn << " into " << conv << "\n";
    }

    // 3. Calibration: two workers, each with its own copy of the (now quantized-weight) graph, hand amct
    //    every quantized layer's input. The result does not depend on which worker runs which batch.
    std::mt19937 rng(7);
    std::vector<tiny::tensor> calibration, held_out;
    for (std::size_t b = 0; b < session.batch_num(); ++b)
    {
        calibration.push_back(random_tensor({4, 3, 16, 16}, 1.0f, rng));
    }
    for (int b = 0; b < 4; ++b)
    {
        held_out.push_back(random_tensor({4, 3, 16, 16}, 1.0f, rng));
    }
    auto worker = [&](std::size_t first)
    {
        const tiny::graph local = model;
        for (std::size_t b = first; b < calibration.size(); b += 2)
        {
            local.run(calibration[b],
                      [&](const tiny::node& n, tiny::tensor& input)
                      {
                          if (session.wants(n.name))
                          {
                              session.observe(n.name, b, input);
                          }
                      });
        }
    };
    std::thread t0(worker, 0), t1(worker, 1);
    t0.join();
    t1.join();

    // 4. The record and the deployable tensors.
    const amct::quantized_model result = session.finalize();
    for (const auto& note : result.notes)
    {
        std::cout << "note: " << note << "\n";
    }
    write_file(out_dir + "/record.txt", amct::dsl::write_record_txt(result.record));
    write_file(out_dir + "/record.json", amct::write_record_json(result.record));
    const amct::quant_record back = amct::dsl::load_record_txt(out_dir + "/record.txt");
    const std::vector<std::string> names = session.layers();
    amct::check_record(back, &names);
    if (!(back == result.record && amct::load_record_json(out_dir + "/record.json") == result.record))
    {
        std::cerr << "the record did not read back equal\n";
        return 1;
    }

    std::cout << std::left << std::setw(8) << "layer" << std::setw(14) << "scale_d" << std::setw(10)
              << "offset_d"
              << "scale_w (first) / channels\n";
    for (const auto& l : result.layers)
    {
        const amct::layer_record& r = *result.record.find(l.name);
        std::cout << std::setw(8) << l.name << std::setw(14) << *r.scale_d << std::setw(10) << *r.offset_d
                  << r.scale_w[0] << " / " << r.scale_w.size() << "\n";
    }

    // 5. Simulated int8 inference: quantized weights (already in the runtime) and every quantized layer's
    //    input fake-quantized with the record's scale_d / offset_d, against the float model.
    double worst = 1e9;
    for (const auto& x : held_out)
    {
        const tiny::tensor ref = float_model.run(x);
        const tiny::tensor q = model.run(x,
                                         [&](const tiny::node& n, tiny::tensor& input)
                                         {
                                             if (const amct::layer_record* r = result.record.find(n.name))
                                             {
                                                 input = amct::fake_quantize_activation(input, *r, n.name);
                                             }
                                         });
        worst = std::min(worst, amct::compare(ref, q).value(amct::metric::sqnr));
    }
    std::cout << "held-out output SQNR (worst of " << held_out.size() << " batches): " << std::fixed
              << std::setprecision(1) << worst << " dB\n";
    return worst > 20.0 ? 0 : 1;
}

catch (const std::exception& e)
{
    std::cerr << e.what() << "\n";
    return 2;
}
