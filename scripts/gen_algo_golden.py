#!/usr/bin/python3
# gen_algo_golden.py - independent golden data for amct's IFMR and HFMG calibration.
#
# What it writes (into tests/data/algo/, or the directory given as the only argument):
#   <name>.f32               calibration data sets, raw little-endian float32, no header
#   ifmr_golden.txt          an independent numpy re-implementation of IFMR as specified in
#                            docs/algorithms.md#ifmr-reference-algorithm and decisions 4, 5 of
#                            docs/sources.md#decisions
#   hfmg_torch_golden.txt    what PyTorch 1.13's torch.ao.quantization.HistogramObserver computes
#                            (the algorithm whose L2 search amct's HFMG ports), as a cross-check
#
# How: data come from numpy.random.default_rng with fixed seeds; IFMR is computed here in numpy
# (float32 clip/divide/round/multiply, float64 squared error, exactly rounded sum via math.fsum);
# HFMG records are torch's own results. Nothing depends on time, the machine's thread count or
# its SIMD width (the candidate ratios are computed by a replica of torch.arange, see below).
#
# Requires Debian's python3-numpy and python3-torch (1.13), so run it with /usr/bin/python3,
# from the repository root:
#
#   /usr/bin/python3 scripts/gen_algo_golden.py
#
# File formats are described in the header of each .txt file written.

import math
import os
import sys

import numpy as np
import torch
from torch.ao.quantization import HistogramObserver

F32 = np.float32
FLT_EPS = F32(1.192092896e-7)  # == 2**-23 as a float32
N_DEFAULT = 8192

# ---------------------------------------------------------------------------------------------
# Data sets: (name, seed, generator). Each is cast to float32.
# ---------------------------------------------------------------------------------------------


def make_datasets():
    def rng(seed):
        return np.random.default_rng(seed)

    d = {}
    d["uniform"] = rng(1001).uniform(-1.0, 3.0, N_DEFAULT)
    d["gaussian"] = rng(1002).normal(0.3, 1.7, N_DEFAULT)
    d["heavy"] = rng(1003).standard_t(2, N_DEFAULT) * 0.5
    d["relu"] = np.maximum(0.0, rng(1004).normal(0.0, 1.0, N_DEFAULT))
    d["lognormal_neg"] = -rng(1005).lognormal(0.0, 1.0, N_DEFAULT)
    d["small"] = np.array([-0.5, 0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 3.0])
    d["big_heavy"] = rng(1007).standard_t(2, 65536) * 0.5
    d["zeros"] = np.zeros(8)
    return {k: np.ascontiguousarray(v, dtype=F32) for k, v in d.items()}


# ---------------------------------------------------------------------------------------------
# Candidate ratios: exactly what torch.arange(start, end, step, dtype=torch.float32) gives.
#
# Count: ceil((end - start) / step) computed in double (torch's arange size rule).
# Values (ATen 1.13 RangeFactoriesKernel.cpp, CPU): accscalar_t is double; the scalar path gives
#   float(start + step*i)  (double arithmetic, one rounding to float);
# the vectorized path (cpu_serial_kernel_vec, two vectors of W floats per loop iteration, the
# tail done by the scalar path) gives, for a vector starting at index b,
#   float( double(float(start + step*b)) + j*step ),  j = 0 .. W-1.
# W is 8 for ATen's AVX2 and "default" kernels but 16 for AVX512, so torch.arange's float32
# output depends on the CPU capability torch picks (ATEN_CPU_CAPABILITY). We fix W = 8 (what
# Debian's build uses by default on x86-64 and what the non-SIMD kernel gives) and check it
# against torch.arange when torch runs with that width.
# ---------------------------------------------------------------------------------------------
ARANGE_VEC_WIDTH = 8


def arange_count(start, end, step):
    return int(math.ceil((end - start) / step))


def torch_arange_f32(start, end, step, w=ARANGE_VEC_WIDTH):
    n = arange_count(start, end, step)
    out = []
    i = 0
    while i + 2 * w <= n:
        for _ in range(2):
            base = float(F32(start + step * i))
            out.extend(F32(base + j * step) for j in range(w))
            i += w
    while i < n:
        out.append(F32(start + step * i))
        i += 1
    return np.array(out, dtype=F32)


