// bench/bench_model.cpp: amct's own share of calibrating a real model, and how often bounded IFMR picks exact
// IFMR's candidate on real layers.
//
// 1. Calibration share on MobileNetV2 (target: under 10 percent of the float forward time). The float
//    forward of one batch in the reference runtime is the baseline; amct's work is the session's set-up (BN
//    fusion and ARQ), observe() of every layer's input of every batch, and finalize() (IFMR over all
//    batches, the deployable tensors). The share is (setup + observe + finalize) / (batches * forward),
//    printed after the table for IFMR's exact mode (AMCT's default) and its bounded mode (config.json
//    "ifmr_mode": "bounded"). The runtime and this program are compiled with the same flags. BM_count_bits is
//    the bounded mode's counting alone (bit_histogram::add of one batch into warm histograms), per value.
// 2. IFMR agreement on the layers of MobileNetV2, PP-OCRv4 det and cls: for every layer, exact and bounded
//    IFMR over the same calibration inputs; the chosen candidate index compared.
// 3. Threads: set-up, observe() of every batch, finalize and the whole calibration (set-up, forward +
//    observe of every batch, finalize) on 1 and 2 threads; the speed-ups follow the table.
//
//   bench_model --models-dir DIR --images-dir DIR [Google Benchmark flags]
#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <amct/amct.hpp>

#include <refrt/amct_adapter.hpp>
#include <refrt/workloads.hpp>

namespace
{
refrt::workload_options g_options;

/// Copies of every calibrated layer's input, per batch.
class capture_inputs : public refrt::run_observer
{
public:
    explicit capture_inputs(const std::vector<std::string>& layers)
      : m_layers(layers.begin(), layers.end())
    {
    }

    bool wants_input(const refrt::node& n) override
    {
        return m_layers.count(n.name) != 0;
    }

    void input(const refrt::node& n, refrt::tensor& x) override
    {
        inputs[n.name] = x;
    }

    std::map<std::string, refrt::tensor> inputs;

private:
    std::set<std::string> m_layers;
};

/// AMCT's default configuration for a model calibrated over `batches` batches; with `mode`, every layer's
/// IFMR in that mode.
amct::quant_config default_config(refrt::graph_bridge& model,
                                  std::size_t batches,
                                  std::optional<amct::ifmr_mode> mode = std::nullopt)
{
    amct::create_quant_config_options co;
    co.batch_num = static_cast<int>(batches);
    amct::quant_config cfg = amct::create_quant_config(amct::quantizable_layers(model), co);
    for (auto& layer : cfg.layers)
    {
        if (mode)
        {
            layer.second.activation_quant_params.set(&amct::ifmr_params::mode, *mode);
        }
    }
    return cfg;
}

/// The benchmarks' argument: IFMR's mode.
const char* mode_name(const benchmark::State& state)
{
    return state.range(0) ? "bounded" : "exact";
}

/// A copy of a model prepared for calibration: BN folded, weights fake-quantized, one observer per layer.
struct prepared
{
    refrt::graph graph;
    refrt::graph_bridge adapter{graph};
    amct::calibration_session session;

    prepared(const refrt::graph& model, const amct::quant_config& cfg, amct::executor exec = {})
      : graph(model)
      , session(adapter, cfg, std::move(exec))
    {
    }
};

/// MobileNetV2 with its default configuration, quantized weights and every batch's layer inputs.
struct fixture
{
    refrt::workload work;
    amct::quant_config cfg, bounded;                           // IFMR exact (AMCT's default), bounded
    std::vector<std::map<std::string, refrt::tensor>> inputs;  // per batch

    fixture()
    {
        refrt::workload_options o = g_options;
        o.model = "mobilenet_v2";
        o.eval = 0;
        work = refrt::load_workload(o);
        refrt::graph g = work.model;
        refrt::graph_bridge adapter(g);
        cfg = default_config(adapter, work.calib.size());
        bounded = default_config(adapter, work.calib.size(), amct::ifmr_mode::bounded);
        const prepared p(work.model, cfg);
        for (const auto& b : work.calib)
        {
            capture_inputs capture(p.session.layers());
            refrt::run1(p.graph, b.x, &capture);
            inputs.push_back(std::move(capture.inputs));
        }
    }

    static const fixture& get()
    {
        static const fixture f;
        return f;
    }

