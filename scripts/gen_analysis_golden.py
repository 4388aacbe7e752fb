#!/usr/bin/python3
# gen_analysis_golden.py - independent golden data for amct's accuracy-analysis primitives
# (include/amct/analysis): the comparison metrics and the float16 simulation.
#
# What it writes (into tests/data/analysis/, or the directory given as the only argument):
#   metrics_golden.txt   (reference y, actual x) float32 pairs and every metric of the pair computed here
#                        with numpy in float64, following the CANN accuracy comparison tool (msaccucmp) as
#                        docs/analysis.md#canns-accuracy-comparison-tool describes it, plus SQNR
#   float16_golden.txt   float32 inputs and numpy's float32 -> float16 -> float32 round trip
#
# How: data come from numpy.random.default_rng with fixed seeds; the metrics are numpy expressions written
# from the definitions (not from amct's code): whole-array float64 operations (numpy's pairwise sums), so
# they agree with amct's sequential double sums to about 1e-12 relative. Values are written with
# float.hex() (exact); the C++ test reads them with strtod.
#
# Requires Debian's python3-numpy, so run it with /usr/bin/python3 from the repository root:
#
#   /usr/bin/python3 scripts/gen_analysis_golden.py

import math
import os
import sys

import numpy as np

F32 = np.float32
EPS = np.finfo(float).eps          # msaccucmp's FLOAT_EPSILON: "zero" for norms and |y|
FLT_EPS = float(np.finfo(F32).eps)  # the KL divergence's floor

METRICS = ["cosine-similarity", "max-abs-error", "mean-abs-error", "rmse", "max-relative-error",
           "mean-relative-error", "accumulated-relative-error", "relative-euclidean-distance",
           "kl-divergence", "sqnr"]


def metrics(y32, x32):
    """Every metric of actual x against reference y (float32 arrays), in float64."""
    y = y32.astype(np.float64)
    x = x32.astype(np.float64)
    e = x - y
    nx, ny = np.linalg.norm(x), np.linalg.norm(y)
    if nx <= EPS and ny <= EPS:
        cos = 1.0
    elif nx <= EPS or ny <= EPS:
        cos = math.nan
    else:
        cos = float(np.clip(np.dot(x, y) / (nx * ny), -1.0, 1.0))
    mask = np.abs(y) > EPS
    rel = np.abs(x[mask] / y[mask] - 1.0)
    sq_e = float(np.sum(e * e))
    sq_y = float(np.sum(y * y))
    if sq_e == 0.0:
        sqnr = math.inf
    elif sq_y == 0.0:
        sqnr = -math.inf
    else:
        sqnr = 10.0 * math.log10(sq_y / sq_e)
    return {
        "cosine-similarity": cos,
        "max-abs-error": float(np.max(np.abs(e))),
        "mean-abs-error": float(np.mean(np.abs(e))),
        "rmse": math.sqrt(float(np.mean(e * e))),
        "max-relative-error": float(np.max(rel)) if rel.size else 0.0,
        "mean-relative-error": float(np.mean(rel)) if rel.size else 0.0,
        "accumulated-relative-error": float(np.sum(rel)),
        "relative-euclidean-distance": 0.0 if math.sqrt(sq_y) <= EPS else math.sqrt(sq_e / sq_y),
        "kl-divergence": kl(y, x),
        "sqnr": sqnr,
    }


def kl(y, x):
    """msaccucmp's KullbackLeiblerDivergence: min-max normalise, floor at FLT_EPS, sum to 1, sum p log(p/q)."""
    def normalised(d):
        r = d.max() - d.min()
        u = (d - d.min()) / r if r != 0 else d
        return np.maximum(u, FLT_EPS)
    a, b = normalised(x), normalised(y)
    p, q = a / a.sum(), b / b.sum()
    v = float(np.sum(p * np.log(p / q)))
    return 0.0 if abs(v) < EPS else v


def metric_cases():
    rng = np.random.default_rng(7001)
    c = {}
    y = rng.normal(0.0, 1.0, 256)
    c["gaussian"] = (y, y + rng.normal(0.0, 0.05, 256))
    y = np.maximum(0.0, rng.normal(0.2, 1.0, 200))
    c["relu_zeros"] = (y, np.round(y / 0.05) * 0.05)  # int8-like steps; many y == 0
    y = rng.uniform(-3.0, 5.0, 64)
    c["identical"] = (y, y.copy())
    c["all_zero"] = (np.zeros(16), np.zeros(16))
    c["zero_reference"] = (np.zeros(9), rng.normal(0.0, 1.0, 9))
    c["zero_actual"] = (rng.normal(0.0, 1.0, 9), np.zeros(9))
    y = rng.normal(0.0, 2.0, 50)
    c["opposite"] = (y, -y)
    c["constant"] = (np.full(12, 3.0), np.full(12, 2.0))
    c["tiny_reference"] = (np.array([1e-20, 2.0, -3.0, 1e-17, 0.5, 0.0, 1e-40, -7.25]),
                           np.array([4.0, 2.5, -2.0, 1.0, 0.5, 1.0, 3.0, -7.0]))
    y = rng.normal(0.0, 1e30, 40)
    c["large"] = (y, y * 1.001 + 1e27)
    y = rng.normal(-4.0, 0.5, 100)
    c["negative_shift"] = (y, y + rng.uniform(-0.1, 0.1, 100))
    return {k: (np.ascontiguousarray(a, dtype=F32), np.ascontiguousarray(b, dtype=F32)) for k, (a, b) in c.items()}


