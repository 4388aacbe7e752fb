#!/usr/bin/env node
// Generate tests/data/tfjs/: small TF.js layers models built with tfjs-layers, their weights quantized
// as the TF.js converter stores them, and tfjs's own predictions as golden outputs for
// tests/runtime/test_tfjs_import.cpp.
//
// Usage: node gen_tfjs_golden.js [out_dir]   (default: tests/data/tfjs next to this script)
//
// Per model directory: model.json and binary shards (a standard TF.js layers model), input.bin (float32
// LE, NHWC or [N, features]), output.bin (every output of tfjs's predict(), concatenated, float32 LE),
// decoded.bin (every weight as tf.io.decodeWeights returns it, in manifest order, float32 LE).
// Quantization (tfjs-converter's affine scheme, per tensor): scale = (max - min) / (2^bits - 1),
// q = round((w - min) / scale), stored as {dtype, min, scale}; float16 stores the IEEE half.
'use strict';

const fs = require('fs');
const path = require('path');
const { loadTf, f32 } = require('./tfjs_reference.js');

const { tf, tfl } = loadTf();

// Deterministic values: a 32-bit LCG (Numerical Recipes constants), uniform in [0, 1).
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

// Weights in ranges that keep batch normalization meaningful (positive variance, gamma near 1).
function setWeights(model, seed) {
  const rnd = lcg(seed);
  const values = model.weights.map((w) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const name = w.originalName || w.name;
    const [lo, hi] = /moving_variance/.test(name) ? [0.5, 2.0]
      : /gamma/.test(name) ? [0.6, 1.4]
      : /moving_mean|beta|bias/.test(name) ? [-0.4, 0.4]
      : [-0.6, 0.6];
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rnd();
    return tf.tensor(a, w.shape);
  });
  model.setWeights(values);
}

// Exact for the values used: throws unless the half decodes back to the float32 value.
function toHalf(x) {
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (e < -14) throw new Error(`${x}: subnormal half not needed here`);
  const m = Math.round((a / Math.pow(2, e) - 1) * 1024);
  const h = sign | ((e + 15) << 10) | m;
  if (fromHalf(h) !== x) throw new Error(`${x} is not a half`);
  return h;
}
function fromHalf(h) {
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  const v = e === 0 ? f * Math.pow(2, -24) : (1 + f / 1024) * Math.pow(2, e - 15);
  return h & 0x8000 ? -v : v;
}

// Encode one float32 weight; `kind` is 'uint8', 'uint16', 'float16' or 'float32'.
function encode(spec, values, kind) {
  if (kind === 'float32') return { spec, bytes: Buffer.from(new Float32Array(values).buffer) };
  if (kind === 'float16') {
    const buf = Buffer.alloc(values.length * 2);
    // Round to a multiple of 2^-10 first so that every value is an exact half.
    values.forEach((v, i) => buf.writeUInt16LE(toHalf(Math.fround(Math.round(v * 1024) / 1024)), 2 * i));
    return { spec: { ...spec, quantization: { dtype: 'float16' } }, bytes: buf };
  }
  const levels = kind === 'uint8' ? 255 : 65535;
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (max === min) max = min + 1;
  const scale = (max - min) / levels;
  const q = values.map((v) => Math.min(levels, Math.max(0, Math.round((v - min) / scale))));
  const buf = Buffer.alloc(values.length * (kind === 'uint8' ? 1 : 2));
  q.forEach((v, i) => (kind === 'uint8' ? buf.writeUInt8(v, i) : buf.writeUInt16LE(v, 2 * i)));
  return { spec: { ...spec, quantization: { dtype: kind, min, scale } }, bytes: buf };
}

