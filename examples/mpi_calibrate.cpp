// examples/mpi_calibrate.cpp: one calibration over several MPI processes (amct/pipeline/mpi.hpp), in the
// reference runtime (runtime/). Every rank builds the model and a session with the same
// configuration, runs its own share of the calibration batches (batch k goes to rank k mod size; only those
// are loaded or generated), and after every round of batches the ranks exchange HFMG's batch ranges; then the
// sessions are reduced into rank 0, which writes record.txt and prints what each rank sent. With one process
// this is the ordinary single-process calibration, so the records of `mpirun -np 1` and `mpirun -np N` must
// be equal byte for byte (the ctest cases mpi_calibrate_*).
//
//   mpirun -np N mpi_calibrate [--model synthetic|mobilenet_v2] [--algorithm ifmr|hfmg|max|percentile|kl|mse]
//                              [--ifmr-mode exact|bounded] [--batches N] [--out DIR] [--threads N]
//                              [--models-dir DIR --images-dir DIR --calib N --batch N]   (mobilenet_v2)
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <amct/amct.hpp>
#include <amct/pipeline/mpi.hpp>

#include <mpi.h>
#include <refrt/amct_adapter.hpp>
#include <refrt/workloads.hpp>

namespace
{
struct options : refrt::workload_options
{
    std::string algorithm = "ifmr", ifmr_mode, out = "amct_out";
    std::size_t batches = 6, threads = 1;
};

options parse(int argc, char** argv)
{
    options o;
    o.model = "synthetic";
    refrt::parse_options(argc,
                         argv,
                         o,
                         [&](const std::string& a, const std::string& v)
                         {
                             if (a == "--algorithm")
                                 o.algorithm = v;
                             else if (a == "--ifmr-mode")
                                 o.ifmr_mode = v;
                             else if (a == "--batches")
                                 o.batches = std::stoul(v);
                             else if (a == "--out")
                                 o.out = v;
                             else if (a == "--threads")
                                 o.threads = std::stoul(v);
                             else
                                 return false;
                             return true;
                         });
    return o;
}

refrt::node op(const std::string& name, const std::string& type, std::vector<std::string> inputs)
{
    refrt::node n;
    n.name = name;
    n.op = type;
    n.inputs = std::move(inputs);
    n.outputs = {name};
    return n;
}

refrt::tensor normal(std::vector<std::size_t> shape, float stddev, float mean, std::mt19937& rng)
{
    std::normal_distribution<float> d(mean, stddev);
    refrt::tensor t = refrt::tensor::from_shape(shape);
    for (auto& v : t)
    {
        v = d(rng);
    }
    return t;
}

/// conv 3x3 + BN + ReLU, depthwise conv 3x3 + ReLU, pointwise conv, global pooling, Gemm: every kind of
/// quantized layer of a CNN, on 3x16x16 inputs.
refrt::graph synthetic_model()
{
    std::mt19937 rng(2026);
    refrt::graph g;
    g.inputs = {{"x", {-1, 3, 16, 16}}};
    auto conv =
      [&](
        const std::string& name, const std::string& in, std::size_t cin, std::size_t cout, std::size_t group)
    {
        refrt::node n = op(name, "Conv", {in, name + ".w", name + ".b"});
        n.attributes["pads"].ints = {1, 1, 1, 1};
        n.attributes["group"].i = static_cast<std::int64_t>(group);
        g.constants[name + ".w"] = normal({cout, cin / group, 3, 3}, 0.4f, 0.0f, rng);
        g.constants[name + ".b"] = normal({cout}, 0.1f, 0.0f, rng);
        g.nodes.push_back(n);
    };
    conv("conv1", "x", 3, 8, 1);
    g.nodes.push_back(op("bn1", "BatchNormalization", {"conv1", "bn1.g", "bn1.b", "bn1.m", "bn1.v"}));
    g.constants["bn1.g"] = normal({8}, 0.2f, 1.0f, rng);
    g.constants["bn1.b"] = normal({8}, 0.2f, 0.0f, rng);
    g.constants["bn1.m"] = normal({8}, 0.2f, 0.0f, rng);
    g.constants["bn1.v"] = xt::abs(normal({8}, 0.3f, 1.0f, rng)) + 0.1f;
    g.nodes.push_back(op("relu1", "Relu", {"bn1"}));
    conv("dw2", "relu1", 8, 8, 8);
    g.nodes.push_back(op("relu2", "Relu", {"dw2"}));
    conv("pw3", "relu2", 8, 16, 1);
    g.nodes.push_back(op("gap", "GlobalAveragePool", {"pw3"}));
    g.nodes.push_back(op("flat", "Flatten", {"gap"}));
    g.nodes.push_back(op("fc", "Gemm", {"flat", "fc.w", "fc.b"}));
    g.nodes.back().attributes["transB"].i = 1;
    g.constants["fc.w"] = normal({10, 16}, 0.3f, 0.0f, rng);
    g.constants["fc.b"] = normal({10}, 0.1f, 0.0f, rng);
    g.outputs = {"fc"};
    return g;
}

/// Batch k of the synthetic calibration set: made from k alone, so a rank makes only its own. The scale
/// grows with k now and then, so HFMG's range moves and its re-binning matters.
refrt::tensor synthetic_batch(std::size_t k)
{
    std::mt19937 rng(static_cast<std::uint32_t>(1000 + k));
    return normal({2, 3, 16, 16}, 1.0f + 0.5f * static_cast<float>(k % 4), 0.0f, rng);
}

/// The observer state of each layer in a saved session (the format of calibration_session::save), in bytes.
std::vector<std::pair<std::string, std::size_t>> layer_bytes(const std::string& state)
{
    amct::state_reader r(state, "calibration_session", 2);
    r.str();  // configuration
    std::vector<std::pair<std::string, std::size_t>> out;
    for (std::size_t n = r.count(1); n > 0; --n)
    {
        std::string name = r.str();
        r.f32s();  // ARQ scales
        out.emplace_back(std::move(name), r.str().size());
    }
    return out;
}

int run(int argc, char** argv)
{
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const options o = parse(argc, argv);
    const auto ranks = static_cast<std::size_t>(size), me = static_cast<std::size_t>(rank);

    // the model, and this rank's batches only (a real cluster gives each rank its own shard of the images)
    refrt::graph model;
    std::vector<refrt::tensor> mine;  // batches me, me + size, ...
    std::size_t batches = o.batches;
    if (o.model == "synthetic")
    {
        model = synthetic_model();
        for (std::size_t k = me; k < batches; k += ranks)
        {
            mine.push_back(synthetic_batch(k));
        }
    }
    else
    {
        refrt::workload_options w = o;
        w.eval = 0;
        refrt::workload work = refrt::load_workload(w);  // (loads every image; a rank keeps its own)
        model = std::move(work.model);
        batches = work.calib.size();
        for (std::size_t k = me; k < batches; k += ranks)
        {
            mine.push_back(std::move(work.calib[k].x));
        }
    }

    std::vector<const refrt::tensor*> by_index(batches, nullptr);  // this rank's batches under their indices
    for (std::size_t round = 0; round * ranks + me < batches; ++round)
    {
        by_index[round * ranks + me] = &mine[round];
    }
    refrt::graph_bridge adapter(model, by_index);
    amct::create_quant_config_options co;
    co.batch_num = static_cast<int>(batches);
    amct::quant_config cfg = amct::create_quant_config(amct::quantizable_layers(adapter), co);
    for (auto& [name, layer] : cfg.layers)
    {
        auto& a = layer.activation_quant_params;
        if (!a.select(o.algorithm))
        {
            std::cerr << "mpi_calibrate: --algorithm " << o.algorithm << ": not an activation algorithm\n";
            return 2;
        }
        if (!o.ifmr_mode.empty())
        {
            if (o.ifmr_mode != "exact" && o.ifmr_mode != "bounded")
            {
                std::cerr << "mpi_calibrate: --ifmr-mode " << o.ifmr_mode << ": exact or bounded\n";
                return 2;
            }
            a.set(&amct::ifmr_params::mode,
                  o.ifmr_mode == "bounded" ? amct::ifmr_mode::bounded : amct::ifmr_mode::exact);
        }
    }
    amct::calibration_session session(adapter, cfg, amct::thread_executor(o.threads));

    // rounds of one batch per rank; HFMG's ranges are shared after each, so no batch waits as a copy
    amct::mpi::traffic ranges;
    for (std::size_t round = 0; round * ranks < batches; ++round)
    {
        const std::size_t k = round * ranks + me;
        if (k < batches)
        {
            session.calibrate(adapter, {k});
        }
        const amct::mpi::traffic t = amct::mpi::share_batch_ranges(session, MPI_COMM_WORLD);
        ranges.sent += t.sent;
        ranges.received += t.received;
    }
    const std::vector<std::pair<std::string, std::size_t>> sizes = layer_bytes(session.save());
    amct::mpi::traffic states;
    const bool root = amct::mpi::reduce(session, MPI_COMM_WORLD, 0, &states);

    std::size_t own = 0, largest = 0;
    for (const auto& [name, bytes] : sizes)
    {
        own += bytes;
        largest = std::max(largest, bytes);
    }
    for (int r = 0; r < size; ++r)  // one line per rank, in rank order
    {
        if (r == rank)
        {
            std::cout << "rank " << rank << ": " << mine.size() << " batches; batch ranges sent "
                      << ranges.sent << " B; its own observer states " << own << " B over " << sizes.size()
                      << " layers (largest " << largest << " B); in the reduction sent " << states.sent
                      << " B, received " << states.received << " B" << std::endl;
        }
        MPI_Barrier(MPI_COMM_WORLD);
    }
    if (root)
    {
        const amct::quantized_model q = session.finalize();
        std::filesystem::create_directories(o.out);
        refrt::write_file(std::filesystem::path(o.out) / "record.txt", amct::dsl::write_record_txt(q.record));
        std::cout << "record of " << q.layers.size() << " layers over " << batches << " batches ("
                  << o.algorithm << ", " << size << " processes) in "
                  << (std::filesystem::path(o.out) / "record.txt").string() << std::endl;
    }
    return 0;
}
}  // namespace

int main(int argc, char** argv)
{
    MPI_Init(&argc, &argv);
    int rc = 0;
    try
    {
        rc = run(argc, argv);
    }
    catch (const std::exception& e)
    {
        std::cerr << "mpi_calibrate: " << e.what() << std::endl;
        MPI_Abort(MPI_COMM_WORLD, 2);  // the other ranks may be waiting in a collective
    }
    MPI_Finalize();
    return rc;
}