def check_arange_against_torch(param_sets):
    cap = None
    try:
        cap = torch.backends.cpu.get_cpu_capability()
    except AttributeError:  # torch 1.13 has no getter; parse the config string
        for line in torch.__config__.show().splitlines():
            if "CPU capability usage:" in line:
                cap = line.split(":", 1)[1].strip()
    results = []
    for (_, _, _, _, s, e, st) in param_sets:
        mine = torch_arange_f32(s, e, st)
        theirs = torch.arange(s, e, st, dtype=torch.float32).numpy()
        results.append(len(mine) == len(theirs) and bool((mine == theirs).all()))
    if cap is not None and cap.upper() in ("AVX2", "DEFAULT", "NO AVX"):
        if not all(results):
            sys.exit("replica of torch.arange disagrees with torch.arange (capability %s)" % cap)
    elif not all(results):
        print("note: torch.arange with CPU capability %s differs from the W=8 replica; "
              "the replica (W=8) is used" % cap, file=sys.stderr)
    return cap


# ---------------------------------------------------------------------------------------------
# IFMR reference (docs/algorithms.md#ifmr-reference-algorithm, decisions 4 and 5 of docs/sources.md#decisions)
# ---------------------------------------------------------------------------------------------


def order_stat_k(p, n):
    if (1.0 - p) < float(FLT_EPS):
        return 1
    return n - int(math.floor(p * n))  # p*n in double


def ifmr(x, symmetric, p_max, p_min, start, end, step):
    n = x.size
    xs = np.sort(x)
    k_max = order_stat_k(p_max, n)
    k_min = order_stat_k(p_min, n)
    max0 = F32(max(xs[n - k_max], F32(0)))  # k-th largest, clamped >= 0
    min0 = F32(min(xs[k_min - 1], F32(0)))  # k-th smallest, clamped <= 0
    ratios = torch_arange_f32(start, end, step)
    x64 = x.astype(np.float64)

    if symmetric:
        m = F32(max(abs(max0), abs(min0)))
        lev = F32(128) if abs(max0) < abs(min0) else F32(127)
    losses, scales = [], []
    for r in ratios:
        if symmetric:
            c = F32(r * m)
            s = F32(c / lev)
            lo = F32(-c)
        else:
            c = F32(r * max0)
            s = F32(F32(c - min0) / F32(255))
            lo = min0
        if s < FLT_EPS:
            s = F32(1)
        xc = np.clip(x, lo, c).astype(F32)
        q = (np.round((xc / s).astype(F32)).astype(F32) * s).astype(F32)
        err = q.astype(np.float64) - x64
        losses.append(math.fsum((err * err).tolist()) / n)
        scales.append(s)
    losses = np.array(losses)
    best = int(np.argmin(losses))  # first minimum
    scale = scales[best]
    if symmetric:
        offset = 0
    else:
        offset = -int(np.round(F32(min0 / scale))) - 128
    srt = np.sort(losses)
    if len(srt) < 2:
        ratio = float("inf")
    elif srt[1] == srt[0]:
        ratio = 1.0
    elif srt[0] == 0.0:
        ratio = float("inf")
    else:
        ratio = srt[1] / srt[0]
    return dict(n_cand=len(ratios), best=best, scale=scale, offset=offset,
                loss=losses[best], runner=ratio, ratio=ratios[best], max0=max0, min0=min0)


IFMR_PARAMS = [
    # (p_max, p_min, start, end, step) as written in the file; the first is AMCT's default
    ("0.999999", "0.999999", 0.999999, 0.999999, 0.7, 1.3, 0.01),
    ("0.99", "0.99", 0.99, 0.99, 0.8, 1.2, 0.02),
    ("1.0", "1.0", 1.0, 1.0, 0.5, 1.5, 0.1),
    ("0.999", "0.98", 0.999, 0.98, 0.9, 1.1, 0.05),
]
IFMR_DATASETS = ["uniform", "gaussian", "heavy", "relu", "lognormal_neg", "small", "big_heavy",
                 "zeros"]


