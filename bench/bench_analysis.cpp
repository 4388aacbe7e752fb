// The accuracy-analysis kernels on 16 Mi float32 elements against a memcpy of the same bytes measured in the
// same run: comparison::add with every metric and with skip_kl_divergence (reading two tensors), and the
// float16 simulation (reading one, writing one). The program prints Google Benchmark's table and then each
// kernel's time per element and its ratio to memcpy's throughput.
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <amct/analysis.hpp>

namespace
{
constexpr std::size_t n_elements = std::size_t{16} << 20;

struct data
{
    std::vector<float> y, x, out;

    data()
      : y(n_elements)
      , x(n_elements)
      , out(n_elements, 0.0f)
    {
        std::mt19937 gen(42);
        std::normal_distribution<float> d(0.0f, 1.0f);
        for (std::size_t i = 0; i < n_elements; ++i)
        {
            y[i] = d(gen);
            x[i] = y[i] + 0.01f * d(gen);
        }
    }
};

data& get()
{
    static data d;
    return d;
}

/// Labels a run; each kernel reads n_elements floats and writes (or compares with) as many.
void record(benchmark::State& state, const std::string& name)
{
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * n_elements * sizeof(float)));
    state.SetLabel(name);
}

void bm_memcpy(benchmark::State& state)
{
    auto& d = get();
    for (auto _ : state)
    {
        std::memcpy(d.out.data(), d.y.data(), n_elements * sizeof(float));
        benchmark::ClobberMemory();
    }
    record(state, "memcpy");
}

void bm_compare(benchmark::State& state)
{
    auto& d = get();
    const bool kl = state.range(0) != 0;
    for (auto _ : state)
    {
        amct::comparison c = kl ? amct::comparison() : amct::comparison(amct::skip_kl_divergence);
        c.add(d.y.data(), d.x.data(), n_elements);
        benchmark::DoNotOptimize(c);
    }
    record(state, kl ? "compare" : "compare_skip_kl");
}

void bm_float16(benchmark::State& state)
{
    auto& d = get();
    for (auto _ : state)
    {
        amct::round_to_float16(d.y.data(), d.out.data(), n_elements);
        benchmark::ClobberMemory();
    }
    record(state, "round_to_float16");
}

class collector : public benchmark::ConsoleReporter
{
public:
    void ReportRuns(const std::vector<Run>& runs) override
    {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& r : runs)
        {
            ns[r.report_label] = r.GetAdjustedRealTime();  // the default unit: ns
        }
    }

    std::map<std::string, double> ns;  ///< real time per iteration, by label
};
}  // namespace

BENCHMARK(bm_memcpy)->UseRealTime();
BENCHMARK(bm_compare)->Arg(1)->Arg(0)->UseRealTime();
BENCHMARK(bm_float16)->UseRealTime();

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    collector reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    const auto& s = reporter.ns;
    const double base = s.count("memcpy") ? s.at("memcpy") : 0.0;
    std::printf("\n%-18s %10s %14s\n", "kernel", "ns/elem", "vs memcpy");
    for (const auto& [name, t] : s)
    {
        std::printf("%-18s %10.2f %14.2f\n", name.c_str(), t / n_elements, base > 0 ? base / t : 0.0);
    }
    return 0;
}
