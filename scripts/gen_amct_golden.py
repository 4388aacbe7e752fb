#!/usr/bin/python3
# gen_amct_golden.py - golden data for amct's AMCT paths, bit for bit (signed zeros included): ARQ
# (scale, offset, the fake-quantized weight and the int8 weight, symmetric and with_offset) and IFMR's
# clip values.
#
# What it writes (into tests/data/algo/, or the directory given as the only argument):
#   arq_weight.f32        the ARQ input: a [8, 64] float32 weight, raw little-endian, no header
#   arq_amct_golden.txt   AMCT's ARQ on it, per case (format in the file's header)
#   ifmr_clip_golden.txt  AMCT's IFMR (scale, offset, clip_max, clip_min) on the data sets <name>.f32 of
#                         scripts/gen_algo_golden.py
#
# How: AMCT's own code (docs/sources.md#oss-py: custom_op/arq/arq_impl.py arq_cali_pytorch,
# custom_op/utils.py calculate_scale_offset / process_scale / apply_fake_quantize_and_anti_quantize /
# apply_true_quantize, utils/data_utils.py convert_precision, custom_op/ifmr/ifmr_impl.py
# ifmr_forward_pytorch) is not installable offline (it needs the whole amct_pytorch package and CANN), so
# its functions are re-implemented below with the same torch operations in the same order and on the same
# dtypes (float32 tensors, int32 offsets, torch.round, torch.clamp, torch.topk), which is what decides the
# float results and the sign of each zero. IFMR's candidate ratios use gen_algo_golden.py's replica of
# torch.arange (vector width 8), as ifmr_golden.txt does.
#
# Requires Debian's python3-numpy and python3-torch (1.13); run from the repository root:
#
#   /usr/bin/python3 scripts/gen_amct_golden.py

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_algo_golden import torch_arange_f32  # noqa: E402

FLT_EPSILON = 1.192092896e-07  # AMCT's utils/vars.py
BASE = 2

# ---------------------------------------------------------------------------------------------
# AMCT's functions, re-implemented with the same torch operations (docs/sources.md#oss-py)
# ---------------------------------------------------------------------------------------------


def process_scale(scale, offset, with_offset, numbit):
    # custom_op/utils.py: a scale below FLT_EPSILON becomes 1 (and the offset -2^(b-1) with an offset)
    small = scale < FLT_EPSILON
    if with_offset:
        offset = torch.where(small, torch.tensor(-pow(2.0, numbit - 1)), offset)
    scale = torch.where(small, torch.tensor(1.0), scale)
    return scale, offset


def calculate_scale_offset(data_max, data_min, asymmetric, num_bits):
    data_max = data_max.to(torch.float32)
    data_min = data_min.to(torch.float32)
    if asymmetric:
        data_max = torch.clamp(data_max, 0, None)
        data_min = torch.clamp(data_min, None, 0)
        levels = pow(2, num_bits) - 1
        scale = (data_max - data_min) / levels
        offset = torch.where(data_max != data_min,
                             -math.ceil(levels / 2) - data_min / scale,
                             torch.tensor(-math.ceil(levels / 2), dtype=data_max.dtype))
    else:
        negative = data_max.abs() < data_min.abs()
        levels = negative + pow(2, num_bits - 1) - 1  # a tensor: 127, or 128 when |max| < |min|
        bound = torch.where(abs(data_max) > abs(data_min), abs(data_max), abs(data_min))
        scale = bound / levels
        offset = torch.zeros_like(scale)
    scale, offset = process_scale(scale, offset, asymmetric, num_bits)
    return scale.to(torch.float32), offset.round().to(torch.int32)


def fake_quantize(data, scale, offset, num_bits):
    # apply_fake_quantize: per-row scale/offset broadcast over [C_out, -1]; data / scale + offset, then
    # convert_precision: clamp(round(x), -2^(b-1), 2^(b-1) - 1)
    if scale.dim() >= 1 and len(scale) > 1:
        shape = [1] * data.dim()
        shape[0] = data.shape[0]
        scale = scale.reshape(shape)
        offset = offset.reshape(shape)
    data = data / scale + offset
    data = torch.clamp(torch.round(data), -pow(2, num_bits - 1), pow(2, num_bits - 1) - 1)
    return data, scale, offset


