// Segmentation quality and speed against PyTorch (issue 14, item 6): the DeepLab-lite model (DRN
// backbone + ASPP, lib/models/aspp.ts; in PyTorch the build of scripts/make-segmentation-model-fixtures.py,
// whose parity with atrous the fixture test checks) trains for a fixed wall-clock budget in atrous and
// in PyTorch (scripts/bench-segmentation-torch.py), on the same scenes, then each scores mIoU and pixel
// accuracy on the same test scenes. The scenes come from atrous's generator (lib/data/fashion-scenes.ts)
// and are exported once to binary files both sides read, so neither pays for generating them.
// Each round runs, per dilation schedule (default 1,2,5 and 2,2,2: the gridding comparison), atrous
// then PyTorch, interleaved. Same batch size, Adam and constant learning rate, inputs bytes / 255;
// images/s = images trained / seconds of the training loop (batch assembly included on both sides).
//
// Usage: npm run build:ts && node scripts/bench-segmentation-vs-torch.mjs [--budget-s 600] [--rounds 1]
//        [--dilations 1,2,5 --dilations 2,2,2] [--threads 2] [--batch-size 32] [--lr 0.002]
//        [--train-scenes 20000] [--test-scenes 1000] [--data /usr/share/datasets/fashion-mnist]
//        [--python /usr/bin/python3] [--keep DIR (keep the exported scenes there)]
// (--worker atrous ... is how the script runs its own atrous side in a fresh process.)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { header, median, TORCH_GLIBC_TUNABLES } = require('./bench-common.cjs');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => require(path.join(root, 'dist', p));
const CLASSES = 11;
const SIZE = 64;

const { values } = parseArgs({
  options: {
    worker: { type: 'string' },
    train: { type: 'string' },
    test: { type: 'string' },
    'budget-s': { type: 'string', default: '600' },
    rounds: { type: 'string', default: '1' },
    dilations: { type: 'string', multiple: true },
    threads: { type: 'string', default: '2' },
    'batch-size': { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.002' },
    'train-scenes': { type: 'string', default: '20000' },
    'test-scenes': { type: 'string', default: '1000' },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    python: { type: 'string', default: '/usr/bin/python3' },
    keep: { type: 'string' },
    seed: { type: 'string', default: '0' },
  },
});
const num = (name, min = 1) => {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v < min) throw new RangeError(`--${name} expects a number >= ${min}, but got '${values[name]}'`);
  return v;
};
const [budget, rounds, threads, batchSize, lr, seed] = [num('budget-s', 0.001), num('rounds'), num('threads'), num('batch-size'), num('lr', 0), num('seed', 0)];
const schedules = values.dilations ?? ['1,2,5', '2,2,2'];

/** b'ATSC', uint32 LE count, height, width, then the image bytes, then the mask bytes (labels 0-10). */
function writeScenes(file, split, count) {
  const { loadFashionScenes } = dist('data/fashion-scenes.js');
  const scenes = loadFashionScenes(split, { data: values.data, size: SIZE, seed: 0 });
  const n = Math.min(count, scenes.count);
  const px = SIZE * SIZE;
  const buf = Buffer.alloc(16 + 2 * n * px);
  buf.write('ATSC', 0, 'latin1');
  buf.writeUInt32LE(n, 4);
  buf.writeUInt32LE(SIZE, 8);
  buf.writeUInt32LE(SIZE, 12);
  for (let i = 0; i < n; i++) {
    const s = scenes.scene(i);
    buf.set(s.image, 16 + i * px);
    buf.set(s.mask, 16 + (n + i) * px); // labels fit a byte
  }
  fs.writeFileSync(file, buf);
  return n;
}

function readScenes(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 4) !== 'ATSC') throw new Error(`${file}: not a scene file`);
  const [n, h, w] = [buf.readUInt32LE(4), buf.readUInt32LE(8), buf.readUInt32LE(12)];
  const px = h * w;
  return { n, h, w, images: buf.subarray(16, 16 + n * px), masks: buf.subarray(16 + n * px, 16 + 2 * n * px) };
}