def hexf(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(v).hex()


def write_metrics(out):
    with open(os.path.join(out, "metrics_golden.txt"), "w") as f:
        f.write("# metrics_golden.txt - amct's comparison metrics, computed independently with numpy (float64)\n"
                "# from the definitions of docs/analysis.md#canns-accuracy-comparison-tool (msaccucmp) and\n"
                "# SQNR = 10 log10(sum y^2 / sum e^2).\n"
                "# Generated by scripts/gen_analysis_golden.py; do not edit by hand.\n"
                "# numpy %s\n"
                "# Format: 'case <name> <n>', 'y <n float32 as hex>' (reference), 'x ...' (actual), then\n"
                "# '<metric> <double as hex | nan | inf | -inf>' lines, then 'end'.\n" % np.__version__)
        for name, (y, x) in metric_cases().items():
            f.write("case %s %d\n" % (name, y.size))
            f.write("y " + " ".join(float(v).hex() for v in y) + "\n")
            f.write("x " + " ".join(float(v).hex() for v in x) + "\n")
            for k, v in metrics(y, x).items():
                f.write("%s %s\n" % (k, hexf(v)))
            f.write("end\n")


def float16_inputs():
    bits = []
    def f(v):
        bits.append(int(np.array(v, dtype=F32).view(np.uint32)))
    for v in [0.0, -0.0, 1.0, -1.0, 65504.0, -65504.0, 65519.99, 65520.0, -65520.0, 65536.0, 1e10, math.inf,
              -math.inf, 2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -25, 2.0 ** -26, 1e-8, 1e-30, 1e-45,
              0.1, 1.0 / 3.0, 3.14159265, 1000.5]:
        f(v)
    # float32 neighbours of the boundaries: the overflow tie, the normal/subnormal border, half of the
    # smallest subnormal
    for base in [0x477FF000, 0x38800000, 0x33000000, 0x33800000, 0x387FC000]:
        for d in range(-3, 4):
            bits.append((base + d) & 0xFFFFFFFF)
            bits.append(((base + d) | 0x80000000) & 0xFFFFFFFF)
    # exact ties between two half values (the 13 dropped bits are 0x1000), at odd and even last kept bits,
    # normal and subnormal
    rng = np.random.default_rng(7002)
    for _ in range(200):
        e = int(rng.integers(113, 143))  # normal half exponents
        m = int(rng.integers(0, 1 << 10))
        bits.append((e << 23) | (m << 13) | 0x1000 | (int(rng.integers(0, 2)) << 31))
    for k in range(1, 64):  # subnormal ties: (k + 0.5) 2^-24
        bits.append(int(np.array((k + 0.5) * 2.0 ** -24, dtype=F32).view(np.uint32)))
    # log-uniform magnitudes over the whole half range and beyond, random signs
    mags = np.exp(rng.uniform(math.log(1e-9), math.log(1e6), 800))
    signs = rng.choice([-1.0, 1.0], 800)
    for v in (mags * signs).astype(F32):
        bits.append(int(np.array(v).view(np.uint32)))
    # random bit patterns (any exponent)
    for b in rng.integers(0, 1 << 32, 300, dtype=np.uint64):
        u = int(b)
        if (u & 0x7F800000) != 0x7F800000:  # NaN payloads: numpy's software and F16C conversions differ
            bits.append(u)
    for u in [0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000]:  # NaNs: numpy keeps the top payload bits
        bits.append(u)
    return np.array(bits, dtype=np.uint32)


def write_float16(out):
    x = float16_inputs().view(F32)
    with np.errstate(over="ignore", invalid="ignore"):
        y = x.astype(np.float16).astype(F32)
    with open(os.path.join(out, "float16_golden.txt"), "w") as f:
        f.write("# float16_golden.txt - numpy's float32 -> float16 -> float32 round trip (IEEE binary16,\n"
                "# round-to-nearest-even, overflow to inf). Generated by scripts/gen_analysis_golden.py.\n"
                "# numpy %s\n"
                "# Format: '<input float32 bits> <output float32 bits>' in hex.\n"
                % np.__version__)
        for a, b in zip(x.view(np.uint32), y.view(np.uint32)):
            f.write("%08x %08x\n" % (int(a), int(b)))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data",
                                                             "analysis")
    os.makedirs(out, exist_ok=True)
    write_metrics(out)
    write_float16(out)


if __name__ == "__main__":
    main()
