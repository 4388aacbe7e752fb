#!/usr/bin/env python3
"""Writes the fuzz seeds that are too long to write by hand (tests/fuzz/corpus/<target>/gen_*): nesting tens
of thousands of levels deep, lists of thousands of entries, and the importers' models (a TF.js model with its
shard after a NUL byte, ONNX models and tensors, among them a 2^32 x 2^32 tensor without data). Run from the
repository root: python3 tests/fuzz/make_seeds.py. Every seed stays under the fuzzers' -max_len (256 KiB)."""
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"
MAX_LEN = 256 * 1024


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) <= MAX_LEN, (target, name, len(data))
    path = ROOT / target / ("gen_" + name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def quant_cfg_seeds():
    depth = 20000
    # a message nested `depth` levels deep, in a field the schema has and in an unknown one
    write("quant_cfg", "deep_common.cfg", "common_config{" * 15000 + "}" * 15000)
    write("quant_cfg", "deep_unknown.cfg", "a{" * 80000 + "}" * 80000)
    write("quant_cfg", "deep_brackets.cfg", "skip_layers: " + "[" * depth + "\"a\"" + "]" * depth)
    names = ["layer_%d" % i for i in range(5000)]
    write("quant_cfg", "long_skip_layers.cfg", "batch_num: 2\n" + "".join('skip_layers: "%s"\n' % n for n in names))
    write("quant_cfg", "long_list.cfg", "skip_layers: [" + ", ".join('"%s"' % n for n in names) + "]\n")
    overrides = "".join(
        'override_layer_configs {\n  layer_name: "%s"\n  calibration_config { ifmr_quantize { search_step: 0.01 } }\n}\n'
        % n for n in ["conv1", "fc", "c3d", "dw"] * 300)
    write("quant_cfg", "many_overrides.cfg", overrides)


def json_seeds(target, long_seed):
    depth = 20000
    write(target, "deep_arrays.json", "[" * depth + "]" * depth)
    write(target, "deep_objects.json", '{"a": ' * depth + "1" + "}" * depth)
    names = ["layer_%d" % i for i in range(5000)]
    write(target, "long_list.json", json.dumps(long_seed(names)))


def tfjs_seeds():
    data = pathlib.Path(__file__).resolve().parents[1] / "data" / "tfjs" / "sequential"
    model = (data / "model.json").read_bytes()
    shard = (data / "group1-shard1of1.bin").read_bytes()
    write("tfjs_import", "sequential", model + b"\0" + shard)
    write("tfjs_import", "sequential_long_shard", model + b"\0" + shard + b"\0\0\0\0")
    write("tfjs_import", "sequential_short_shard", model + b"\0" + shard[:-4])
    root = json.loads(model)
    root["weightsManifest"][0]["paths"] = ["../group1-shard1of1.bin"]
    write("tfjs_import", "sequential_escape", json.dumps(root).encode() + b"\0" + shard)
    root["weightsManifest"][0]["paths"] = ["/etc/passwd"]
    write("tfjs_import", "sequential_absolute", json.dumps(root).encode() + b"\0" + shard)


def varint(v):
    out = bytearray()
    while True:
        low = v & 0x7F
        v >>= 7
        out.append(low | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field_int(number, v):
    return varint(number << 3) + varint(v)


def field_bytes(number, b):
    return varint((number << 3) | 2) + varint(len(b)) + b


def tensor(name, dims, floats):
    # onnx.proto TensorProto: dims = 1, data_type = 2 (FLOAT = 1), name = 8, raw_data = 9
    t = b"".join(field_int(1, d) for d in dims) + field_int(2, 1) + field_bytes(8, name.encode())
    if floats is not None:
        t += field_bytes(9, struct.pack("<%df" % len(floats), *floats))
    return t


def onnx_seeds():
    # ModelProto: ir_version = 1, graph = 7, opset_import = 8 (version = 2); GraphProto: node = 1, name = 2,
    # initializer = 5, input = 11, output = 12; NodeProto: input = 1, output = 2, name = 3, op_type = 4;
    # ValueInfoProto: name = 1
    def value(name):
        return field_bytes(1, name.encode())

    def model(nodes, inits, inputs, outputs):
        g = b"".join(field_bytes(1, n) for n in nodes) + field_bytes(2, b"g")
        g += b"".join(field_bytes(5, t) for t in inits)
        g += b"".join(field_bytes(11, value(i)) for i in inputs) + b"".join(field_bytes(12, value(o)) for o in outputs)
        return field_int(1, 8) + field_bytes(7, g) + field_bytes(8, field_int(2, 13))

    def node(op, ins, outs):
        return (b"".join(field_bytes(1, i.encode()) for i in ins) + b"".join(field_bytes(2, o.encode()) for o in outs)
                + field_bytes(3, op.lower().encode()) + field_bytes(4, op.encode()))

    w = tensor("w", [2, 3], [0.5, -1.0, 2.0, 0.25, 3.0, -0.75])
    write("onnx_import", "matmul.onnx", model([node("MatMul", ["x", "w"], ["y"])], [w], ["x"], ["y"]))
    write("onnx_import", "relu.onnx", model([node("Relu", ["x"], ["y"])], [], ["x"], ["y"]))
    write("onnx_import", "tensor.pb", w)
    write("onnx_import", "huge_tensor.pb", tensor("h", [1 << 32, 1 << 32], None))
    write("onnx_import", "huge_initializer.onnx",
          model([node("MatMul", ["x", "h"], ["y"])], [tensor("h", [1 << 32, 1 << 32], None)], ["x"], ["y"]))
    write("onnx_import", "deep_graph.onnx",
          model([node("Relu", ["t%d" % i], ["t%d" % (i + 1)]) for i in range(200)], [], ["t0"], ["t200"]))


quant_cfg_seeds()
json_seeds("config_json", lambda names: {"batch_num": 1, "skip_layers": names})
json_seeds("precision_config", lambda names: {"node_config": {n: "int8" for n in names}})
tfjs_seeds()
onnx_seeds()