    const amct::quant_config& config(const benchmark::State& state) const
    {
        return state.range(0) ? bounded : cfg;
    }
};

void BM_float_forward(benchmark::State& state)
{
    const fixture& f = fixture::get();
    for (auto _ : state)
    {
        benchmark::DoNotOptimize(refrt::run1(f.work.model, f.work.calib[0].x));
    }
}

void BM_setup_fusion_arq(benchmark::State& state)
{
    const fixture& f = fixture::get();
    for (auto _ : state)
    {
        state.PauseTiming();
        refrt::graph g = f.work.model;
        refrt::graph_bridge adapter(g);
        state.ResumeTiming();
        const amct::calibration_session session(adapter, f.cfg);
        benchmark::DoNotOptimize(session.layers().size());
    }
}

void feed(amct::calibration_session& session, const fixture& f, std::size_t batch)
{
    for (const auto& [layer, x] : f.inputs[batch])
    {
        session.observe(layer, batch, x);
    }
}

/// Every batch into a fresh session, as in a calibration run (the first batch's one-time costs, such as the
/// histograms' first pages, are paid once).
void BM_observe_all_batches(benchmark::State& state)
{
    const fixture& f = fixture::get();
    state.SetLabel(mode_name(state));
    for (auto _ : state)
    {
        state.PauseTiming();
        prepared p(f.work.model, f.config(state));
        state.ResumeTiming();
        for (std::size_t b = 0; b < f.inputs.size(); ++b)
        {
            feed(p.session, f, b);
        }
    }
}

void BM_finalize(benchmark::State& state)
{
    const fixture& f = fixture::get();
    state.SetLabel(mode_name(state));
    for (auto _ : state)
    {
        state.PauseTiming();
        prepared p(f.work.model, f.config(state));
        for (std::size_t b = 0; b < f.inputs.size(); ++b)
        {
            feed(p.session, f, b);
        }
        state.ResumeTiming();
        benchmark::DoNotOptimize(p.session.finalize().layers.size());
    }
}

BENCHMARK(BM_float_forward)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_setup_fusion_arq)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_observe_all_batches)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_finalize)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

/// bit_histogram::add alone (IFMR bounded's counting) of every layer's input of one batch into warm
/// histograms, for the time per value.
void BM_count_bits(benchmark::State& state)
{
    const fixture& f = fixture::get();
    std::vector<amct::bit_histogram> h(f.inputs[0].size());
    std::size_t values = 0;
    for (const auto& [layer, x] : f.inputs[0])
    {
        values += x.size();
    }
    for (auto _ : state)
    {
        std::size_t i = 0;
        for (const auto& [layer, x] : f.inputs[0])
        {
            benchmark::DoNotOptimize(h[i++].add(x.data(), x.size()));
        }
    }
    state.counters["ns_per_value"] =
      benchmark::Counter(static_cast<double>(values) * 1e-9,
                         benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_count_bits)->Unit(benchmark::kMillisecond);

// The same work on 1 and 2 threads: set-up and finalize with a thread_executor, observe() of every batch
// from that many threads, and the whole calibration (set-up, forward + observe of every batch from that
// many threads, each with batches t, t + threads, ..., finalize).

void BM_threads_setup(benchmark::State& state)
{
    const fixture& f = fixture::get();
    const auto threads = static_cast<std::size_t>(state.range(0));
    for (auto _ : state)
    {
        state.PauseTiming();
        refrt::graph g = f.work.model;
        refrt::graph_bridge adapter(g);
        state.ResumeTiming();
        const amct::calibration_session session(adapter, f.cfg, amct::thread_executor(threads));
        benchmark::DoNotOptimize(session.layers().size());
    }
}

void BM_threads_observe_all(benchmark::State& state)
{
    const fixture& f = fixture::get();
    const auto threads = static_cast<std::size_t>(state.range(0));
    for (auto _ : state)
    {
        state.PauseTiming();
        prepared p(f.work.model, f.cfg);
        state.ResumeTiming();
        amct::thread_executor(threads)(threads,
                                       [&](std::size_t t)
                                       {
                                           for (std::size_t b = t; b < f.inputs.size(); b += threads)
                                           {
                                               feed(p.session, f, b);
                                           }
                                       });
    }
}

void BM_threads_finalize(benchmark::State& state)
{
    const fixture& f = fixture::get();
    const auto threads = static_cast<std::size_t>(state.range(0));
    for (auto _ : state)
    {
        state.PauseTiming();
        prepared p(f.work.model, f.cfg, amct::thread_executor(threads));
        for (std::size_t b = 0; b < f.inputs.size(); ++b)
        {
            feed(p.session, f, b);
        }
        state.ResumeTiming();
        benchmark::DoNotOptimize(p.session.finalize().layers.size());
    }
}

void BM_threads_calibrate(benchmark::State& state)
{
    const fixture& f = fixture::get();
    const auto threads = static_cast<std::size_t>(state.range(0));
    std::vector<const refrt::tensor*> batches;
    for (const auto& b : f.work.calib)
    {
        batches.push_back(&b.x);
    }
    for (auto _ : state)
    {
        prepared p(f.work.model, f.cfg, amct::thread_executor(threads));
        refrt::graph_bridge runner(p.graph, batches);
        amct::thread_executor(threads)(threads,
                                       [&](std::size_t t)
                                       {
                                           for (std::size_t b = t; b < f.work.calib.size(); b += threads)
                                           {
                                               amct::calibration_feed feed({&p.session.activations()}, b);
                                               runner.run(b, feed);
                                           }
                                       });
        benchmark::DoNotOptimize(p.session.finalize().layers.size());
    }
}

BENCHMARK(BM_threads_setup)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_threads_observe_all)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_threads_finalize)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_threads_calibrate)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Collects the per-benchmark real time (ms) to compute the share: the median with --benchmark_repetitions.
class share_reporter : public benchmark::ConsoleReporter
{
public:
    void ReportRuns(const std::vector<Run>& runs) override
    {
        for (const auto& r : runs)
        {
            if (r.run_type == Run::RT_Iteration || r.aggregate_name == "median")
            {
                ms[r.run_name.str()] = r.GetAdjustedRealTime();
            }
        }
        ConsoleReporter::ReportRuns(runs);
    }

