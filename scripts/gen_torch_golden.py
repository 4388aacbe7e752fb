#!/usr/bin/python3
# gen_torch_golden.py - golden data for cross-checking amct's fake_quantize.
#
# Generates tests/data/torch_fake_quant.txt: input/output pairs recorded from
#   torch.fake_quantize_per_tensor_affine(x, scale, zero_point, quant_min, quant_max)
#   torch.fake_quantize_per_channel_affine(x, scales, zero_points, axis, quant_min, quant_max)
# on float32 CPU tensors (int8, uint8, int4 and int16 ranges). Every output value
# is torch's own result; nothing is computed by hand here.
#
# Requires Debian's python3-torch (1.13) and only the standard library otherwise.
# Deterministic (fixed torch.Generator seed, no timestamps). Regenerate with,
# from the repository root:
#
#   /usr/bin/python3 scripts/gen_torch_golden.py
#
# (optionally pass an output path as the only argument).
#
# File format (one record per line, '#' starts a comment line; floats are the
# float32 values written with Python's float.hex(), i.e. C99 hex literals,
# inf / -inf for infinities):
#   case <name> per_tensor <quant_min> <quant_max> <scale_hex> <zero_point>
#   shape <rank> <d0> ...
#   input <n> <hex> ...
#   output <n> <hex> ...
#   end
#   case <name> per_channel <quant_min> <quant_max> <axis> <num_channels>
#   scales <hex> ...
#   zero_points <int> ...
#   shape <rank> <d0> ...
#   input <n> <hex> ...
#   output <n> <hex> ...
#   end
# Data are row-major; n is the product of the dims.

import math
import os
import struct
import sys

import torch

SEED = 20240601
GEN = torch.Generator().manual_seed(SEED)

RANGES = {
    "int8": (-128, 127),
    "uint8": (0, 255),
    "int4": (-8, 7),
    "int16": (-32768, 32767),
}

# Length schedule, cycled over the per-tensor cases (every size appears
# several times; 257 only a few times to keep the file small).
LENGTHS = [1, 7, 8, 9, 31, 33, 100, 8, 9, 7, 31, 33, 1, 9, 100, 257]


def f32(v):
    """Round a Python float to the nearest float32 and return it as a Python float."""
    return struct.unpack("<f", struct.pack("<f", v))[0]


def hexf(v):
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float.hex(v)


def fmt_list(values):
    return " ".join(hexf(v) for v in values)


def randperm(n):
    return torch.randperm(n, generator=GEN).tolist()


def randn(n):
    return torch.randn(n, generator=GEN, dtype=torch.float32)


def rand(n):
    return torch.rand(n, generator=GEN, dtype=torch.float32)


def well_defined_specials(scale, zp, qmin, qmax):
    """Values whose result is well defined (|x / scale| fits in int64)."""
    s = scale
    vals = []
    # Exact ties (exact when s is a power of two), near ties otherwise.
    for k in (0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5):
        vals.append(f32(k * s))
    # Ties at the edges of the representable range.
    lo_k, hi_k = qmin - zp, qmax - zp
    vals += [f32((hi_k - 0.5) * s), f32((hi_k + 0.5) * s),
             f32((lo_k + 0.5) * s), f32((lo_k - 0.5) * s)]
    vals += [0.0, -0.0, f32(1e-40), f32(-1e-40), f32(1e-45), f32(-1e-45)]
    # Clearly saturating but still finite after the int64 cast.
    vals += [f32(1e6), f32(-1e6), f32(1e9), f32(-1e9)]
    return vals


def random_fill(n, scale, zp, qmin, qmax):
    lo = (qmin - zp) * scale
    hi = (qmax - zp) * scale
    span = hi - lo
    mag = max(abs(lo), abs(hi), scale)
    half = n // 2
    normal = randn(half) * (0.7 * mag) + (lo + hi) * 0.5
    uniform = rand(n - half) * (1.5 * span) + (lo - 0.25 * span)
    return [f32(v) for v in torch.cat([normal, uniform]).tolist()]


