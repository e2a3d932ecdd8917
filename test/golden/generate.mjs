// generate.mjs: golden reference numbers from the real face-api.
//
// Runs the pinned @vladmandic/face-api 1.7.15 (tfjs 4.22, wasm backend, one
// thread, no native code) in a scratch directory outside the repository and
// writes the numbers the C networks and pipeline are compared against:
//
//   nets.txt     each network on a fixed, seeded input tensor (formula below,
//                also implemented in C in test/unit/golden.h)
//   samples.txt  the whole face-api pipeline on demo/sample1..6.jpg:
//                detections, 68 landmarks, descriptor crop, 128-D descriptors
//   timing.txt   face-api's per-stage milliseconds on the same photos
//
// Usage (see README.md beside this file):
//   node test/golden/generate.mjs [--work DIR] [--out DIR] [--reps N] [--timing-only]
//
// Everything the script installs goes to --work (default: a directory under
// the system temp dir); the repository only receives the small text files.

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PINNED = {
  '@vladmandic/face-api': '1.7.15',
  '@tensorflow/tfjs': '4.22.0',
  '@tensorflow/tfjs-backend-wasm': '4.22.0',
  'jpeg-js': '0.4.4',
};

function parseArgs(argv) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const a = {
    work: path.join(os.tmpdir(), 'face-golden-work'),
    out: here,
    reps: 1,
    timingOnly: false,
  };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--work') a.work = argv[++i];
    else if (k === '--out') a.out = argv[++i];
    else if (k === '--reps') a.reps = Math.max(1, parseInt(argv[++i], 10));
    else if (k === '--timing-only') a.timingOnly = true;
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

// Install the pinned packages into work (once); return a require() rooted there.
function install(work) {
  fs.mkdirSync(work, { recursive: true });
  const pj = path.join(work, 'package.json');
  const want = JSON.stringify({ name: 'face-golden-work', version: '1.0.0', private: true, dependencies: PINNED }, null, 1);
  const have = fs.existsSync(pj) ? fs.readFileSync(pj, 'utf8') : '';
  if (have !== want || !fs.existsSync(path.join(work, 'node_modules', '@vladmandic', 'face-api'))) {
    fs.writeFileSync(pj, want);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--save-exact'], { cwd: work, stdio: 'inherit' });
  }
  return createRequire(path.join(work, 'package.json'));
}

// ---------------------------------------------------------------------------
// The seeded input tensor (HWC, RGB, integer pixel values 0..255 as float32).
// C twin: fc_golden_input() in test/unit/golden.h; keep the two identical.
//
//   state <- seed; next() = state <- (state * 1664525 + 1013904223) mod 2^32,
//                         returns state >> 24          (0..255)
//   1. block[by][bx][c] = next() for by, bx over ceil(H/16) x ceil(W/16)
//      blocks and c over 3 channels, row-major (by, then bx, then c)
//   2. pixel[y][x][c] = (block[y/16][x/16][c] + next()) / 2 (integer division),
//      row-major (y, then x, then c), continuing the same stream
//
// Blocks give the image some large-scale structure (pure white noise drives
// a CNN into an atypical regime); the per-pixel term exercises every weight.
// ---------------------------------------------------------------------------
function goldenInput(h, w, seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 24;
  };
  const bh = Math.ceil(h / 16);
  const bw = Math.ceil(w / 16);
  const block = new Uint8Array(bh * bw * 3);
  for (let i = 0; i < block.length; i++) block[i] = next();
  const px = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const b = block[((y >> 4) * bw + (x >> 4)) * 3 + c];
        px[(y * w + x) * 3 + c] = (b + next()) >> 1;
      }
    }
  }
  return px;
}

const SEED = { recognition: 1, landmarks: 2, ssd: 3 };

// 9 significant digits round-trip a float32 (the nets' precision).
const fmt = (v) => (Number.isInteger(v) ? String(v) : String(parseFloat(v.toPrecision(9))));
const row = (...cols) => cols.flat(Infinity).map((v) => (typeof v === 'number' ? fmt(v) : v)).join('\t');

function checksum(px) {
  let s = 0;
  for (const v of px) s += v;
  return s;
}

