#!/usr/bin/python3
# make_bench_data.py - the calibration benchmarks' data set: 16 Mi (16 * 2^20) float32 activations drawn
# from a heavy-tailed distribution (Student's t with 3 degrees of freedom), written once to a raw file
# (little-endian float32, no header) that bench/bench_calibration.cpp and scripts/bench_torch_observers.py
# both read, so that amct and PyTorch observe the same values.
#
#   /usr/bin/python3 scripts/make_bench_data.py build/bench/heavy16Mi.f32
#
# Deterministic (numpy.random.default_rng with a fixed seed). Idempotent: an existing file of the right
# size is left alone.

import os
import sys

import numpy as np

N = 16 << 20  # 16 Mi values, 64 MiB
DOF = 3
SEED = 20261122


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: %s <output.f32>" % sys.argv[0])
    out = sys.argv[1]
    if os.path.isfile(out) and os.path.getsize(out) == 4 * N:
        print("make_bench_data: %s exists (%d float32), kept" % (out, N))
        return
    rng = np.random.default_rng(SEED)
    x = rng.standard_t(DOF, size=N).astype("<f4")
    assert np.isfinite(x).all()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp"
    x.tofile(tmp)
    os.replace(tmp, out)  # never leaves a partial file under the final name
    print(
        "make_bench_data: wrote %s: %d float32, Student-t(%d), seed %d, min %.6g, max %.6g"
        % (out, N, DOF, SEED, float(x.min()), float(x.max()))
    )


if __name__ == "__main__":
    main()
