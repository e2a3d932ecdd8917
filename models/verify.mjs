// verify.mjs: check the converted .fwt files against what tfjs itself computes.
//
//   node models/verify.mjs [--work DIR]      (or: make -C models verify)
//
// Independent of the C code: tfjs (@tensorflow/tfjs 4.22.0, pure-JS cpu
// backend, installed once into --work, default models/cache/verify-node)
// decodes each tfjs manifest with tf.io.decodeWeights -- the exact
// dequantization face-api gets -- and this script reads the .fwt files with
// its own parser of the format (src/core/weights_format.h).  Then, for every
// network, every tensor is accounted for:
//
//   - tensors the converter only renamed or reshaped (depthwise [kh,kw,c,1]
//     -> [kh,kw,c], P/biases or P/convolution_bn_offset -> P/bias) must be
//     bit-identical to tfjs's;
//   - every folded layer is run both ways with tfjs on a seeded random input,
//     the way face-api runs it (recognition: conv2d + bias, * scale weights +
//     scale biases; SSD: depthwiseConv2d then tf.batchNorm with eps
//     0.0010000000474974513) against the folded filter + bias, and the
//     largest difference relative to the output's largest magnitude must be
//     below 1e-5 (float32 rounding of two different summation orders);
//   - int32 tensors must be absent, and no tensor may be left unexplained on
//     either side.
//
// Exit status 0 when everything matches; prints one line per network.

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const TFJS = { '@tensorflow/tfjs': '4.22.0' };
const BN_EPSILON = 0.0010000000474974513;
const TOLERANCE = 1e-5;

const NETS = {
  recognition: 'face_recognition_model',
  landmarks68: 'face_landmark_68_model',
  ssd_mobilenetv1: 'ssd_mobilenetv1_model',
  tiny_face_detector: 'tiny_face_detector_model',
};

function parseArgs(argv) {
  const a = { work: path.join(here, 'cache', 'verify-node') };
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === '--work') a.work = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return a;
}

function installTfjs(work) {
  fs.mkdirSync(work, { recursive: true });
  const pj = path.join(work, 'package.json');
  const want = JSON.stringify({ name: 'face-verify-work', version: '1.0.0', private: true, dependencies: TFJS }, null, 1);
  if (!fs.existsSync(pj) || fs.readFileSync(pj, 'utf8') !== want
      || !fs.existsSync(path.join(work, 'node_modules', '@tensorflow', 'tfjs'))) {
    fs.writeFileSync(pj, want);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--save-exact'],
      { cwd: work, stdio: 'inherit' });
  }
  return createRequire(pj);
}

// ---------------------------------------------------------------------------
// .fwt reader, written from the format description, not from weights.c
// ---------------------------------------------------------------------------
function fnv1aWords(h, bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prime = 0x100000001b3n;
  const mask = (1n << 64n) - 1n;
  for (let i = 0; i + 8 <= bytes.byteLength; i += 8) {
    h ^= dv.getBigUint64(i, true);
    h = (h * prime) & mask;
  }
  return h;
}

function readFwt(file) {
  const buf = fs.readFileSync(file);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.subarray(0, 8).toString('latin1') !== 'FACEWTS\0') throw new Error(`${file}: bad magic`);
  if (dv.getUint32(8, true) !== 1) throw new Error(`${file}: version`);
  const n = dv.getUint32(12, true);
  const namesOff = Number(dv.getBigUint64(24, true));
  const payloadOff = Number(dv.getBigUint64(32, true));
  const payloadSize = Number(dv.getBigUint64(40, true));
  if (payloadOff + payloadSize !== buf.length) throw new Error(`${file}: size`);
  const init = 0xcbf29ce484222325n;
  let meta = fnv1aWords(init, buf.subarray(0, 48));
  meta = fnv1aWords(meta, buf.subarray(64, payloadOff));
  if (meta !== dv.getBigUint64(48, true)) throw new Error(`${file}: meta checksum`);
  if (fnv1aWords(init, buf.subarray(payloadOff)) !== dv.getBigUint64(56, true)) {
    throw new Error(`${file}: payload checksum`);
  }
  const tensors = new Map();
  for (let i = 0; i < n; i++) {
    const e = 64 + 64 * i;
    const nameOff = dv.getUint32(e, true);
    const nameLen = dv.getUint32(e + 4, true);
    const ndim = dv.getUint32(e + 8, true);
    const shape = [];
    for (let d = 0; d < ndim; d++) shape.push(dv.getUint32(e + 16 + 4 * d, true));
    const dataOff = Number(dv.getBigUint64(e + 32, true));
    const count = Number(dv.getBigUint64(e + 40, true));
    if (dataOff % 64 !== 0) throw new Error(`${file}: alignment`);
    const name = buf.subarray(namesOff + nameOff, namesOff + nameOff + nameLen).toString('latin1');
    const start = payloadOff + dataOff;
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + 4 * count));
    tensors.set(name, { shape, data });
  }
  return tensors;
}

// ---------------------------------------------------------------------------
// checks
// ---------------------------------------------------------------------------
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 * 2 - 1;          // uniform in [-1, 1)
  };
}

