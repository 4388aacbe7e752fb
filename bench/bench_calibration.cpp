// Calibration observers on 16 Mi float32 activations from a heavy-tailed distribution (Student's t, 3
// degrees of freedom), one thread: memcpy of the same 64 MiB, max (shape [16, 1, 1024, 1024], and 16
// batches of [1, 1, 1024, 1024]), HFMG with 2048 bins (one batch of 16 Mi values, and 16 batches of 1 Mi)
// and IFMR (exact and bounded, AMCT's defaults, asymmetric, one batch). Every iteration constructs a fresh
// observer (observers accumulate), observes and computes. "bytes_per_second" counts the 64 MiB of input
// for every benchmark, memcpy included (which also writes 64 MiB).
//
// The data come from the raw little-endian float32 file that scripts/make_bench_data.py writes, named by
// --data=PATH or the environment variable AMCT_BENCH_DATA; scripts/bench_torch_observers.py times PyTorch's
// observers on the same file, and --torch=PATH reads its output. Without a data file the program draws
// similar data itself (std::student_t_distribution, so not the values torch saw) and says so.
// scripts/bench.sh does all of it. After Google Benchmark's table the program prints each median time with
// torch's and the targets: max within 1.25x of memcpy, exact IFMR under 1 s, HFMG >= 20x faster than
// torch's HistogramObserver with the same bins.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include <amct/amct.hpp>

namespace
{
constexpr std::size_t n_values = std::size_t{16} << 20;  // 16 Mi, 64 MiB
constexpr std::size_t n_batches = 16;
constexpr std::size_t batch_values = n_values / n_batches;
const std::vector<std::size_t> whole_shape{16, 1, 1024, 1024};
const std::vector<std::size_t> batch_shape{1, 1, 1024, 1024};

struct bench_data
{
    std::vector<float> x;
    std::vector<float> dst;  // memcpy destination
    std::string source;
};

bench_data& get()
{
    static bench_data d;
    return d;
}

/// Reads `path` into d.x; false if it cannot be opened. Exits if it holds other than 16 Mi float32.
bool load(bench_data& d, const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
    {
        return false;
    }
    in.seekg(0, std::ios::end);
    const auto bytes = static_cast<std::size_t>(in.tellg());
    if (bytes != n_values * sizeof(float))
    {
        std::fprintf(stderr,
                     "bench_calibration: %s holds %zu bytes, not %zu\n",
                     path.c_str(),
                     bytes,
                     n_values * sizeof(float));
        std::exit(1);
    }
    in.seekg(0);
    d.x.resize(n_values);
    in.read(reinterpret_cast<char*>(d.x.data()),
            static_cast<std::streamsize>(bytes));  // x86-64: little-endian
    if (!in)
    {
        std::fprintf(stderr, "bench_calibration: cannot read %s\n", path.c_str());
        std::exit(1);
    }
    d.source = "file " + path;
    return true;
}

void generate(bench_data& d)
{
    std::mt19937 gen(20261122);
    std::student_t_distribution<float> t(3.0f);
    d.x.resize(n_values);
    for (auto& v : d.x)
    {
        v = t(gen);
    }
    d.source = "generated in-process (no data file; std::student_t_distribution, NOT the values torch saw)";
}

/// Last result of each benchmark, printed with the ratios.
std::map<std::string, amct::calibration_result>& results()
{
    static std::map<std::string, amct::calibration_result> r;
    return r;
}

template <class F>
void run(benchmark::State& state, const char* key, F&& calibrate)
{
    amct::calibration_result r;
    for (auto _ : state)
    {
        r = calibrate(get().x.data());
        benchmark::DoNotOptimize(r.scale.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n_values * sizeof(float)));
    results()[key] = std::move(r);
}

void BM_memcpy(benchmark::State& state)
{
    auto& d = get();
    for (auto _ : state)
    {
        std::memcpy(d.dst.data(), d.x.data(), n_values * sizeof(float));
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n_values * sizeof(float)));
}

void BM_max_1x16Mi(benchmark::State& state)
{
    run(state,
        "max_1x16Mi",
        [](const float* x)
        {
            amct::max_observer o(amct::max_params{}, "bench");
            o.observe(x, whole_shape);
            return o.compute();
        });
}

void BM_max_16x1Mi(benchmark::State& state)
{
    run(state,
        "max_16x1Mi",
        [](const float* x)
        {
            amct::max_observer o(amct::max_params{}, "bench");
            for (std::size_t b = 0; b < n_batches; ++b)
            {
                o.observe(x + b * batch_values, batch_shape);
            }
            return o.compute();
        });
}

