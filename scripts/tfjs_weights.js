#!/usr/bin/env node
// Convert a TF.js layers model (as bundled by nsfwjs, or a plain model.json +
// binary shards) into amct's flat float32 weight file (.amctw).
//
// Usage: node tfjs_weights.js <model_dir> <out_file>
//
// Inputs accepted in <model_dir>:
//   - model.min.js  : UMD/browserify bundle whose module.exports is the model
//                     JSON object {modelTopology, weightsManifest}
//     or model.json : the same JSON as a plain file
//   - for each path P in weightsManifest[*].paths:
//       P.min.js    : UMD bundle whose module.exports is the shard as a base64
//                     string (an ArrayBuffer/Uint8Array/Buffer export is also ok)
//     or P          : the raw binary shard
//
// Output format (all little-endian):
//   magic "AMCTW1\0\0" (8 bytes)
//   u32 tensor count
//   per tensor:
//     u32 name length, name bytes (UTF-8)
//     u32 rank, rank x u32 dims (TF layout, as in the manifest)
//     u32 kind length, kind bytes (Keras class_name of the owning layer, or "")
//     prod(dims) x f32 data (row-major, as stored by TF.js)
//
// Dequantization follows tfjs-core io/io_utils.ts decodeWeights exactly:
//   uint8/uint16: values[i] = q[i] * scale + min, evaluated in JS (double)
//                 arithmetic and stored into a Float32Array (i.e. rounded once
//                 to float32), which is what this script does too.
//   float16:      exact half -> float conversion.
//   unquantized float32: raw bytes.
// int32 / bool weights are converted to float32 values (with a warning).
'use strict';

const fs = require('fs');
const path = require('path');

function die(msg) {
  process.stderr.write(`tfjs_weights: error: ${msg}\n`);
  process.exit(1);
}

function loadModuleOrFile(dir, base, kind) {
  const js = path.join(dir, base + '.min.js');
  if (fs.existsSync(js)) {
    // The bundles are UMD: module.exports = payload. Some builds might use an
    // ES "default" export or wrap it; unwrap that if present.
    let m = require(path.resolve(js));
    if (m && typeof m === 'object' && m.default !== undefined && !('weightsManifest' in m)) {
      m = m.default;
    }
    return m;
  }
  const plain = path.join(dir, base + (kind === 'json' ? '.json' : ''));
  if (fs.existsSync(plain)) {
    const buf = fs.readFileSync(plain);
    return kind === 'json' ? JSON.parse(buf.toString('utf8')) : buf;
  }
  die(`neither ${js} nor ${plain} exists`);
}

function toBuffer(x, what) {
  if (Buffer.isBuffer(x)) return x;
  if (typeof x === 'string') return Buffer.from(x, 'base64');
  if (x instanceof ArrayBuffer) return Buffer.from(x);
  if (ArrayBuffer.isView(x)) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  die(`cannot interpret shard ${what} (type ${typeof x})`);
}

// Map layer name -> Keras class_name, recursing into nested models.
function collectLayerKinds(cfg, out) {
  if (!cfg) return out;
  let layers = null;
  if (Array.isArray(cfg)) layers = cfg;                 // old Sequential config
  else if (Array.isArray(cfg.layers)) layers = cfg.layers;
  if (!layers) return out;
  for (const l of layers) {
    const name = l.name !== undefined ? l.name : (l.config && l.config.name);
    if (name !== undefined && !(name in out)) out[name] = l.class_name || '';
    if (l.config && (Array.isArray(l.config) || Array.isArray(l.config.layers))) {
      collectLayerKinds(l.config, out);
    }
  }
  return out;
}

// Exact IEEE half -> float32 (value representable exactly in float32).
function halfToFloat(h) {
  const s = (h & 0x8000) ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * Math.pow(2, -24);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * Math.pow(2, e - 15);
}