def build_input(n, scale, zp, qmin, qmax):
    specials = well_defined_specials(scale, zp, qmin, qmax)
    perm = randperm(len(specials))
    specials = [specials[i] for i in perm]
    take = min(len(specials), max(1, n // 3)) if n < 3 * len(specials) else len(specials)
    vals = specials[:take] + random_fill(n - take, scale, zp, qmin, qmax)
    order = randperm(n)
    return [vals[i] for i in order]


def emit_per_tensor(out, name, qmin, qmax, scale, zp, values):
    x = torch.tensor(values, dtype=torch.float32)
    y = torch.fake_quantize_per_tensor_affine(x, scale, zp, qmin, qmax)
    xs, ys = x.tolist(), y.tolist()
    out.append("case %s per_tensor %d %d %s %d" % (name, qmin, qmax, hexf(scale), zp))
    out.append("shape 1 %d" % len(xs))
    out.append("input %d %s" % (len(xs), fmt_list(xs)))
    out.append("output %d %s" % (len(ys), fmt_list(ys)))
    out.append("end")


def scale_tag(s):
    return ("%.6g" % s).replace(".", "p").replace("-", "m").replace("+", "")


def per_tensor_cases(out):
    all_scales = [0.02, 1.0 / 127.0, 0.1, 3.7, 1e-3, 0.25, 0.5, 0.125]
    set_a = [0.1, 1e-3, 0.5, 1.0 / 127.0, 0.25]
    set_b = [0.02, 3.7, 0.125, 0.1, 0.5]
    plan = [
        ("int8", 0, all_scales), ("int8", 5, all_scales),
        ("int8", -128, set_a), ("int8", 127, set_b),
        ("uint8", 0, all_scales), ("uint8", 128, set_a),
        ("int4", 0, set_b), ("int4", -3, set_a),
        ("int16", 0, set_a), ("int16", 1000, set_b),
    ]
    count = 0
    li = 0
    for rname, zp, scales in plan:
        qmin, qmax = RANGES[rname]
        for sv in scales:
            scale = f32(sv)
            n = LENGTHS[li % len(LENGTHS)]
            li += 1
            vals = build_input(n, scale, zp, qmin, qmax)
            name = "pt_%s_s%s_zp%s_n%d" % (rname, scale_tag(scale), str(zp).replace("-", "m"), n)
            emit_per_tensor(out, name, qmin, qmax, scale, zp, vals)
            count += 1
    return count


def overflow_cases(out):
    """+-inf and huge finite values: torch casts zero_point + nearbyint(x / s) to
    int64 without a range check (undefined behaviour in C++); these cases record
    what this torch build on this CPU actually returned."""
    count = 0
    huge = [math.inf, -math.inf, f32(1e30), f32(-1e30), f32(3.0e38), f32(-3.0e38),
            f32(1e20), f32(-1e20)]
    for rname, zp, sv in (("int8", 0, 0.02), ("int8", 5, 0.25), ("uint8", 128, 0.1),
                          ("int4", -3, 0.5), ("int16", 1000, 1e-3)):
        qmin, qmax = RANGES[rname]
        scale = f32(sv)
        vals = huge + [0.0, -0.0, f32(1e-40), f32(-1e-40)]
        name = "ovf_%s_s%s_zp%s" % (rname, scale_tag(scale), str(zp).replace("-", "m"))
        emit_per_tensor(out, name, qmin, qmax, scale, zp, vals)
        count += 1
    return count


def per_channel_case(out, name, rname, shape, axis, scale_list):
    qmin, qmax = RANGES[rname]
    c = shape[axis]
    scales = torch.tensor([f32(scale_list[i % len(scale_list)]) for i in range(c)],
                          dtype=torch.float32)
    zps = torch.randint(qmin, qmax + 1, (c,), generator=GEN, dtype=torch.int32)
    zps[0] = 0  # always keep one symmetric channel
    bshape = [1] * len(shape)
    bshape[axis] = c
    s_b = scales.reshape(bshape)
    z_b = zps.to(torch.float32).reshape(bshape)
    lo = (qmin - z_b) * s_b
    hi = (qmax - z_b) * s_b
    span = hi - lo
    # Uniform over the channel range extended by 30% on each side (saturation
    # on both sides in every channel).
    u = torch.rand(shape, generator=GEN, dtype=torch.float32)
    x = lo - 0.3 * span + u * (1.6 * span)
    n = x.numel()
    flat = x.reshape(-1)
    # Inject ties k + 0.5 (exact for power-of-two scales) and special values.
    idx = torch.arange(n).reshape(shape)
    ch = (idx // int(torch.tensor(shape[axis + 1:]).prod().item())) % c if axis + 1 < len(shape) \
        else idx % c
    ch = ch.reshape(-1).tolist()
    picks = randperm(n)
    specials = [0.0, -0.0, f32(1e-40), f32(-1e-40)]
    nties = n // 4
    for j, p in enumerate(picks[:nties]):
        sc = scales[ch[p]].item()
        k = int(torch.randint(-5, 5, (1,), generator=GEN).item())
        flat[p] = f32((k + 0.5) * sc)
    for j, p in enumerate(picks[nties:nties + len(specials)]):
        flat[p] = specials[j]
    x = flat.reshape(shape)
    y = torch.fake_quantize_per_channel_affine(x, scales, zps, axis, qmin, qmax)
    out.append("case %s per_channel %d %d %d %d" % (name, qmin, qmax, axis, c))
    out.append("scales %s" % fmt_list(scales.tolist()))
    out.append("zero_points %s" % " ".join(str(v) for v in zps.tolist()))
    out.append("shape %d %s" % (len(shape), " ".join(str(d) for d in shape)))
    xs = x.reshape(-1).tolist()
    ys = y.reshape(-1).tolist()
    out.append("input %d %s" % (n, fmt_list(xs)))
    out.append("output %d %s" % (n, fmt_list(ys)))
    out.append("end")


def per_channel_cases(out):
    scale_list = [1e-3, 2.0, 0.0078125, 0.02, 0.125, 1.0 / 127.0, 0.5, 0.3, 1.5, 0.0625,
                  4e-3, 1.0]
    configs = [
        ([4, 12], 0, "int8"),
        ([4, 12], 1, "uint8"),
        ([3, 5, 7], 0, "uint8"),
        ([3, 5, 7], 1, "int8"),
        ([3, 5, 7], 2, "int4"),
        ([3, 5, 7], 2, "int8"),
        ([2, 3, 4, 5], 0, "int4"),
        ([2, 3, 4, 5], 1, "int8"),
        ([2, 3, 4, 5], 2, "uint8"),
        ([2, 3, 4, 5], 3, "int8"),
    ]
    for i, (shape, axis, rname) in enumerate(configs):
        # Rotate the scale list so that different channels get different scales.
        sl = scale_list[i % len(scale_list):] + scale_list[:i % len(scale_list)]
        name = "pc_%s_r%d_%s_axis%d" % (rname, len(shape), "x".join(map(str, shape)), axis)
        per_channel_case(out, name, rname, shape, axis, sl)
    return len(configs)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "data",
                                                               "torch_fake_quant.txt")
    torch.set_num_threads(1)
    out = []
    n_pt = per_tensor_cases(out)
    n_ovf = overflow_cases(out)
    n_pc = per_channel_cases(out)
    header = [
        "# torch_fake_quant.txt - golden data from torch.fake_quantize_per_tensor_affine",
        "# and torch.fake_quantize_per_channel_affine (float32, CPU).",
        "# Generated by scripts/gen_torch_golden.py; do not edit by hand.",
        "# Regenerate: /usr/bin/python3 scripts/gen_torch_golden.py",
        "# Cases named ovf_* hold +-inf and huge values whose x/scale overflows int64:",
        "# torch casts to int64 unchecked (undefined behaviour), on x86-64 the result",
        "# is INT64_MIN, so all of them come out as quant_min. Treat them as torch's",
        "# quirk, not as a specification.",
        "# Signed zeros: torch returns +0.0 for -0.0 inputs.",
        "# cases: per_tensor %d (+ %d ovf_*), per_channel %d" % (n_pt, n_ovf, n_pc),
    ]
    lines = header[:4] + ["# torch %s" % torch.__version__] + header[4:] + out
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