    std::map<std::string, double> ms;
};

/// Exact against bounded IFMR on every layer of one model.
struct agreement_count
{
    std::size_t layers = 0, same = 0, one_step = 0;
};

agreement_count ifmr_agreement(const std::string& model)
{
    refrt::workload_options o = g_options;
    o.model = model;
    o.eval = 0;
    refrt::workload w = refrt::load_workload(o);
    refrt::graph_bridge adapter(w.model);
    const amct::quant_config cfg = default_config(adapter, w.calib.size());
    const amct::calibration_session session(adapter, cfg);  // fused, fake-quantized weights as in calibration
    std::map<std::string, std::pair<amct::ifmr_observer, amct::ifmr_observer>> observers;
    for (const auto& [layer, lc] : cfg.layers)
    {
        if (!session.wants(layer))
        {
            continue;
        }
        amct::ifmr_params exact = std::get<amct::ifmr_params>(
          amct::resolved_params(lc.activation_quant_params, cfg.activation_offset));
        amct::ifmr_params bounded = exact;
        bounded.mode = amct::ifmr_mode::bounded;
        observers.emplace(
          layer, std::make_pair(amct::ifmr_observer(exact, layer), amct::ifmr_observer(bounded, layer)));
    }
    for (const auto& b : w.calib)
    {
        capture_inputs capture(session.layers());
        refrt::run1(w.model, b.x, &capture);
        for (auto& [layer, x] : capture.inputs)
        {
            observers.at(layer).first.observe(x);
            observers.at(layer).second.observe(x);
        }
    }
    agreement_count n;
    for (const auto& [layer, pair] : observers)
    {
        amct::ifmr_search exact, bounded;
        pair.first.compute(&exact);
        pair.second.compute(&bounded);
        const auto d = exact.best > bounded.best ? exact.best - bounded.best : bounded.best - exact.best;
        ++n.layers;
        n.same += d == 0;
        n.one_step += d == 1;
        if (d > 1)
        {
            std::cout << "  " << model << " " << layer << ": exact candidate " << exact.best << ", bounded "
                      << bounded.best << "\n";
        }
    }
    return n;
}
}  // namespace

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    for (int i = 1; i + 1 < argc; i += 2)
    {
        const std::string a = argv[i];
        if (a == "--models-dir")
        {
            g_options.models_dir = argv[i + 1];
        }
        else if (a == "--images-dir")
        {
            g_options.images_dir = argv[i + 1];
        }
        else
        {
            std::cerr << "usage: bench_model --models-dir DIR --images-dir DIR [benchmark flags]\n";
            return 2;
        }
    }
    if (g_options.models_dir.empty() || g_options.images_dir.empty())
    {
        std::cerr << "usage: bench_model --models-dir DIR --images-dir DIR [benchmark flags]\n";
        return 2;
    }
    share_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    const double batches = static_cast<double>(fixture::get().inputs.size());
    const double forward = reporter.ms["BM_float_forward"];
    std::cout << std::fixed << std::setprecision(1) << "\nMobileNetV2, " << batches << " batches of "
              << g_options.batch << " images (" << amct::kernel::arch_name() << "): float forward "
              << batches * forward << " ms\n";
    for (const char* mode : {"0", "1"})
    {
        const double setup = reporter.ms["BM_setup_fusion_arq"];
        const double observe = reporter.ms[std::string("BM_observe_all_batches/") + mode];
        const double finalize = reporter.ms[std::string("BM_finalize/") + mode];
        const double amct_ms = setup + observe + finalize;
        std::cout << "  IFMR " << (*mode == '1' ? "bounded" : "exact  ") << ": amct " << amct_ms << " ms ("
                  << setup << " + " << observe << " + " << finalize << ") -> amct's share "
                  << 100.0 * amct_ms / (batches * forward) << " % of the forward time (target < 10 %)\n";
    }
    std::cout << std::setprecision(2) << "speed-up of 2 threads over 1 (wall time):";
    for (const char* name : {"setup", "observe_all", "finalize", "calibrate"})
    {
        const std::string b = std::string("BM_threads_") + name;
        const double one = reporter.ms[b + "/1/real_time"], two = reporter.ms[b + "/2/real_time"];
        std::cout << " " << name << " " << (two > 0.0 ? one / two : 0.0) << "x";
    }
    std::cout << "\n";

    std::cout << "\nIFMR, bounded against exact, chosen candidate per layer:\n";
    for (const char* model : {"mobilenet_v2", "ppocr_det", "ppocr_cls"})
    {
        const agreement_count n = ifmr_agreement(model);
        std::cout << "  " << std::left << std::setw(14) << model << n.layers << " layers: " << n.same
                  << " same, " << n.one_step << " one step apart, " << n.layers - n.same - n.one_step
                  << " further\n";
    }
    return 0;
}