const DTYPE_SIZE = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function decodeWeight(spec, buf, offset) {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.dtype || 'float32';
  const out = new Float32Array(size);
  const q = spec.quantization;
  if (q) {
    const qdtype = q.dtype;
    if (!(qdtype in DTYPE_SIZE) || !['uint8', 'uint16', 'float16'].includes(qdtype)) {
      die(`${spec.name}: unsupported quantization dtype ${qdtype}`);
    }
    // Older converters named the target dtype 'original_dtype'.
    const target = q.original_dtype || dtype;
    const nbytes = size * DTYPE_SIZE[qdtype];
    if (offset + nbytes > buf.length) die(`${spec.name}: shard too short`);
    if (qdtype === 'float16') {
      if (target !== 'float32') die(`${spec.name}: float16 quantization of ${target}`);
      for (let i = 0; i < size; i++) out[i] = halfToFloat(buf.readUInt16LE(offset + 2 * i));
    } else {
      if (!('min' in q && 'scale' in q)) die(`${spec.name}: quantization lacks min/scale`);
      const { scale, min } = q;
      const rd = qdtype === 'uint8' ? (i) => buf[offset + i] : (i) => buf.readUInt16LE(offset + 2 * i);
      if (target === 'float32') {
        for (let i = 0; i < size; i++) out[i] = rd(i) * scale + min;  // as tfjs
      } else if (target === 'int32') {
        process.stderr.write(`tfjs_weights: warning: ${spec.name} is int32, stored as float32\n`);
        for (let i = 0; i < size; i++) out[i] = Math.round(rd(i) * scale + min);
      } else {
        die(`${spec.name}: unsupported quantized dtype ${target}`);
      }
    }
    return { data: out, bytes: nbytes };
  }
  if (!(dtype in DTYPE_SIZE)) die(`${spec.name}: unsupported dtype ${dtype}`);
  const nbytes = size * DTYPE_SIZE[dtype];
  if (offset + nbytes > buf.length) die(`${spec.name}: shard too short`);
  if (dtype === 'float32') {
    for (let i = 0; i < size; i++) out[i] = buf.readFloatLE(offset + 4 * i);
  } else if (dtype === 'int32') {
    process.stderr.write(`tfjs_weights: warning: ${spec.name} is int32, stored as float32\n`);
    for (let i = 0; i < size; i++) out[i] = buf.readInt32LE(offset + 4 * i);
  } else if (dtype === 'bool') {
    process.stderr.write(`tfjs_weights: warning: ${spec.name} is bool, stored as float32\n`);
    for (let i = 0; i < size; i++) out[i] = buf[offset + i] ? 1 : 0;
  } else {
    die(`${spec.name}: unsupported dtype ${dtype}`);
  }
  return { data: out, bytes: nbytes };
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}
function str(s) {
  const b = Buffer.from(s, 'utf8');
  return [u32(b.length), b];
}

function main() {
  const [modelDir, outFile] = process.argv.slice(2);
  if (!modelDir || !outFile) die('usage: node tfjs_weights.js <model_dir> <out_file>');

  const model = loadModuleOrFile(modelDir, 'model', 'json');
  const modelJson = typeof model === 'string' ? JSON.parse(model) : model;
  if (!modelJson || !Array.isArray(modelJson.weightsManifest)) die('model has no weightsManifest');
  const topo = modelJson.modelTopology || {};
  const mc = topo.model_config || topo;
  const kinds = collectLayerKinds(mc.config, {});

  const parts = [Buffer.from('AMCTW1\0\0', 'latin1')];
  let count = 0, params = 0, missing = 0;
  const tensors = [];
  for (const group of modelJson.weightsManifest) {
    const buf = Buffer.concat(group.paths.map((p) =>
      toBuffer(loadModuleOrFile(modelDir, p, 'bin'), p)));
    let offset = 0;
    for (const spec of group.weights) {
      const { data, bytes } = decodeWeight(spec, buf, offset);
      offset += bytes;
      const prefix = spec.name.split('/')[0];
      const kind = Object.prototype.hasOwnProperty.call(kinds, prefix) ? kinds[prefix] : '';
      if (!kind) missing++;
      tensors.push({ name: spec.name, shape: spec.shape, kind, data });
    }
    if (offset !== buf.length) {
      process.stderr.write(`tfjs_weights: warning: group ${group.paths.join(',')}: ` +
        `${buf.length - offset} trailing bytes\n`);
    }
  }
  parts.push(u32(tensors.length));
  for (const t of tensors) {
    parts.push(...str(t.name), u32(t.shape.length), ...t.shape.map(u32), ...str(t.kind));
    const le = Buffer.alloc(t.data.length * 4);
    for (let i = 0; i < t.data.length; i++) le.writeFloatLE(t.data[i], 4 * i);
    parts.push(le);
    count++;
    params += t.data.length;
  }
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  const tmp = `${outFile}.tmp${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat(parts));
  fs.renameSync(tmp, outFile);
  process.stderr.write(`tfjs_weights: wrote ${count} tensors, ${params} parameters` +
    (missing ? ` (${missing} without a layer kind)` : '') + ` to ${outFile}\n`);
}

main();
