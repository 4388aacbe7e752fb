// quantize, dequantize and fake_quantize between float32 and int8 on 64 Mi elements, per tensor and per
// channel, against a memcpy of the same bytes measured in the same run. "Bytes moved" counts bytes read plus
// bytes written (memcpy of n bytes moves 2n), so each ratio compares memory throughput on equal terms. The
// program prints Google Benchmark's table and then the ratio of each operation to memcpy.
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <amct/amct.hpp>

namespace
{
constexpr std::size_t n_elements = std::size_t{64} << 20;  // 64 Mi
constexpr std::size_t channels = 1024;                     // per-channel layout [1024, 65536], axis 0

using per_tensor = amct::quant_spec<amct::int8, amct::asymmetric, amct::per_tensor>;
using per_channel = amct::quant_spec<amct::int8, amct::symmetric, amct::per_channel>;

struct data
{
    xt::xtensor<float, 2> x;
    xt::xtensor<std::int8_t, 2> q;
    xt::xtensor<float, 2> y;
    amct::qparams<per_tensor> qt;
    amct::qparams<per_channel> qc;

    data()
    {
        x = xt::xtensor<float, 2>::from_shape({channels, n_elements / channels});
        std::mt19937 gen(42);
        std::normal_distribution<float> d(0.0f, 1.0f);
        for (auto& v : x)
        {
            v = d(gen);
        }
        q = xt::xtensor<std::int8_t, 2>::from_shape(x.shape());
        y = xt::xtensor<float, 2>::from_shape(x.shape());
        std::fill(q.begin(), q.end(), std::int8_t{0});  // touch every page before timing
        std::fill(y.begin(), y.end(), 0.0f);
        qt = amct::minmax_qparams<per_tensor>(x);
        qc = amct::minmax_qparams<per_channel>(x, 0);
    }
};

data& get()
{
    static data d;
    return d;
}

void memcpy_bytes(benchmark::State& state, std::size_t bytes)
{
    auto& d = get();
    auto* src = reinterpret_cast<const char*>(d.x.data());
    auto* dst = reinterpret_cast<char*>(d.y.data());
    for (auto _ : state)
    {
        std::memcpy(dst, src, bytes);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(2 * bytes));
}

// memcpy of the bytes each operation moves: quantize and dequantize move 5 bytes per element,
// fake_quantize 8.
void BM_memcpy_5B(benchmark::State& state)
{
    memcpy_bytes(state, n_elements * 5 / 2);
}

void BM_memcpy_8B(benchmark::State& state)
{
    memcpy_bytes(state, n_elements * 4);
}

template <class F>
void run_op(benchmark::State& state, std::size_t bytes_per_element, F&& f)
{
    for (auto _ : state)
    {
        f();
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n_elements * bytes_per_element));
}

void BM_quantize_per_tensor(benchmark::State& s)
{
    auto& d = get();
    run_op(s,
           5,
           [&]
           {
               amct::quantize(d.x, d.qt, d.q);
           });
}

void BM_quantize_per_channel(benchmark::State& s)
{
    auto& d = get();
    run_op(s,
           5,
           [&]
           {
               amct::quantize(d.x, d.qc, d.q);
           });
}

void BM_dequantize_per_tensor(benchmark::State& s)
{
    auto& d = get();
    run_op(s,
           5,
           [&]
           {
               amct::dequantize(d.q, d.qt, d.y);
           });
}

void BM_dequantize_per_channel(benchmark::State& s)
{
    auto& d = get();
    run_op(s,
           5,
           [&]
           {
               amct::dequantize(d.q, d.qc, d.y);
           });
}

void BM_fake_quantize_per_tensor(benchmark::State& s)
{
    auto& d = get();
    run_op(s,
           8,
           [&]
           {
               amct::fake_quantize(d.x, d.qt, d.y);
           });
}

void BM_fake_quantize_per_channel(benchmark::State& s)
{
    auto& d = get();
    run_op(s,
           8,
           [&]
           {
               amct::fake_quantize(d.x, d.qc, d.y);
           });
}

BENCHMARK(BM_memcpy_5B)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_quantize_per_tensor)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_quantize_per_channel)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_dequantize_per_tensor)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_dequantize_per_channel)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_memcpy_8B)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_fake_quantize_per_tensor)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_fake_quantize_per_channel)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Console output plus a table of bytes-moved rates relative to the memcpy of the same bytes.
class ratio_reporter : public benchmark::ConsoleReporter
{
public:
    void ReportRuns(const std::vector<Run>& runs) override
    {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& r : runs)
        {
            const auto it = r.counters.find("bytes_per_second");
            if (it != r.counters.end() && r.run_type == Run::RT_Iteration)
            {
                m_rate[r.benchmark_name()] = it->second.value;
            }
        }
    }

    void Finalize() override
    {
        ConsoleReporter::Finalize();
        std::printf("\namct kernels: %s\n%-34s %12s %10s\n",
                    amct::kernel::arch_name(),
                    "operation",
                    "GB/s moved",
                    "vs memcpy");
        for (const auto& [name, rate] : m_rate)
        {
            if (name.rfind("BM_memcpy", 0) == 0)
            {
                continue;
            }
            const bool eight = name.find("fake_quantize") != std::string::npos;
            const auto base = m_rate.find(eight ? "BM_memcpy_8B/real_time" : "BM_memcpy_5B/real_time");
            const double ratio = base == m_rate.end() ? 0.0 : rate / base->second;
            std::printf("%-34s %12.2f %10.2f\n", name.c_str(), rate / 1e9, ratio);
        }
    }

private:
    std::map<std::string, double> m_rate;
};
}  // namespace

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    ratio_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
}
