#!/usr/bin/env bash
# The benchmarks of bench/README.md: installs what they need, builds them (Release, -march=native), writes the
# calibration data set once (build/bench/heavy16Mi.f32: 16 Mi float32, Student-t with 3 degrees of freedom),
# times PyTorch 1.13's observers on it (build/bench/torch.txt), then runs bench_quantize and
# bench_calibration, which print Google Benchmark's table followed by their ratios (to memcpy, to torch)
# and targets.
# usage: scripts/bench.sh [Google Benchmark flags, e.g. --benchmark_min_time=1]   (passed to both programs)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build/bench
data=$dir/heavy16Mi.f32
torch_txt=$dir/torch.txt

scripts/deps.sh bench

cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DAMCT_BUILD_BENCH=ON -DAMCT_BUILD_TESTS=OFF \
    -DAMCT_BUILD_EXAMPLES=OFF -DAMCT_BENCH_ARCH_FLAGS=-march=native >/dev/null
cmake --build "$dir" -j 2 --target bench_quantize bench_calibration

# Debian's python3-torch and python3-numpy import only under the system interpreter.
/usr/bin/python3 scripts/make_bench_data.py "$data"
echo "bench: timing PyTorch's observers on $data (one thread) -> $torch_txt" >&2
/usr/bin/python3 scripts/bench_torch_observers.py "$data" >"$torch_txt.tmp"
mv "$torch_txt.tmp" "$torch_txt"
cat "$torch_txt"

echo
"$dir/bench/bench_quantize" "$@"
echo
"$dir/bench/bench_calibration" --data="$data" --torch="$torch_txt" "$@"