def arq_cali(data, num_bits, channel_wise, with_offset):
    # arq_impl.py arq_cali_pytorch
    ori_shape = data.shape
    data = data.reshape(ori_shape[0], -1)
    if channel_wise:
        data_max = torch.max(data, dim=1).values
        data_min = torch.min(data, dim=1).values
    else:
        data_max = torch.max(data)
        data_min = torch.min(data)
    scale, offset = calculate_scale_offset(data_max, data_min, with_offset, num_bits)
    q, s, o = fake_quantize(data, scale, offset, num_bits)
    fake = ((q - o) * s).reshape(ori_shape)  # apply_fake_quantize_and_anti_quantize
    q_int8 = q.to(torch.int8).reshape(ori_shape)  # apply_true_quantize
    return scale.reshape(-1), offset.reshape(-1), fake, q_int8


def ifmr_forward(data, num_bits, with_offset, max_percentile, min_percentile, start, end, step):
    # ifmr_impl.py ifmr_forward_pytorch (find_max_and_min_value_with_percentile, find_optimal_scale_offset)
    data = data.view(-1)
    length = data.numel()
    max_index = 1 if (1.0 - max_percentile) < FLT_EPSILON else length - int(max_percentile * length)
    min_index = 1 if (1.0 - min_percentile) < FLT_EPSILON else length - int(min_percentile * length)
    max_value = torch.topk(data, max_index, largest=True).values[-1]
    min_value = torch.topk(data, min_index, largest=False).values[-1]
    max_value = max(torch.tensor(0.0), max_value)
    min_value = min(torch.tensor(0.0), min_value)
    if not with_offset:
        bound_negative = abs(max_value) < abs(min_value)
        max_value = max(abs(max_value), abs(min_value))
    candidates = torch.from_numpy(torch_arange_f32(start, end, step)) * max_value
    losses = torch.zeros_like(candidates)
    if with_offset:
        scales = (candidates - min_value) / (pow(BASE, num_bits) - 1)
    else:
        limit = pow(BASE, num_bits - 1) if bound_negative else pow(BASE, num_bits - 1) - 1
        scales = candidates / limit
    scales, _ = process_scale(scales, torch.zeros_like(scales), True, 8)
    for i, c in enumerate(candidates):
        if not with_offset:
            min_value = -c
        clipped = torch.clamp(data, min_value, c)
        quantized = torch.round(clipped / scales[i]) * scales[i]
        losses[i] = torch.nn.functional.mse_loss(quantized, data)
    scale = scales[torch.argmin(losses)]
    if with_offset:
        offset = -torch.round(min_value / scale) - pow(BASE, num_bits - 1)
    else:
        offset = torch.tensor(0, dtype=torch.float32)
    clip_max = torch.tensor(1.0).mul_(BASE ** (num_bits - 1) - 1).sub_(offset).mul_(scale)
    clip_min = torch.tensor(1.0).mul_(BASE ** (num_bits - 1)).add_(offset).mul_(-scale)
    return scale, offset, clip_max, clip_min


# ---------------------------------------------------------------------------------------------
# Inputs and output
# ---------------------------------------------------------------------------------------------


def make_weight():
    rng = np.random.default_rng(2031)
    w = np.zeros((8, 64), dtype=np.float64)
    w[0] = rng.normal(0.0, 0.05, 64)  # many small weights of both signs round to 0
    w[1] = 0.0  # all zero, with negative zeros
    w[1, 1::3] = -0.0
    w[2] = -0.75  # a constant negative row
    # row 3: max 127 so that the symmetric scale is exactly 1: ties at -0.5, -1.5, 2.5; tiny and -0.0
    w[3] = rng.uniform(-1.0, 1.0, 64)
    w[3, :12] = [127.0, -0.5, -1.5, 2.5, -0.25, -0.0, 0.5, -1e-30, 1e-30, -0.49999997, -126.5, 0.0]
    w[4] = rng.uniform(0.0, 2.0, 64)  # all >= 0: asymmetric offset -128
    w[4, 0] = 0.0
    w[5] = -rng.uniform(0.0, 3.0, 64)  # all <= 0
    w[6] = rng.standard_t(2, 64) * 1e-3
    w[6, :4] = [-1e-38, 1e-38, -1e-45, 0.0]  # subnormal and tiny values
    w[7] = rng.uniform(-1.0, 3.0, 64)
    return np.ascontiguousarray(w, dtype=np.float32)