async function netsGolden(tf, faceapi) {
  const lines = [
    '# face-api 1.7.15 networks on the seeded input (test/golden/generate.mjs, test/unit/golden.h)',
    '# input: HWC RGB pixel values 0..255, fed to each net through face-api\'s own forwardInput',
    '# (its normalisation included; the input is already square and of the net\'s size, so no',
    '# padding or resizing happens).  input_sum is the sum of all input pixel values.',
  ];

  // Recognition: 150x150 -> 128.
  {
    const px = goldenInput(150, 150, SEED.recognition);
    const t = tf.tensor3d(px, [150, 150, 3], 'float32');
    const ni = await faceapi.toNetInput(t);
    const out = faceapi.nets.faceRecognitionNet.forwardInput(ni);
    const d = Array.from(out.dataSync());
    lines.push(row('recognition_input', 150, 150, SEED.recognition, 'input_sum', checksum(px)));
    lines.push(row('recognition', d.length, d));
    tf.dispose([t, out]);
  }
  // Landmarks: 112x112 -> 136 (x0 y0 x1 y1 ..., relative to the 112x112 input, 0..1).
  {
    const px = goldenInput(112, 112, SEED.landmarks);
    const t = tf.tensor3d(px, [112, 112, 3], 'float32');
    const ni = await faceapi.toNetInput(t);
    const out = faceapi.nets.faceLandmark68Net.forwardInput(ni);
    const d = Array.from(out.dataSync());
    lines.push(row('landmarks_input', 112, 112, SEED.landmarks, 'input_sum', checksum(px)));
    lines.push(row('landmarks', d.length, d));
    tf.dispose([t, out]);
  }
  // SSD: 512x512 -> 5118 anchors, box (ymin xmin ymax xmax, relative) + face score.
  {
    const px = goldenInput(512, 512, SEED.ssd);
    const t = tf.tensor3d(px, [512, 512, 3], 'float32');
    const ni = await faceapi.toNetInput(t);
    const { boxes, scores } = faceapi.nets.ssdMobilenetv1.forwardInput(ni);
    const b = boxes[0].arraySync();
    const s = Array.from(scores[0].dataSync());
    lines.push(row('ssd_input', 512, 512, SEED.ssd, 'input_sum', checksum(px)));
    let ssum = 0;
    let bsum = 0;
    for (let i = 0; i < s.length; i++) {
      ssum += s[i];
      bsum += b[i][0] + b[i][1] + b[i][2] + b[i][3];
    }
    lines.push(row('ssd_anchors', s.length, 'score_sum', ssum, 'box_sum', bsum));
    // The 100 highest-scoring anchors, then every 50th anchor (spread over all
    // six feature maps): anchor index, score, logit, decoded box.
    const order = s.map((v, i) => i).sort((i, j) => s[j] - s[i]);
    const pick = (i) => row('ssd', i, s[i], Math.log(s[i] / (1 - s[i])), b[i]);
    lines.push('# ssd <anchor> <score> <logit> <ymin> <xmin> <ymax> <xmax>   (top 100 by score)');
    order.slice(0, 100).forEach((i) => lines.push(pick(i)));
    lines.push('# ssd_every50 <anchor> <score> <logit> <ymin> <xmin> <ymax> <xmax>');
    for (let i = 0; i < s.length; i += 50) lines.push(pick(i).replace(/^ssd/, 'ssd_every50'));
    tf.dispose([t, ...boxes, ...scores]);
  }
  return `${lines.join('\n')}\n`;
}

// EXIF orientation tag of a JPEG (1 when absent); recorded, since jpeg-js ignores it.
function exifOrientation(buf) {
  let p = 2;
  while (p + 4 < buf.length && buf[p] === 0xff) {
    const marker = buf[p + 1];
    const len = buf.readUInt16BE(p + 2);
    if (marker === 0xe1 && buf.toString('latin1', p + 4, p + 8) === 'Exif') {
      const t = p + 10;
      const le = buf.toString('latin1', t, t + 2) === 'II';
      const u16 = (o) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
      const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
      const ifd = t + u32(t + 4);
      const n = u16(ifd);
      for (let i = 0; i < n; i++) {
        const e = ifd + 2 + i * 12;
        if (u16(e) === 0x0112) return u16(e + 8);
      }
      return 1;
    }
    if (marker === 0xda) break;
    p += 2 + len;
  }
  return 1;
}

function decode(jpeg, buf) {
  const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
  return img;
}