function sameBits(a, b) {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

// Max |ref - got| / max |ref| over two tensors.
function relDiff(tf, ref, got) {
  const r = ref.dataSync();
  const g = got.dataSync();
  let num = 0;
  let den = 0;
  for (let i = 0; i < r.length; i++) {
    num = Math.max(num, Math.abs(r[i] - g[i]));
    den = Math.max(den, Math.abs(r[i]));
  }
  return den > 0 ? num / den : num;
}

function verifyNet(tf, net, tfjsName, rnd) {
  const manifest = JSON.parse(fs.readFileSync(path.join(here, 'build/package/model', `${tfjsName}-weights_manifest.json`), 'utf8'));
  const ref = new Map();     // name -> tf.Tensor, from tfjs's own decoder
  for (const group of manifest) {
    const bufs = group.paths.map((p) => fs.readFileSync(path.join(here, 'build/package/model', p)));
    const all = Buffer.concat(bufs);
    const ab = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
    const decoded = tf.io.decodeWeights(ab, group.weights);
    for (const [k, v] of Object.entries(decoded)) ref.set(k, v);
  }
  const fwt = readFwt(path.join(here, `${net}.fwt`));
  const usedRef = new Set();
  const usedFwt = new Set();
  const stats = { identical: 0, folded: 0, worst: 0, int32: 0 };
  const fail = (msg) => { throw new Error(`${net}: ${msg}`); };
  const take = (name) => {
    const t = fwt.get(name);
    if (!t) fail(`missing ${name}`);
    usedFwt.add(name);
    return t;
  };
  const refT = (name) => {
    const t = ref.get(name);
    if (!t) fail(`tfjs has no ${name}`);
    usedRef.add(name);
    return t;
  };
  const randomInput = (h, w, c) => tf.tensor4d(Float32Array.from({ length: h * w * c }, rnd), [1, h, w, c]);

  // int32 constants: skipped
  for (const [name, t] of ref) {
    if (t.dtype === 'int32') {
      if (fwt.has(name)) fail(`int32 ${name} was not skipped`);
      usedRef.add(name);
      stats.int32++;
    }
  }

  // folded layers, run both ways
  for (const name of ref.keys()) {
    if (name.endsWith('/scale/weights')) {
      const base = name.slice(0, -'/scale/weights'.length);
      const f = refT(`${base}/conv/filters`);
      const b = refT(`${base}/conv/bias`);
      const sw = refT(`${base}/scale/weights`);
      const sb = refT(`${base}/scale/biases`);
      const F = take(`${base}/conv/filters`);
      const B = take(`${base}/conv/bias`);
      const x = randomInput(9, 9, f.shape[2]);
      // faceRecognitionNet/convLayer.ts + scaleLayer.ts
      const want = tf.add(tf.mul(tf.add(tf.conv2d(x, f, 1, 'same'), b), sw), sb);
      const got = tf.add(tf.conv2d(x, tf.tensor4d(F.data, F.shape), 1, 'same'), tf.tensor1d(B.data));
      stats.worst = Math.max(stats.worst, relDiff(tf, want, got));
      stats.folded++;
    } else if (name.endsWith('/BatchNorm/gamma')) {
      const p = name.slice(0, -'/BatchNorm/gamma'.length);
      const f = refT(`${p}/depthwise_weights`);
      const gamma = refT(`${p}/BatchNorm/gamma`);
      const beta = refT(`${p}/BatchNorm/beta`);
      const mean = refT(`${p}/BatchNorm/moving_mean`);
      const variance = refT(`${p}/BatchNorm/moving_variance`);
      const F = take(`${p}/depthwise_weights`);
      const B = take(`${p}/bias`);
      if (F.shape.length !== 3) fail(`${p}/depthwise_weights not squeezed`);
      const x = randomInput(9, 9, f.shape[2]);
      // ssdMobilenetv1/mobileNetV1.ts depthwiseConvLayer (before the clip)
      const want = tf.batchNorm(tf.depthwiseConv2d(x, f, [1, 1], 'same'), mean, variance, beta, gamma, BN_EPSILON);
      const got = tf.add(tf.depthwiseConv2d(x, tf.tensor4d(F.data, [...F.shape, 1]), [1, 1], 'same'), tf.tensor1d(B.data));
      stats.worst = Math.max(stats.worst, relDiff(tf, want, got));
      stats.folded++;
    }
  }

  // everything else: identical up to the documented renames and reshapes
  for (const [name, t] of ref) {
    if (usedRef.has(name)) continue;
    let out = name;
    if (name.endsWith('/convolution_bn_offset')) out = name.replace(/\/convolution_bn_offset$/, '/bias');
    else if (name.endsWith('/biases')) out = name.replace(/\/biases$/, '/bias');
    const T = take(out);
    let shape = t.shape;
    if (/\/depthwise_(weights|filter)$/.test(name)) {
      if (shape[3] !== 1) fail(`${name}: multiplier ${shape[3]}`);
      shape = shape.slice(0, 3);
    }
    if (JSON.stringify(shape) !== JSON.stringify(T.shape)) fail(`${out}: shape ${T.shape}, tfjs ${t.shape}`);
    if (!sameBits(t.dataSync(), T.data)) fail(`${out}: values differ from tfjs's`);
    usedRef.add(name);
    stats.identical++;
  }

  for (const name of fwt.keys()) if (!usedFwt.has(name)) fail(`unexplained tensor ${name} in the .fwt`);
  if (stats.worst > TOLERANCE) fail(`folded layers differ by ${stats.worst.toExponential(2)} (relative)`);
  const folded = stats.folded
    ? `${stats.folded} folded layers match face-api's ops to ${stats.worst.toExponential(2)} (relative), `
    : 'nothing folded, ';
  console.log(`${net}: ${fwt.size} tensors: ${stats.identical} bit-identical to tfjs's decoding, `
    + `${folded}${stats.int32} int32 constants skipped`);
}

const args = parseArgs(process.argv);
const req = installTfjs(args.work);
const tf = req('@tensorflow/tfjs');
await tf.setBackend('cpu');
await tf.ready();
const rnd = lcg(12345);
let failed = 0;
for (const [net, tfjsName] of Object.entries(NETS)) {
  try {
    tf.tidy(() => verifyNet(tf, net, tfjsName, rnd));
  } catch (e) {
    console.log(`FAILED ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