def f32hex(a):
    return " ".join("%08x" % v for v in np.asarray(a, dtype=np.float32).reshape(-1).view(np.uint32))


def write_arq(out_dir):
    w = make_weight()
    w.tofile(os.path.join(out_dir, "arq_weight.f32"))
    lines = [
        "# arq_amct_golden.txt - AMCT's ARQ (arq_cali_pytorch with calculate_scale_offset and",
        "# apply_fake_quantize_and_anti_quantize; the int8 weight by apply_true_quantize), re-implemented with",
        "# the same torch operations, on arq_weight.f32 (float32 [8, 64], out_in layout).",
        "# Generated by scripts/gen_amct_golden.py; do not edit by hand.",
        "# Regenerate: /usr/bin/python3 scripts/gen_amct_golden.py",
        "# torch %s, numpy %s" % (torch.__version__, np.__version__),
        "#",
        "# One block per case:",
        "#   case <num_bits> <channel_wise 0|1> <with_offset 0|1>",
        "#   scale <float32 bit patterns, hex, one per channel (one per tensor)>",
        "#   offset <int32 offsets>",
        "#   fake <float32 bit patterns of the fake-quantized weight, row-major>",
        "#   q <int8 weight, row-major>",
        "# Compare bit patterns: AMCT gives -0.0 where a small negative weight rounds to 0 (offset 0).",
    ]
    t = torch.from_numpy(w.copy())
    for bits in (8, 7, 6, 4):
        for channel_wise in (True, False):
            for with_offset in (False, True):
                scale, offset, fake, q = arq_cali(t.clone(), bits, channel_wise, with_offset)
                lines.append("case %d %d %d" % (bits, int(channel_wise), int(with_offset)))
                lines.append("scale " + f32hex(scale.numpy()))
                lines.append("offset " + " ".join(str(int(v)) for v in offset.numpy()))
                lines.append("fake " + f32hex(fake.numpy()))
                lines.append("q " + " ".join(str(int(v)) for v in q.numpy().reshape(-1)))
    with open(os.path.join(out_dir, "arq_amct_golden.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


IFMR_CASES = [  # (data set, with_offset); defaults: 8 bits, percentiles 0.999999, 0.7 .. 1.3 step 0.01
    ("small", False), ("small", True), ("relu", False), ("relu", True), ("zeros", False), ("zeros", True),
    ("lognormal_neg", False), ("lognormal_neg", True), ("gaussian", True), ("uniform", True),
]


def write_ifmr_clip(out_dir):
    lines = [
        "# ifmr_clip_golden.txt - AMCT's ifmr_forward_pytorch (scale, offset, clip_max, clip_min) with the",
        "# default parameters (8 bits, max/min_percentile 0.999999, search 0.7 .. 1.3 step 0.01), re-implemented",
        "# with the same torch operations, on the data sets <name>.f32 of this directory.",
        "# Generated by scripts/gen_amct_golden.py; do not edit by hand.",
        "# Regenerate: /usr/bin/python3 scripts/gen_amct_golden.py",
        "# torch %s, numpy %s" % (torch.__version__, np.__version__),
        "#",
        "# <data set> <with_offset 0|1> <scale> <offset> <clip_max> <clip_min>; scale and clips as float32 bit",
        "# patterns (hex), the offset as an integer. clip_min = (2^(b-1) + offset) * (-scale): -0.0 (80000000)",
        "# for offset -128.",
    ]
    for name, with_offset in IFMR_CASES:
        x = np.fromfile(os.path.join(out_dir, name + ".f32"), dtype=np.float32)
        s, o, cmax, cmin = ifmr_forward(torch.from_numpy(x), 8, with_offset, 0.999999, 0.999999, 0.7, 1.3, 0.01)
        lines.append("%s %d %s %d %s %s" % (name, int(with_offset), f32hex(s.numpy()), int(o.item()),
                                            f32hex(cmax.numpy()), f32hex(cmin.numpy())))
    with open(os.path.join(out_dir, "ifmr_clip_golden.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    torch.set_num_threads(1)
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "data", "algo")
    write_arq(out_dir)
    write_ifmr_clip(out_dir)


if __name__ == "__main__":
    main()
