#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node, scripts/fetch_ort.sh) on tensors stored as ONNX
// TensorProto files, the layout of ONNX's backend test data:
//
//   node scripts/ort_run.js --ort-dir DIR [--level disabled|basic|extended|all]
//                           (--model MODEL.onnx --data DATA_DIR [--optimized FILE])... [--jobs FILE]
//
// Inputs are DATA_DIR/input_0.pb, input_1.pb, ... (each fed to the model input its TensorProto name gives, or
// else to the model's input of the same position); the outputs go to DATA_DIR/output_0.pb, ... in the model's
// output order, named, of the type ONNX Runtime returns. --level is the graph optimization level (default all:
// QDQ groups become integer kernels such as QLinearConv); --optimized saves the model as ONNX Runtime
// optimized it. Several models run one after the other in one process; a model that fails is reported on
// stderr and the others still run (exit status 1). --jobs names a file of further models, one per line,
// "MODEL<tab>DATA_DIR" (onnxruntime-node 1.30.0 crashes when the command line is very long). One intra-op
// thread: results do not depend on the machine's core count.
'use strict';
const fs = require('fs');
const path = require('path');

function usage(message) {
  process.stderr.write(`ort_run.js: ${message}\nusage: ort_run.js --ort-dir DIR ` +
                       `[--level disabled|basic|extended|all] (--model MODEL.onnx --data DIR [--optimized FILE])... ` +
                       `[--jobs FILE]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {level: 'all', jobs: []};
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) usage(`option ${key} needs a value`);
    const job = o.jobs[o.jobs.length - 1];
    if (key === '--ort-dir') o.ortDir = value;
    else if (key === '--level') o.level = value;
    else if (key === '--model') o.jobs.push({model: value});
    else if (key === '--jobs') {
      for (const line of fs.readFileSync(value, 'utf8').split('\n').filter((l) => l.trim())) {
        const [model, data] = line.split('\t');
        if (!data) usage(`${value}: expected "MODEL<tab>DATA_DIR" in line "${line}"`);
        o.jobs.push({model, data});
      }
    }
    else if ((key === '--data' || key === '--optimized') && job) job[key.slice(2)] = value;
    else usage(key === '--data' || key === '--optimized' ? `${key} before --model` : `unknown option ${key}`);
  }
  if (!o.ortDir) usage('missing --ort-dir');
  if (!o.jobs.length) usage('missing --model');
  for (const job of o.jobs)
    if (!job.data) usage(`missing --data for ${job.model}`);
  if (!['disabled', 'basic', 'extended', 'all'].includes(o.level)) usage(`unknown level ${o.level}`);
  return o;
}

// TensorProto (onnx.proto): dims = 1 (int64, packed or not), data_type = 2, float_data = 4, int32_data = 5,
// int64_data = 7, name = 8, raw_data = 9.
const DTYPES = {1: ['float32', Float32Array], 3: ['int8', Int8Array], 2: ['uint8', Uint8Array],
                6: ['int32', Int32Array], 7: ['int64', BigInt64Array], 11: ['float64', Float64Array]};

class Reader {
  constructor(buf, file) { this.buf = buf; this.pos = 0; this.file = file; }
  fail(what) { throw new Error(`${this.file}: ${what} at byte ${this.pos}`); }
  varint() {
    let v = 0n, shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  }
  bytes() {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) this.fail('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function readTensor(file) {
  const r = new Reader(fs.readFileSync(file), file);
  const t = {dims: [], dataType: 0, name: '', raw: null, floats: [], ints: []};
  while (r.pos < r.buf.length) {
    const key = Number(r.varint()), field = key >> 3, wire = key & 7;
    if (wire === 2) {
      const b = r.bytes();
      if (field === 8) t.name = b.toString('utf8');
      else if (field === 9) t.raw = b;
      else if (field === 1 || field === 5 || field === 7) {
        const sub = new Reader(b, file);
        while (sub.pos < b.length) (field === 1 ? t.dims : t.ints).push(BigInt.asIntN(64, sub.varint()));
      } else if (field === 4) {
        for (let k = 0; k + 4 <= b.length; k += 4) t.floats.push(b.readFloatLE(k));
      }
    } else if (wire === 0) {
      const v = BigInt.asIntN(64, r.varint());
      if (field === 1) t.dims.push(v);
      else if (field === 2) t.dataType = Number(v);
      else if (field === 5 || field === 7) t.ints.push(v);
    } else if (wire === 5) {
      if (r.pos + 4 > r.buf.length) r.fail('truncated float');
      if (field === 4) t.floats.push(r.buf.readFloatLE(r.pos));
      r.pos += 4;
    } else if (wire === 1) {
      r.pos += 8;
    } else {
      r.fail(`unsupported wire type ${wire}`);
    }
  }
  if (!(t.dataType in DTYPES)) throw new Error(`${file}: unsupported data_type ${t.dataType}`);
  const [type, Array_] = DTYPES[t.dataType];
  const dims = t.dims.map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  let data;
  if (t.raw) {
    if (t.raw.length !== count * Array_.BYTES_PER_ELEMENT) throw new Error(`${file}: raw_data size mismatch`);
    data = new Array_(count);
    new Uint8Array(data.buffer).set(t.raw);  // little-endian host (x64)
  } else {
    const src = t.dataType === 1 ? t.floats : t.ints;
    if (src.length !== count) throw new Error(`${file}: ${src.length} elements for dims [${dims}]`);
    data = Array_.from(src, (v) => (Array_ === BigInt64Array ? BigInt(v) : Number(v)));
  }
  return {name: t.name, type, dims, data};
}

function varint(v) {
  const out = [];
  let x = BigInt.asUintN(64, BigInt(v));
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return Buffer.from(out);
}

function lengthDelimited(field, bytes) {
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
}

function writeTensor(file, name, tensor) {
  const codes = {float32: 1, int8: 3, uint8: 2, int32: 6, int64: 7, float64: 11, bool: 9};
  if (!(tensor.type in codes)) throw new Error(`output ${name}: unsupported type ${tensor.type}`);
  const parts = tensor.dims.map((d) => Buffer.concat([varint(1 << 3), varint(d)]));
  parts.push(Buffer.concat([varint(2 << 3), varint(codes[tensor.type])]));
  parts.push(lengthDelimited(8, Buffer.from(name, 'utf8')));
  const data = tensor.data;
  parts.push(lengthDelimited(9, Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  fs.writeFileSync(file, Buffer.concat(parts));
}

async function run(ort, level, job) {
  const options = {graphOptimizationLevel: level, intraOpNumThreads: 1, interOpNumThreads: 1,
                   executionMode: 'sequential', logSeverityLevel: 3};
  if (job.optimized) options.optimizedModelFilePath = path.resolve(job.optimized);
  const session = await ort.InferenceSession.create(path.resolve(job.model), options);
  const feeds = {};
  for (let k = 0;; ++k) {
    const file = path.join(job.data, `input_${k}.pb`);
    if (!fs.existsSync(file)) break;
    const t = readTensor(file);
    const name = t.name || session.inputNames[k];
    if (!session.inputNames.includes(name)) throw new Error(`${file}: the model has no input '${name}'`);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  const results = await session.run(feeds);
  session.outputNames.forEach((name, k) => writeTensor(path.join(job.data, `output_${k}.pb`), name, results[name]));
  await session.release();
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const ort = require(path.join(path.resolve(o.ortDir), 'node_modules', 'onnxruntime-node'));
  let failed = 0;
  for (const job of o.jobs) {
    try {
      await run(ort, o.level, job);
    } catch (e) {
      ++failed;
      process.stderr.write(`ort_run.js: ${job.model}: ${e.message || e}\n`);
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`ort_run.js: ${e.stack || e}\n`);
  process.exit(2);
});