/** A seeded permutation (mulberry32 + Fisher-Yates). */
function permutation(n, rand) {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The batch of scenes at indices, into x and y when given (the training loop reuses one pair). */
function batchOf(set, indices, x = new Float32Array(indices.length * set.h * set.w), y = new Int32Array(x.length)) {
  const px = set.h * set.w;
  indices.forEach((s, k) => {
    for (let i = 0; i < px; i++) {
      x[k * px + i] = set.images[s * px + i] / 255;
      y[k * px + i] = set.masks[s * px + i];
    }
  });
  return { x, y };
}

function atrousWorker() {
  const at = dist('index.js');
  const { DeepLabLite } = dist('models/aspp.js');
  const { addPixelConfusions, segmentationScores } = dist('metrics/segmentation.js');
  at.setNumThreads(threads);
  at.manualSeed(seed);
  const model = new DeepLabLite({ dilations: values.dilations[0].split(',').map(Number) });
  const opt = new at.optim.Adam(model.parameters(), { lr });
  const train = readScenes(values.train);
  const test = readScenes(values.test);
  const rand = mulberry32(seed + 1);
  let order = permutation(train.n, rand);
  let next = 0;
  let [images, steps, lastLoss] = [0, 0, NaN];
  // One batch buffer pair for the whole loop: a fresh pair per step would be new memory each time
  // (V8 frees typed arrays only when it collects them), where PyTorch's side frees its arrays at once.
  const xBuffer = new Float32Array(batchSize * train.h * train.w);
  const yBuffer = new Int32Array(xBuffer.length);
  const faults0 = process.resourceUsage().minorPageFault;
  model.train();
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  while (elapsed() < budget) {
    if (next + batchSize > order.length) [order, next] = [permutation(train.n, rand), 0];
    const idx = Array.from(order.subarray(next, next + batchSize)).sort((a, b) => a - b);
    next += batchSize;
    const { x, y } = batchOf(train, idx, xBuffer, yBuffer);
    opt.zeroGrad();
    const logits = model.forward(at.tensor(x, [idx.length, 1, train.h, train.w]));
    const loss = at.crossEntropy(logits, y);
    loss.backward();
    opt.step();
    lastLoss = loss.item();
    logits.dispose(); // the README's loop: its buffer serves the next step
    images += idx.length;
    steps++;
  }
  const seconds = elapsed();
  const faultsPerStep = (process.resourceUsage().minorPageFault - faults0) / steps;
  model.eval();
  const counts = new Float64Array(CLASSES * CLASSES);
  at.noGrad(() => {
    for (let s = 0; s < test.n; s += 50) {
      const idx = Array.from({ length: Math.min(50, test.n - s) }, (_, k) => s + k);
      const { x, y } = batchOf(test, idx);
      const predicted = model.forward(at.tensor(x, [idx.length, 1, test.h, test.w])).argmax(1).toInt32Array();
      addPixelConfusions(counts, CLASSES, y, predicted);
    }
  });
  const scores = segmentationScores(counts, CLASSES);
  console.log('RESULT ' + JSON.stringify({ imagesPerSecond: images / seconds, seconds, steps, images, lastLoss, faultsPerStep, mIoU: scores.meanIoU, pixelAccuracy: scores.pixelAccuracy }));
}

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice(7));
}

function orchestrate() {
  const at = dist('index.js');
  const dir = values.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-bench-seg-'));
  fs.mkdirSync(dir, { recursive: true });
  const files = { train: path.join(dir, 'train-scenes.bin'), test: path.join(dir, 'test-scenes.bin') };
  const nTrain = writeScenes(files.train, 'train', num('train-scenes'));
  const nTest = writeScenes(files.test, 'test', num('test-scenes'));
  const probe = spawnSync(values.python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  const torchVersion = probe.status === 0 ? probe.stdout.trim() : `not importable (${values.python})`;
  for (const line of header({ root, threads, at, extra: [`torch ${torchVersion} (GLIBC_TUNABLES=${TORCH_GLIBC_TUNABLES})`] })) console.log(line);
  console.log(`# DeepLab-lite (DRN 16-32-64 + ASPP 2,4,6), ${nTrain} training / ${nTest} test scenes of ${SIZE}x${SIZE} from ${values.data}`);
  console.log(`# per run: ${budget} s of training (batch ${batchSize}, Adam lr ${lr}), then mIoU on the test scenes; ${rounds} interleaved round(s)`);
  console.log(`${'round'.padEnd(6)}${'dilations'.padEnd(10)}${'atrous img/s'.padStart(13)}${'torch img/s'.padStart(12)}${'ratio'.padStart(7)}   ${'atrous mIoU'.padStart(11)}${'torch mIoU'.padStart(11)}   pixel acc atrous / torch   images atrous / torch   atrous page faults/step`);
  const results = Object.fromEntries(schedules.map((d) => [d, { atrous: [], torch: [] }]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const d of schedules) {
        const common = ['--train', files.train, '--test', files.test, '--dilations', d, '--budget-s', String(budget), '--batch-size', String(batchSize), '--lr', String(lr), '--threads', String(threads), '--seed', String(seed)];
        const a = run(process.execPath, [fileURLToPath(import.meta.url), '--worker', 'atrous', ...common], { ATROUS_NUM_THREADS: String(threads) });
        const t = run(values.python, ['scripts/bench-segmentation-torch.py', ...common], { GLIBC_TUNABLES: TORCH_GLIBC_TUNABLES });
        results[d].atrous.push(a);
        results[d].torch.push(t);
        console.log(`${String(r + 1).padEnd(6)}${d.padEnd(10)}${a.imagesPerSecond.toFixed(1).padStart(13)}${t.imagesPerSecond.toFixed(1).padStart(12)}${(a.imagesPerSecond / t.imagesPerSecond).toFixed(3).padStart(7)}   ` +
          `${(100 * a.mIoU).toFixed(2).padStart(10)}%${(100 * t.mIoU).toFixed(2).padStart(10)}%   ${(100 * a.pixelAccuracy).toFixed(2)}% / ${(100 * t.pixelAccuracy).toFixed(2)}%            ${a.images} / ${t.images}   ${a.faultsPerStep.toFixed(0)}`);
      }
    }
    for (const d of schedules) {
      const { atrous, torch } = results[d];
      const [ai, ti] = [median(atrous.map((x) => x.imagesPerSecond)), median(torch.map((x) => x.imagesPerSecond))];
      console.log(`median ${d}: atrous ${ai.toFixed(1)} img/s, torch ${ti.toFixed(1)} img/s (ratio ${(ai / ti).toFixed(3)}); ` +
        `mIoU atrous ${(100 * median(atrous.map((x) => x.mIoU))).toFixed(2)}%, torch ${(100 * median(torch.map((x) => x.mIoU))).toFixed(2)}%`);
    }
  } finally {
    if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (values.worker === 'atrous') {
  if (!values.train || !values.test || !values.dilations) throw new Error('--worker atrous needs --train, --test and --dilations');
  atrousWorker();
} else if (values.worker !== undefined) {
  throw new RangeError(`--worker expects atrous, but got '${values.worker}'`);
} else {
  orchestrate();
}