async function save(model, dir, kindOf, shards, inputShape, seed) {
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const data = Buffer.from(artifacts.weightData);
  const specs = [];
  const parts = [];
  let offset = 0;
  for (const spec of artifacts.weightSpecs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const values = Array.from(new Float32Array(data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + 4 * n)));
    offset += 4 * n;
    const e = encode(spec, values, kindOf(spec.name));
    specs.push(e.spec);
    parts.push(e.bytes);
  }
  // Split the bytes over `shards` files at arbitrary points, as the converter's 4 MB shards do.
  const all = Buffer.concat(parts);
  const paths = [];
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < shards; i++) {
    const p = `group1-shard${i + 1}of${shards}.bin`;
    fs.writeFileSync(path.join(dir, p), all.subarray(Math.floor((all.length * i) / shards), Math.floor((all.length * (i + 1)) / shards)));
    paths.push(p);
  }
  const json = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers} (scripts/gen_tfjs_golden.js)`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths, weights: specs }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json, null, 1) + '\n');

  // tfjs's view of the quantized model: decoded weights and predictions.
  const ab = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const decoded = tf.io.decodeWeights(ab, specs);
  fs.writeFileSync(path.join(dir, 'decoded.bin'), Buffer.concat(specs.map((s) => f32(Array.from(decoded[s.name].dataSync())))));
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: artifacts.modelTopology, weightSpecs: specs, weightData: ab }));
  const rnd = lcg(seed);
  const n = inputShape.reduce((a, b) => a * b, 1);
  const input = Array.from({ length: n }, () => 2 * rnd() - 1);
  fs.writeFileSync(path.join(dir, 'input.bin'), f32(input));
  const out = loaded.predict(tf.tensor(input, inputShape));
  const outs = Array.isArray(out) ? out : [out];
  fs.writeFileSync(path.join(dir, 'output.bin'), Buffer.concat(outs.map((t) => f32(Array.from(t.dataSync())))));
  process.stderr.write(`gen_tfjs_golden: ${dir}: ${specs.length} weights, ${all.length} bytes, outputs ${outs.map((t) => `[${t.shape}]`).join(' ')}\n`);
}

// Functional model: every layer the importer maps, with odd sizes so that 'same' pads asymmetrically.
function functionalModel() {
  const L = tfl.layers;
  const x = tfl.input({ shape: [11, 11, 3], name: 'image' });
  const p = L.zeroPadding2d({ padding: [[1, 2], [2, 0]], name: 'pad' }).apply(x);                 // 14x13x3
  const c1 = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu', name: 'conv1' }).apply(p); // 6x6x8
  const b1 = L.batchNormalization({ epsilon: 1e-3, name: 'bn1' }).apply(c1);
  const r1 = L.reLU({ maxValue: 6, name: 'relu1' }).apply(b1);
  const d = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: true, name: 'dw' }).apply(r1); // 6x6x16
  const b2 = L.batchNormalization({ scale: false, name: 'bn2' }).apply(d);
  const r2 = L.reLU({ maxValue: 6, name: 'relu2' }).apply(b2);
  const c2 = L.conv2d({ filters: 8, kernelSize: 1, padding: 'same', useBias: false, name: 'project' }).apply(r2);
  const b3 = L.batchNormalization({ center: false, name: 'bn3' }).apply(c2);
  const a = L.add({ name: 'add' }).apply([r1, b3]);
  const s = L.conv2d({ filters: 12, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6', name: 'conv_s2' }).apply(a); // 3x3x12
  const m = L.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'maxpool' }).apply(a); // 3x3x8
  const cat = L.concatenate({ axis: -1, name: 'concat' }).apply([s, m]); // 3x3x20
  const g = L.globalAveragePooling2d({ name: 'gap' }).apply(cat);
  const dr = L.dropout({ rate: 0.5, name: 'drop' }).apply(g);
  const out1 = L.dense({ units: 5, activation: 'softmax', name: 'logits' }).apply(dr);
  const dil = L.conv2d({ filters: 6, kernelSize: 2, dilationRate: 2, padding: 'same', name: 'dilated' }).apply(cat); // 3x3x6
  const hs = L.activation({ activation: 'hardSigmoid', name: 'hsig' }).apply(dil);
  const ap = L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'valid', name: 'avgpool' }).apply(hs); // 2x2x6
  const f = L.flatten({ name: 'flat' }).apply(ap); // 24, NHWC order
  const out2 = L.dense({ units: 3, activation: 'sigmoid', name: 'head2' }).apply(f);
  return tfl.model({ inputs: x, outputs: [out1, out2], name: 'functional' });
}

// Sequential model: Reshape into NHWC, Flatten of a 3x3 map, unquantized and float16 weights.
function sequentialModel() {
  const L = tfl.layers;
  const m = tfl.sequential({ name: 'sequential' });
  m.add(L.reshape({ targetShape: [4, 4, 2], inputShape: [32], name: 'to_image' }));
  m.add(L.conv2d({ filters: 3, kernelSize: 2, activation: 'relu', name: 'conv' }));  // 3x3x3
  m.add(L.batchNormalization({ center: false, scale: false, name: 'bn' }));
  m.add(L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'avg_same' }));
  m.add(L.flatten({ name: 'flat' }));
  m.add(L.dense({ units: 4, activation: 'sigmoid', name: 'dense' }));
  return m;
}

async function main() {
  const out = process.argv[2] || path.join(__dirname, '..', 'tests', 'data', 'tfjs');
  await tf.setBackend('cpu');
  const fm = functionalModel();
  setWeights(fm, 1);
  await save(fm, path.join(out, 'functional'), () => 'uint8', 2, [2, 11, 11, 3], 7);
  const sm = sequentialModel();
  setWeights(sm, 2);
  await save(sm, path.join(out, 'sequential'),
    (name) => (/kernel/.test(name) ? 'uint16' : /bias/.test(name) ? 'float16' : 'float32'), 1, [2, 32], 8);
}

main().catch((e) => {
  process.stderr.write(`gen_tfjs_golden: error: ${e.stack || e}\n`);
  process.exit(1);
});
