#!/usr/bin/env node
// Turn a TF.js layers model bundled as JS modules (nsfwjs: model.min.js exports the model JSON,
// <shard path>.min.js exports the shard as base64) into the standard files: model.json and the raw
// binary shards named as in weightsManifest[*].paths. No decoding: the bytes are written as they are.
//
// Usage: node tfjs_unbundle.js <bundle_dir> <out_dir>
'use strict';

const fs = require('fs');
const path = require('path');

function die(msg) {
  process.stderr.write(`tfjs_unbundle: error: ${msg}\n`);
  process.exit(1);
}

// A UMD/CommonJS bundle's export, unwrapping an ES "default" export.
function load(file) {
  if (!fs.existsSync(file)) die(`missing ${file}`);
  const m = require(path.resolve(file));
  return m && typeof m === 'object' && m.default !== undefined && !('weightsManifest' in m) ? m.default : m;
}

function toBuffer(x, what) {
  if (typeof x === 'string') return Buffer.from(x, 'base64');
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof ArrayBuffer) return Buffer.from(x);
  if (ArrayBuffer.isView(x)) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  die(`${what}: unexpected export of type ${typeof x}`);
}

// Write via a temporary file so a reader never sees a partial file.
function writeAtomic(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function main() {
  const [bundleDir, outDir] = process.argv.slice(2);
  if (!bundleDir || !outDir) die('usage: node tfjs_unbundle.js <bundle_dir> <out_dir>');
  let model = load(path.join(bundleDir, 'model.min.js'));
  if (typeof model === 'string') model = JSON.parse(model);
  if (!model || !model.modelTopology || !Array.isArray(model.weightsManifest)) {
    die('model.min.js does not export a layers model (modelTopology, weightsManifest)');
  }
  let bytes = 0;
  // Shards first, model.json last: its presence (and age) marks a complete conversion.
  for (const group of model.weightsManifest) {
    for (const p of group.paths) {
      if (path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) die(`shard path ${p} leaves the model directory`);
      const buf = toBuffer(load(path.join(bundleDir, `${p}.min.js`)), p);
      writeAtomic(path.join(outDir, p), buf);
      bytes += buf.length;
    }
  }
  writeAtomic(path.join(outDir, 'model.json'), JSON.stringify(model));
  process.stderr.write(`tfjs_unbundle: wrote ${path.join(outDir, 'model.json')} and ${bytes} shard bytes\n`);
}

main();