def fmt_g(v):
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return "%.17g" % v


def write_ifmr(out_dir, data):
    plain = [(a, b, c, d, e) for (_, _, a, b, c, d, e) in IFMR_PARAMS]
    lines = []
    h = lines.append
    h("# ifmr_golden.txt - independent IFMR reference (numpy re-implementation of")
    h("# docs/algorithms.md#ifmr-reference-algorithm with decisions 4 and 5 of docs/sources.md#decisions),")
    h("# on the float32 data sets <dataset>.f32")
    h("# in this directory. Generated by scripts/gen_algo_golden.py; do not edit by hand.")
    h("# Regenerate: /usr/bin/python3 scripts/gen_algo_golden.py")
    h("# torch %s" % torch.__version__)
    h("# numpy %s" % np.__version__)
    h("#")
    h("# Algorithm (f32 = float32 arithmetic, one rounding per operation):")
    h("#   k = 1 if 1 - p < FLT_EPS (1.192092896e-7) else N - floor(p*N), p*N in double;")
    h("#   max0 = max(k_max-th largest, 0), min0 = min(k_min-th smallest, 0) (exact order statistics);")
    h("#   ratio_i = torch.arange(start, end, step, dtype=float32)[i], i < ceil((end-start)/step) (double);")
    h("#     values: ATen's CPU kernel with vector width 8 (AVX2/default) - for a vector starting at b:")
    h("#     f32(double(f32(start + step*b)) + j*step), two vectors per loop, tail f32(start + step*i).")
    h("#     NOTE torch's own float32 arange depends on the CPU kernel (AVX512 uses width 16 and gives")
    h("#     e.g. 0x1.99999ap-1 instead of 0x1.999998p-1 for i=10 of the defaults); width 8 is used here.")
    h("#     (The generator checks the replica against torch.arange when torch runs AVX2/default kernels.)")
    h("#   sym:  M = max(|max0|,|min0|), L = 128 if |max0| < |min0| else 127, c = f32(ratio*M), s = f32(c/L),")
    h("#         clip to [-c, c];")
    h("#   asym: c = f32(ratio*max0), s = f32(f32(c - min0)/255), clip to [min0, c];")
    h("#   s < FLT_EPS -> s = 1; loss_i = mean((f32(round_half_even(f32(clip(x)/s))*s) - x)^2), the difference")
    h("#   and square in double, the sum exactly rounded (math.fsum), divided by N;")
    h("#   best = first index of the minimum loss; scale = s_best; offset = 0 (sym) or")
    h("#   -round_half_even(f32(min0/scale)) - 128 (asym).")
    h("#")
    h("# Format, one case per line:")
    h("#   ifmr <dataset> <sym|asym> <max_percentile> <min_percentile> <start> <end> <step>")
    h("#        <num_candidates> <best_index> <scale_hex> <offset> <best_loss> <runner_up_loss_ratio>")
    h("# scale_hex = Python float.hex() of the float32 scale; best_loss in %.17g;")
    h("# runner_up_loss_ratio = second-smallest loss / smallest loss over all candidates (1 when two")
    h("# candidates tie exactly, including all-zero losses; inf when the smallest is 0 and the second is")
    h("# not). Values near 1 mean the winner is decided by rounding noise: tests should accept either.")
    h("# Candidate ratios for the parameter sets (float32 hex, first 3 ... last 3):")
    for (a, b, c, d, e) in plain:
        r = torch_arange_f32(c, d, e)
        h("#   (%g, %g, %g): %d: %s ... %s" % (c, d, e, len(r),
                                               " ".join(float(v).hex() for v in r[:3]),
                                               " ".join(float(v).hex() for v in r[-3:])))
    r = torch_arange_f32(0.7, 1.3, 0.01)
    h("#   defaults in full: " + " ".join(float(v).hex() for v in r[:31]))
    h("#                     " + " ".join(float(v).hex() for v in r[31:]))
    summary = []
    for name in IFMR_DATASETS:
        for mode in ("sym", "asym"):
            for (ps_max, ps_min, p_max, p_min, s, e, st) in IFMR_PARAMS:
                res = ifmr(data[name], mode == "sym", p_max, p_min, s, e, st)
                h("ifmr %s %s %s %s %r %r %r %d %d %s %d %s %s" % (
                    name, mode, ps_max, ps_min, s, e, st, res["n_cand"], res["best"],
                    float(res["scale"]).hex(), res["offset"], fmt_g(res["loss"]),
                    fmt_g(res["runner"])))
                summary.append((name, mode, (s, e, st), res))
    with open(os.path.join(out_dir, "ifmr_golden.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return summary


# ---------------------------------------------------------------------------------------------
# HistogramObserver (torch 1.13)
# ---------------------------------------------------------------------------------------------


class FixedHistogramObserver(HistogramObserver):
    """torch 1.13's HistogramObserver with the int() casts of the torch.histc bounds removed
    (pytorch/pytorch#83672): identical forward otherwise."""

    def forward(self, x_orig):
        x = x_orig.detach()
        min_val, max_val = self.min_val, self.max_val
        same_values = min_val.item() == max_val.item()
        is_uninitialized = min_val == float("inf") and max_val == float("-inf")
        if is_uninitialized or same_values:
            min_val, max_val = torch.aminmax(x)
            self.min_val.resize_(min_val.shape)
            self.min_val.copy_(min_val)
            self.max_val.resize_(max_val.shape)
            self.max_val.copy_(max_val)
            torch.histc(x, self.bins, min=min_val.item(), max=max_val.item(), out=self.histogram)
        else:
            new_min, new_max = torch.aminmax(x)
            combined_min = torch.min(new_min, min_val)
            combined_max = torch.max(new_max, max_val)
            combined_min, combined_max, downsample_rate, start_idx = self._adjust_min_max(
                combined_min, combined_max, self.upsample_rate)
            combined_histogram = torch.histc(x, self.bins, min=combined_min.item(),
                                             max=combined_max.item())
            if combined_min == min_val and combined_max == max_val:
                combined_histogram += self.histogram
            else:
                combined_histogram = self._combine_histograms(
                    combined_histogram, self.histogram, self.upsample_rate, downsample_rate,
                    start_idx, self.bins)
            self.histogram.detach_().resize_(combined_histogram.shape)
            self.histogram.copy_(combined_histogram)
            self.min_val.detach_().resize_(combined_min.shape)
            self.min_val.copy_(combined_min)
            self.max_val.detach_().resize_(combined_max.shape)
            self.max_val.copy_(combined_max)
        return x_orig


HIST_CASES = [("uniform", 2048), ("gaussian", 2048), ("heavy", 2048), ("heavy", 4096),
              ("relu", 2048), ("big_heavy", 2048)]


def f32hex(t):
    return float(t.reshape(-1)[0].item()).hex()


def run_observer(cls, x, bins, batches):
    aff = cls(bins=bins, dtype=torch.quint8, qscheme=torch.per_tensor_affine, reduce_range=False)
    sym = cls(bins=bins, dtype=torch.qint8, qscheme=torch.per_tensor_symmetric, reduce_range=False)
    t = torch.from_numpy(x.copy())
    for part in torch.chunk(t, batches):
        aff(part)
        sym(part)
    smin, smax = aff._non_linear_param_search()
    smin2, smax2 = sym._non_linear_param_search()
    assert torch.equal(aff.histogram, sym.histogram)
    assert torch.equal(smin, smin2) and torch.equal(smax, smax2)
    a_scale, a_zp = aff.calculate_qparams()
    s_scale, s_zp = sym.calculate_qparams()
    return dict(min=f32hex(aff.min_val), max=f32hex(aff.max_val), smin=f32hex(smin),
                smax=f32hex(smax), a_scale=f32hex(a_scale), a_zp=int(a_zp.item()),
                s_scale=f32hex(s_scale), s_zp=int(s_zp.item()),
                hist_sum=float(aff.histogram.sum().item()))


def write_hist(out_dir, data):
    lines = []
    h = lines.append
    h("# hfmg_torch_golden.txt - torch.ao.quantization.HistogramObserver results, the cross-check")
    h("# for amct's HFMG (which ports the observer's L2 search but builds/merges histograms differently).")
    h("# Generated by scripts/gen_algo_golden.py; do not edit by hand.")
    h("# Regenerate: /usr/bin/python3 scripts/gen_algo_golden.py")
    h("# torch %s" % torch.__version__)
    h("# numpy %s" % np.__version__)
    h("#")
    h("# Observer settings: HistogramObserver(bins=<bins>, upsample_rate=128 (default), reduce_range=False,")
    h("#   quant_min/quant_max default, eps=torch.finfo(float32).eps); one observer with")
    h("#   dtype=torch.quint8, qscheme=torch.per_tensor_affine (range [0,255]) and one with")
    h("#   dtype=torch.qint8, qscheme=torch.per_tensor_symmetric (range [-128,127]); both see the same data")
    h("#   (float32 <dataset>.f32 of this directory) as one batch, or as <batches> equal consecutive")
    h("#   chunks (torch.chunk). Their histograms and searches are identical (checked); the search is")
    h("#   _non_linear_param_search() (greedy quantile walk, stepsize 1e-5, stops at the first increase")
    h("#   of the L2 norm; dst_nbins = 256 for both dtypes).")
    h("#   calculate_qparams: affine scale = max(max(new_max,0) - min(new_min,0), ...)/255 (eps floor),")
    h("#   zp = 0 - round(min(new_min,0)/scale) clamped to [0,255]; symmetric scale =")
    h("#   max(-min(new_min,0), max(new_max,0)) / 127.5 (NOT 127/128 as AMCT), zp = 0.")
    h("#")
    h("# CAUTION (torch 1.13 bug, pytorch/pytorch#83672): forward() calls torch.histc(x, bins,")
    h("#   min=int(min_val), max=int(max_val)), i.e. the histogram range is truncated to integers while")
    h("#   min_val/max_val (and the search's bin width) keep the true range. Values outside")
    h("#   [int(min), int(max)] are dropped from the histogram and the bins are mislabelled, unless both")
    h("#   truncate to 0 (histc then uses the data's own min/max). 'hist' records are torch 1.13 as is;")
    h("#   'histfix' records are the same observer with the int() casts removed (float bounds, as later")
    h("#   torch versions intended). Comment lines after each record give the histogram's total count.")
    h("#")
    h("# Format (floats are float32 values as Python float.hex()):")
    h("#   hist|histfix <dataset> <bins> <batches> <min_hex> <max_hex> <search_min_hex> <search_max_hex>")
    h("#        <affine_scale_hex> <affine_zp> <sym_scale_hex> <sym_zp>")
    h("# min/max = the observer's final min_val/max_val; search_* = _non_linear_param_search() result.")
    summary = []
    for tag, cls in (("hist", HistogramObserver), ("histfix", FixedHistogramObserver)):
        for name, bins in HIST_CASES:
            for batches in (1, 4):
                r = run_observer(cls, data[name], bins, batches)
                h("%s %s %d %d %s %s %s %s %s %d %s %d" % (
                    tag, name, bins, batches, r["min"], r["max"], r["smin"], r["smax"],
                    r["a_scale"], r["a_zp"], r["s_scale"], r["s_zp"]))
                h("#   histogram total %d of %d values" % (round(r["hist_sum"]), data[name].size))
                summary.append((tag, name, bins, batches, r))
    with open(os.path.join(out_dir, "hfmg_torch_golden.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return summary


def main():
    torch.set_num_threads(1)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "data", "algo")
    os.makedirs(out_dir, exist_ok=True)
    data = make_datasets()
    for name, arr in data.items():
        arr.astype("<f4").tofile(os.path.join(out_dir, name + ".f32"))
    check_arange_against_torch(IFMR_PARAMS)
    write_ifmr(out_dir, data)
    write_hist(out_dir, data)


if __name__ == "__main__":
    main()
