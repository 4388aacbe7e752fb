#!/usr/bin/python3
# bench_torch_observers.py - PyTorch's observers on the calibration benchmark data, the baseline that
# bench/bench_calibration.cpp compares amct against (its --torch=PATH flag reads this script's output).
#
#   /usr/bin/python3 scripts/bench_torch_observers.py build/bench/heavy16Mi.f32 > build/bench/torch.txt
#
# The data file (scripts/make_bench_data.py) holds 16 Mi little-endian float32 values. They are observed as
# one batch of shape [16, 1, 1024, 1024] ("1x16Mi") and as 16 consecutive batches of [1, 1, 1024, 1024]
# ("16x1Mi") by
#   minmax     MinMaxObserver()                 forward(batch)... + calculate_qparams()
#   histogram  HistogramObserver(bins=2048)     forward(batch)... + calculate_qparams()
# with their defaults otherwise (quint8, per_tensor_affine, reduce_range=False), on one thread
# (torch.set_num_threads(1)). Each run constructs a fresh observer (observers accumulate); a measurement is
# the median of 5 runs after one warm-up run, timed with time.perf_counter.
#
# Output, one line per measurement, machine-readable:
#   torch <name> <seconds>                     e.g. "torch histogram_1x16Mi 1.234567"
#   qparams <name> <scale> <zero_point>        what the observer computed, for a sanity check
# Lines starting with "#" are comments (versions, settings).
#
# Requires Debian's python3-torch (1.13) and python3-numpy: run it with /usr/bin/python3.

import statistics
import sys
import time

import numpy as np
import torch
from torch.ao.quantization import HistogramObserver, MinMaxObserver

N = 16 << 20
RUNS = 5


def run(make, batches):
    obs = make()
    for b in batches:
        obs(b)
    scale, zero_point = obs.calculate_qparams()
    return float(scale), int(zero_point)


def measure(name, make, batches):
    qparams = run(make, batches)  # warm-up
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        qparams = run(make, batches)
        times.append(time.perf_counter() - t0)
    print("torch %s %.6f" % (name, statistics.median(times)), flush=True)
    print("qparams %s %.9g %d" % (name, qparams[0], qparams[1]), flush=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: %s <data.f32>" % sys.argv[0])
    x = np.fromfile(sys.argv[1], dtype="<f4")
    if x.size != N:
        sys.exit("%s: expected %d float32, found %d" % (sys.argv[1], N, x.size))
    torch.set_num_threads(1)
    t = torch.from_numpy(x.astype(np.float32, copy=False))
    one = [t.view(16, 1, 1024, 1024)]
    sixteen = list(t.view(16, 1, 1, 1024, 1024).unbind(0))  # views of consecutive 1 Mi chunks, no copies

    print("# torch %s, numpy %s, threads %d" % (torch.__version__, np.__version__, torch.get_num_threads()))
    print("# median of %d runs after one warm-up; a run: new observer, forward per batch, calculate_qparams"
          % RUNS)
    measure("minmax_1x16Mi", MinMaxObserver, one)
    measure("minmax_16x1Mi", MinMaxObserver, sixteen)
    measure("histogram_1x16Mi", lambda: HistogramObserver(bins=2048), one)
    measure("histogram_16x1Mi", lambda: HistogramObserver(bins=2048), sixteen)


if __name__ == "__main__":
    main()