async function samplesGolden(tf, faceapi, jpeg, demoDir, reps) {
  const opts = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 });
  const lines = [
    '# face-api 1.7.15 end to end on demo/sample*.jpg: jpeg-js decode (RGB, no EXIF rotation),',
    '# detectAllFaces(SSD, minConfidence 0.5).withFaceLandmarks().withFaceDescriptors()',
    '# image <file> <width> <height> <exif_orientation> <faces>',
    '# face <file> <i> <score> <x> <y> <w> <h>          detection box, pixels',
    '# landmarks <file> <i> 136 x0 y0 ... x67 y67        pixels of the image',
    '# chip_rect <file> <i> <x> <y> <w> <h>             the crop fed to the recognition net (before clipping)',
    '# descriptor <file> <i> 128 d0 ... d127',
  ];
  const timing = [
    '# face-api 1.7.15 per-stage ms (tfjs wasm, one thread), best of --reps after one warm-up',
    '# file\tfaces\tdecode_ms\tdetect_ms\tlandmarks_ms_per_face\tdescriptor_ms_per_face\ttotal_ms',
  ];
  const files = fs.readdirSync(demoDir).filter((f) => /^sample\d+\.jpg$/.test(f)).sort();
  let warmed = false;
  for (const f of files) {
    const buf = fs.readFileSync(path.join(demoDir, f));
    const best = { decode: Infinity, detect: Infinity, lm: Infinity, desc: Infinity, total: Infinity };
    let res = null;
    let img = null;
    const runs = reps + (warmed ? 0 : 1);
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      img = decode(jpeg, buf);
      const t1 = performance.now();
      const tensor = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
      const t2 = performance.now();
      const dets = await faceapi.detectAllFaces(tensor, opts);
      const t3 = performance.now();
      // Landmarks, stage by stage as DetectAllFaceLandmarksTask does it.
      const crops = await faceapi.extractFaceTensors(tensor, dets);
      const lms = [];
      for (const c of crops) lms.push(await faceapi.nets.faceLandmark68Net.detectLandmarks(c));
      const t4 = performance.now();
      tf.dispose(crops);
      // Descriptors, as ComputeAllFaceDescriptorsTask does it.
      const chips = await faceapi.extractFaceTensors(tensor, lms.map((lm, i) => lm.shiftBy(dets[i].box.x, dets[i].box.y).align(null, { useDlibAlignment: true })));
      for (const c of chips) await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(c);
      const t5 = performance.now();
      tf.dispose(chips);
      // The reference results come from the composed public API.
      res = await faceapi.detectAllFaces(tensor, opts).withFaceLandmarks().withFaceDescriptors();
      tf.dispose(tensor);
      if (!warmed) { warmed = true; continue; }
      const n = Math.max(1, dets.length);
      best.decode = Math.min(best.decode, t1 - t0);
      best.detect = Math.min(best.detect, t3 - t2);
      best.lm = Math.min(best.lm, (t4 - t3) / n);
      best.desc = Math.min(best.desc, (t5 - t4) / n);
      best.total = Math.min(best.total, t5 - t0);
    }
    // Order faces by position (top-left first) so the file is stable.
    res.sort((a, b) => (a.detection.box.x - b.detection.box.x) || (a.detection.box.y - b.detection.box.y));
    lines.push(row('image', f, img.width, img.height, exifOrientation(buf), res.length));
    res.forEach((r, i) => {
      const b = r.detection.box;
      lines.push(row('face', f, i, r.detection.score, b.x, b.y, b.width, b.height));
      lines.push(row('landmarks', f, i, 136, r.landmarks.positions.map((p) => [p.x, p.y])));
      const c = r.landmarks.align(null, { useDlibAlignment: true });
      lines.push(row('chip_rect', f, i, c.x, c.y, c.width, c.height));
      lines.push(row('descriptor', f, i, 128, Array.from(r.descriptor)));
    });
    timing.push(row(f, res.length, best.decode.toFixed(1), best.detect.toFixed(1), best.lm.toFixed(1), best.desc.toFixed(1), best.total.toFixed(1)));
    process.stderr.write(`${f}: ${res.length} faces, detect ${best.detect.toFixed(0)} ms\n`);
  }
  return { samples: `${lines.join('\n')}\n`, timing: `${timing.join('\n')}\n` };
}

async function main() {
  const args = parseArgs(process.argv);
  const req = install(args.work);
  const tf = req('@tensorflow/tfjs');
  const wasm = req('@tensorflow/tfjs-backend-wasm');
  const faceapi = req('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const jpeg = req('jpeg-js');
  const pkgDir = path.dirname(req.resolve('@vladmandic/face-api/package.json'));

  wasm.setWasmPaths(`${path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`);
  if (wasm.setThreadsCount) wasm.setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const modelDir = path.join(pkgDir, 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  process.stderr.write(`face-api ${faceapi.version}, tfjs ${tf.version_core}, backend ${tf.getBackend()}\n`);

  fs.mkdirSync(args.out, { recursive: true });
  if (!args.timingOnly) fs.writeFileSync(path.join(args.out, 'nets.txt'), await netsGolden(tf, faceapi));
  const { samples, timing } = await samplesGolden(tf, faceapi, jpeg, path.join(pkgDir, 'demo'), args.reps);
  if (!args.timingOnly) fs.writeFileSync(path.join(args.out, 'samples.txt'), samples);
  fs.writeFileSync(path.join(args.out, 'timing.txt'), timing);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
