#!/usr/bin/env node
// Run a TF.js layers model (model.json + binary shards) with TensorFlow.js itself, on the pure-JS CPU
// backend: the independent reference for the C++ importer (runtime/refrt/tfjs_import.cpp).
//
// Usage: node tfjs_reference.js <model.json> <input.bin> <output.bin> [dim...]
//   input.bin  float32 little-endian, the model's (first) input in its own layout (NHWC for images);
//              its shape is [dim...] when given, else the declared input shape with batch = the rest.
//   output.bin float32 little-endian, every model output in order, concatenated.
// The output shapes go to stderr. @tensorflow/tfjs-{core,layers,backend-cpu} come from the first of
// $AMCT_NODE_MODULES, $AMCT_MODELS_DIR/npm/node_modules, ${AMCT_CACHE:-$HOME/.cache/amct}/npm/node_modules
// that has them, else from node's normal resolution. Required as a module (gen_tfjs_golden.js), it exports
// loadTf and f32.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

function die(msg) {
  process.stderr.write(`tfjs_reference: error: ${msg}\n`);
  process.exit(1);
}

function requireTf(name) {
  const roots = [
    process.env.AMCT_NODE_MODULES,
    process.env.AMCT_MODELS_DIR && path.join(process.env.AMCT_MODELS_DIR, 'npm', 'node_modules'),
    path.join(process.env.AMCT_CACHE || path.join(os.homedir(), '.cache', 'amct'), 'npm', 'node_modules'),
  ].filter(Boolean);
  for (const root of roots) {
    if (fs.existsSync(path.join(root, name, 'package.json'))) return require(path.join(root, name));
  }
  try {
    return require(name);
  } catch (e) {
    die(`cannot find ${name} (run scripts/fetch_models.sh): ${e.message}`);
  }
}

// tfjs-core and tfjs-layers, with the CPU backend registered.
function loadTf() {
  const tf = requireTf('@tensorflow/tfjs-core');
  requireTf('@tensorflow/tfjs-backend-cpu');
  return { tf, tfl: requireTf('@tensorflow/tfjs-layers') };
}

// Float32 little-endian bytes.
function f32(values) {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, 4 * i));
  return buf;
}

// The model's artifacts as tf.io.fromMemory takes them: all groups' specs and bytes, in manifest order.
function readArtifacts(jsonPath) {
  const model = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const dir = path.dirname(jsonPath);
  const specs = [];
  const buffers = [];
  for (const group of model.weightsManifest || []) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
  }
  const bytes = Buffer.concat(buffers);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return { modelTopology: model.modelTopology, weightSpecs: specs, weightData };
}

async function main() {
  const [jsonPath, inPath, outPath, ...dimArgs] = process.argv.slice(2);
  if (!jsonPath || !inPath || !outPath) die('usage: node tfjs_reference.js <model.json> <input.bin> <output.bin> [dim...]');
  const { tf, tfl } = loadTf();
  await tf.setBackend('cpu');
  const model = await tfl.loadLayersModel(tf.io.fromMemory(readArtifacts(jsonPath)));

  const raw = fs.readFileSync(inPath);
  if (raw.length % 4 !== 0) die(`${inPath}: ${raw.length} bytes is not a float32 array`);
  const data = new Float32Array(raw.length / 4);
  for (let i = 0; i < data.length; i++) data[i] = raw.readFloatLE(4 * i);
  let shape = dimArgs.map(Number);
  if (shape.length === 0) {
    const declared = model.inputs[0].shape.slice(1);
    const per = declared.reduce((a, b) => a * b, 1);
    if (declared.some((d) => d == null) || data.length % per !== 0) die(`cannot infer the input shape from ${data.length} values`);
    shape = [data.length / per, ...declared];
  }
  if (shape.reduce((a, b) => a * b, 1) !== data.length) die(`shape [${shape}] does not hold ${data.length} values`);

  const result = model.predict(tf.tensor(data, shape, 'float32'));
  const outputs = Array.isArray(result) ? result : [result];
  const parts = [];
  for (const t of outputs) {
    parts.push(f32(await t.data()));
    process.stderr.write(`tfjs_reference: output [${t.shape}]\n`);
  }
  fs.writeFileSync(outPath, Buffer.concat(parts));
}

if (require.main === module) main().catch((e) => die(e.stack || String(e)));

module.exports = { loadTf, f32 };