amct::hfmg_params hfmg_2048()
{
    amct::hfmg_params p;
    p.num_of_bins = 2048;
    p.asymmetric = true;
    return p;
}

void BM_hfmg_1x16Mi(benchmark::State& state)
{
    run(state,
        "hfmg_1x16Mi",
        [](const float* x)
        {
            amct::hfmg_observer o(hfmg_2048(), "bench");
            o.observe(x, n_values);
            return o.compute();
        });
}

void BM_hfmg_16x1Mi(benchmark::State& state)
{
    run(state,
        "hfmg_16x1Mi",
        [](const float* x)
        {
            amct::hfmg_observer o(hfmg_2048(), "bench");
            for (std::size_t b = 0; b < n_batches; ++b)
            {
                o.observe(x + b * batch_values, batch_values);
            }
            return o.compute();
        });
}

amct::ifmr_params ifmr(amct::ifmr_mode mode)
{
    amct::ifmr_params p;  // AMCT's defaults
    p.asymmetric = true;
    p.mode = mode;
    return p;
}

void BM_ifmr_exact(benchmark::State& state)
{
    run(state,
        "ifmr_exact",
        [](const float* x)
        {
            amct::ifmr_observer o(ifmr(amct::ifmr_mode::exact), "bench");
            o.observe(x, n_values);
            return o.compute();
        });
}

void BM_ifmr_bounded(benchmark::State& state)
{
    run(state,
        "ifmr_bounded",
        [](const float* x)
        {
            amct::ifmr_observer o(ifmr(amct::ifmr_mode::bounded), "bench");
            o.observe(x, n_values);
            return o.compute();
        });
}

BENCHMARK(BM_memcpy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_max_1x16Mi)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_max_16x1Mi)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_hfmg_1x16Mi)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_hfmg_16x1Mi)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ifmr_exact)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_ifmr_bounded)->Unit(benchmark::kMillisecond)->UseRealTime();

/// What scripts/bench_torch_observers.py printed: "torch <name> <seconds>" and "qparams <name> <scale> <zp>".
struct torch_timings
{
    std::map<std::string, double> seconds;
    std::map<std::string, std::pair<double, long>> qparams;

    void read(const std::string& path)
    {
        std::ifstream in(path);
        if (!in)
        {
            std::fprintf(stderr, "bench_calibration: cannot read torch timings %s\n", path.c_str());
            std::exit(1);
        }
        std::string kind, name;
        while (in >> kind)
        {
            if (kind == "torch" && in >> name)
            {
                in >> seconds[name];
            }
            else if (kind == "qparams" && in >> name)
            {
                in >> qparams[name].first >> qparams[name].second;
            }
            std::getline(in, kind);  // rest of the line (comments)
        }
    }
};

/// Console output, then the median time of each benchmark against memcpy, torch and the targets.
class ratio_reporter : public benchmark::ConsoleReporter
{
public:
    explicit ratio_reporter(const torch_timings* torch)
      : m_torch(torch)
    {
    }

    void ReportRuns(const std::vector<Run>& runs) override
    {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& r : runs)
        {
            if (r.run_type == Run::RT_Iteration && !r.error_occurred && r.iterations > 0)
            {
                std::string name = r.benchmark_name();
                name = name.substr(3, name.find('/') - 3);  // "BM_max_1x16Mi/real_time" -> "max_1x16Mi"
                m_seconds[name].push_back(r.real_accumulated_time / static_cast<double>(r.iterations));
            }
        }
    }

    void Finalize() override
    {
        ConsoleReporter::Finalize();
        const auto& d = get();
        std::printf("\ndata: 16 Mi float32, %s, min %g, max %g; amct kernels: %s; one thread\n",
                    d.source.c_str(),
                    *std::min_element(d.x.begin(), d.x.end()),
                    *std::max_element(d.x.begin(), d.x.end()),
                    amct::kernel::arch_name());
        std::printf("%-14s %10s %10s %10s %12s %7s %12s %7s\n",
                    "benchmark",
                    "amct ms",
                    "torch ms",
                    "torch/amct",
                    "amct scale",
                    "offset",
                    "torch scale",
                    "zp-128");
        for (const auto& [name, times] : m_seconds)
        {
            std::printf("%-14s %10.2f", name.c_str(), 1e3 * seconds(name));
            const std::string t = torch_name(name);
            if (!t.empty() && m_torch && m_torch->seconds.count(t))
            {
                const double ts = m_torch->seconds.at(t);
                std::printf(" %10.2f %10.2f", 1e3 * ts, ts / seconds(name));
            }
            else
            {
                std::printf(" %10s %10s", "-", "-");
            }
            const auto r = results().find(name);
            if (r != results().end() && !r->second.scale.empty())
            {
                std::printf(" %12.6g %7d", r->second.scale[0], r->second.offset[0]);
            }
            if (!t.empty() && m_torch && m_torch->qparams.count(t))
            {
                const auto& [s, zp] = m_torch->qparams.at(t);
                std::printf(" %12.6g %7ld", s, zp - 128);  // quint8 zero point -> int8 offset
            }
            std::printf("\n");
        }

        std::printf("\n%-44s %10s %10s %8s\n", "target", "measured", "target", "result");
        target("max 1x16Mi time / memcpy 64 MiB time", ratio("max_1x16Mi", "memcpy"), "<= 1.25", 1.25, false);
        target("IFMR exact (observe + compute), s", seconds("ifmr_exact"), "< 1", 1.0, false);
        target("HFMG 1x16Mi speed-up over HistogramObserver", speedup("hfmg_1x16Mi"), ">= 20", 20.0, true);
        target("HFMG 16x1Mi speed-up over HistogramObserver", speedup("hfmg_16x1Mi"), ">= 20", 20.0, true);
        target("max 1x16Mi speed-up over MinMaxObserver", speedup("max_1x16Mi"), "-", 0.0, true);
        target("max 16x1Mi speed-up over MinMaxObserver", speedup("max_16x1Mi"), "-", 0.0, true);
    }

private:
    /// Median over repetitions (one value unless --benchmark_repetitions); 0 if not run.
    double seconds(const std::string& name) const
    {
        const auto it = m_seconds.find(name);
        if (it == m_seconds.end())
        {
            return 0.0;
        }
        auto v = it->second;
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
        return v[v.size() / 2];
    }

    double ratio(const std::string& a, const std::string& b) const
    {
        return seconds(a) > 0.0 && seconds(b) > 0.0 ? seconds(a) / seconds(b) : 0.0;
    }

    static std::string torch_name(const std::string& name)
    {
        if (name.rfind("max_", 0) == 0)
        {
            return "minmax_" + name.substr(4);
        }
        if (name.rfind("hfmg_", 0) == 0)
        {
            return "histogram_" + name.substr(5);
        }
        return {};
    }

    /// torch time / amct time; 0 without torch timings.
    double speedup(const std::string& name) const
    {
        const std::string t = torch_name(name);
        if (!m_torch || !m_torch->seconds.count(t) || seconds(name) <= 0.0)
        {
            return 0.0;
        }
        return m_torch->seconds.at(t) / seconds(name);
    }

    /// One row; `at_least` says whether the target is a lower bound. A limit of 0 means no target.
    static void target(const char* what, double value, const char* text, double limit, bool at_least)
    {
        if (value <= 0.0)
        {
            std::printf("%-44s %10s %10s %8s\n", what, "-", text, "not run");
            return;
        }
        const char* verdict =
          limit <= 0.0 ? "" : ((at_least ? value >= limit : value <= limit) ? "met" : "MISSED");
        std::printf("%-44s %10.3f %10s %8s\n", what, value, text, verdict);
    }

    const torch_timings* m_torch;
    std::map<std::string, std::vector<double>> m_seconds;
};
}  // namespace

int main(int argc, char** argv)
{
    std::string data_path, torch_path;
    if (const char* env = std::getenv("AMCT_BENCH_DATA"))
    {
        data_path = env;
    }
    int kept = 1;  // our flags are removed before Google Benchmark parses the rest
    for (int i = 1; i < argc; ++i)
    {
        const std::string a = argv[i];
        if (a.rfind("--data=", 0) == 0)
        {
            data_path = a.substr(7);
        }
        else if (a.rfind("--torch=", 0) == 0)
        {
            torch_path = a.substr(8);
        }
        else
        {
            argv[kept++] = argv[i];
        }
    }
    argc = kept;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
    {
        return 1;
    }

    auto& d = get();
    if (data_path.empty() || !load(d, data_path))
    {
        std::fprintf(stderr,
                     "bench_calibration: no data file%s%s (--data=PATH or AMCT_BENCH_DATA; "
                     "scripts/make_bench_data.py writes it): generating data in-process instead\n",
                     data_path.empty() ? "" : " at ",
                     data_path.c_str());
        generate(d);
    }
    d.dst.assign(n_values, 0.0f);  // touch every page before timing

    torch_timings torch;
    if (!torch_path.empty())
    {
        torch.read(torch_path);
    }
    ratio_reporter reporter(torch_path.empty() ? nullptr : &torch);
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
}
