// Soak test of the main job's training loop: does memory stay flat over thousands of steps?
// Trains the DilatedCnn of `atrous train` (Adam, batch 64) on real Fashion-MNIST batches, the step
// written as the README's loop writes it (zeroGrad, forward, crossEntropy, backward, step, loss.item()),
// with no call to free anything. Every --every steps it samples the process (RSS, V8 heap used,
// external, arrayBuffers) and at.memory() (live tensors, their bytes, the allocator's pooled bytes,
// the peak). Writes soak.csv and soak.svg (the curves) into --out, and prints the step time p50/p99
// and, per quantity, whether it is flat after the warm-up: the samples after the first
// --warmup-fraction of the steps all lie within --tolerance % of their median.
//
// Usage: node scripts/soak-train.cjs [--steps 5000] [--every 50] [--batch 64] [--threads 2]
//        [--data /usr/share/datasets/fashion-mnist] [--out runs/soak-TIMESTAMP] [--warmup-fraction 0.2]
//        [--tolerance 5] [--root DIR]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { parseArgs } = require('node:util');
const { header, median, quantile } = require('./bench-common.cjs');

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '5000' },
    every: { type: 'string', default: '50' },
    batch: { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
    lr: { type: 'string', default: '0.002' },
    data: { type: 'string' },
    out: { type: 'string' },
    'warmup-fraction': { type: 'string', default: '0.2' },
    tolerance: { type: 'string', default: '5' },
    root: { type: 'string', default: path.resolve(__dirname, '..') },
  },
});
const positive = (name, s) => {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} expects a positive integer, but got '${s}'`);
  return v;
};
const steps = positive('steps', values.steps);
const every = positive('every', values.every);
const batch = positive('batch', values.batch);
const threads = positive('threads', values.threads);
const lr = Number(values.lr);
const warmupFraction = Number(values['warmup-fraction']);
const tolerance = Number(values.tolerance);
if (!(warmupFraction >= 0 && warmupFraction < 1)) throw new RangeError(`--warmup-fraction expects a number in [0, 1), but got '${values['warmup-fraction']}'`);
if (!(tolerance > 0)) throw new RangeError(`--tolerance expects a positive percentage, but got '${values.tolerance}'`);
const root = path.resolve(values.root);

const at = require(path.join(root, 'dist', 'index.js'));
if (typeof at.memory !== 'function') {
  console.error(`soak-train: this build has no at.memory() (${path.join(root, 'dist', 'index.js')} exports no function 'memory'); ` +
    'the soak test needs it to count live tensors and pooled bytes. Build a checkout that has it (npm run build), or pass --root DIR.');
  process.exit(2);
}
const { DilatedCnn } = require(path.join(root, 'dist', 'models', 'dilated-cnn.js'));
const { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadSplit, locateFashionMnist } = require(path.join(root, 'dist', 'data', 'fashion-mnist.js'));
const { ImageLoader } = require(path.join(root, 'dist', 'data', 'loader.js'));
const { renderSvgPlot } = require(path.join(root, 'dist', 'plot', 'svg.js'));
at.setNumThreads(threads);

const outDir = path.resolve(values.out ?? path.join(root, 'runs', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`));
fs.mkdirSync(outDir, { recursive: true });
const loc = locateFashionMnist(values.data);
const train = loadSplit(loc.dir, 'train');
const loader = new ImageLoader(train, { batchSize: batch, shuffle: true, seed: 0, mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });

at.manualSeed(0);
const model = new DilatedCnn({ imageSize: [train.height, train.width] });
model.train();
const optimizer = new at.optim.Adam(model.parameters(), { lr });

function* batches() {
  for (let epoch = 0; ; epoch++) yield* loader.epoch(epoch);
}

const COLUMNS = ['step', 'seconds', 'step_ms', 'loss', 'rss', 'heap_used', 'external', 'array_buffers', 'tensors', 'bytes', 'pooled_bytes', 'peak_bytes'];
function sample(step, seconds, stepMs, loss) {
  const p = process.memoryUsage();
  const m = at.memory();
  return { step, seconds: Number(seconds.toFixed(3)), step_ms: Number(stepMs.toFixed(3)), loss: Number(loss.toFixed(5)), rss: p.rss, heap_used: p.heapUsed, external: p.external, array_buffers: p.arrayBuffers,
    tensors: m.tensors, bytes: m.bytes, pooled_bytes: m.pooledBytes, peak_bytes: m.peakBytes };
}

/** After the warm-up: median, spread (max - min) and least-squares growth over the remaining steps, both as % of the median. */
function flatness(samples, key, fromStep) {
  const pts = samples.filter((s) => s.step >= fromStep);
  const ys = pts.map((s) => s[key]);
  const med = median(ys);
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const n = pts.length;
  const mx = pts.reduce((a, s) => a + s.step, 0) / n;
  const my = ys.reduce((a, y) => a + y, 0) / n;
  const sxx = pts.reduce((a, s) => a + (s.step - mx) ** 2, 0);
  const slope = sxx > 0 ? pts.reduce((a, s, i) => a + (s.step - mx) * (ys[i] - my), 0) / sxx : 0;
  const span = n > 1 ? pts[n - 1].step - pts[0].step : 0;
  const pct = (v) => (med !== 0 ? (100 * v) / med : v === 0 ? 0 : Infinity);
  return { n, med, lo, hi, spread: pct(hi - lo), growth: pct(slope * span), flat: pct(hi - lo) <= tolerance };
}

for (const line of header({ root, threads, at })) console.log(line);
console.log(`# Fashion-MNIST from ${loc.dir} (${train.count} images), DilatedCnn, Adam lr ${lr}, batch ${batch}; ${steps} steps, ` +
  `a sample every ${every}; writing ${path.join(outDir, 'soak.csv')} and soak.svg`);
const samples = [];
const stepTimes = [];
const started = performance.now();
const source = batches();
for (let step = 1; step <= steps; step++) {
  const b = source.next().value;
  const t0 = performance.now();
  optimizer.zeroGrad();
  const loss = at.crossEntropy(model.forward(b.x), b.targets);
  loss.backward();
  optimizer.step();
  const value = loss.item();
  const ms = performance.now() - t0;
  stepTimes.push(ms);
  if (!Number.isFinite(value)) throw new Error(`the loss of step ${step} is ${value}`);
  if (step === 1 || step % every === 0 || step === steps) {
    const s = sample(step, (performance.now() - started) / 1e3, ms, value);
    samples.push(s);
    if (step === 1 || step % (every * 10) === 0) {
      console.log(`step ${String(step).padStart(6)}  ${s.seconds.toFixed(1).padStart(7)} s  loss ${value.toFixed(4)}  rss ${(s.rss / 2 ** 20).toFixed(1)} MiB  ` +
        `heap ${(s.heap_used / 2 ** 20).toFixed(1)} MiB  tensors ${s.tensors}  bytes ${(s.bytes / 2 ** 20).toFixed(1)} MiB  pooled ${(s.pooled_bytes / 2 ** 20).toFixed(1)} MiB`);
    }
  }
}

fs.writeFileSync(path.join(outDir, 'soak.csv'), [COLUMNS.join(','), ...samples.map((s) => COLUMNS.map((c) => s[c]).join(','))].join('\n') + '\n');
const x = samples.map((s) => s.step);
const mib = (key) => samples.map((s) => s[key] / 2 ** 20);
fs.writeFileSync(path.join(outDir, 'soak.svg'), renderSvgPlot([
  { title: 'Process memory', yLabel: 'MiB', xLabel: 'step', series: [
    { name: 'RSS', x, y: mib('rss') }, { name: 'V8 heap used', x, y: mib('heap_used') },
    { name: 'external', x, y: mib('external') }, { name: 'arrayBuffers', x, y: mib('array_buffers') }] },
  { title: 'at.memory()', yLabel: 'MiB', xLabel: 'step', series: [
    { name: 'bytes (live tensors)', x, y: mib('bytes') }, { name: 'pooledBytes', x, y: mib('pooled_bytes') },
    { name: 'peakBytes', x, y: mib('peak_bytes') }] },
  { title: 'Live tensors', yLabel: 'tensors', xLabel: 'step', series: [{ name: 'at.memory().tensors', x, y: samples.map((s) => s.tensors) }] },
  { title: 'Step time (sampled steps)', yLabel: 'ms', xLabel: 'step', series: [{ name: 'step ms', x, y: samples.map((s) => s.step_ms) }] },
], `atrous soak: ${steps} training steps, batch ${batch}`));

const fromStep = Math.floor(steps * warmupFraction);
console.log(`\n# step time over all ${steps} steps: p50 ${quantile(stepTimes, 0.5).toFixed(2)} ms, p99 ${quantile(stepTimes, 0.99).toFixed(2)} ms, ` +
  `max ${Math.max(...stepTimes).toFixed(2)} ms; after step ${fromStep}: p50 ${quantile(stepTimes.slice(fromStep), 0.5).toFixed(2)} ms, ` +
  `p99 ${quantile(stepTimes.slice(fromStep), 0.99).toFixed(2)} ms`);
console.log(`# after the warm-up (steps >= ${fromStep}): flat = every sample within ${tolerance}% of the median ((max - min) / median); ` +
  'growth = least-squares slope over those steps, as % of the median');
console.log(`${'quantity'.padEnd(22)} ${'first'.padStart(10)} ${'median'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)} ${'spread'.padStart(8)} ${'growth'.padStart(8)}  flat?`);
const fmtValue = (key, v) => (key === 'tensors' ? String(v) : `${(v / 2 ** 20).toFixed(1)}M`);
const verdicts = [];
for (const key of ['rss', 'heap_used', 'external', 'array_buffers', 'tensors', 'bytes', 'pooled_bytes', 'peak_bytes']) {
  const f = flatness(samples, key, fromStep);
  const decisive = key === 'rss' || key === 'bytes';
  if (decisive) verdicts.push(`${key} ${f.flat ? 'flat' : 'NOT flat'}`);
  console.log(`${key.padEnd(22)} ${fmtValue(key, samples[0][key]).padStart(10)} ${fmtValue(key, f.med).padStart(10)} ${fmtValue(key, f.lo).padStart(10)} ` +
    `${fmtValue(key, f.hi).padStart(10)} ${(f.spread.toFixed(1) + '%').padStart(8)} ${((f.growth >= 0 ? '+' : '') + f.growth.toFixed(1) + '%').padStart(8)}  ` +
    `${f.flat ? 'yes' : 'no'}${decisive ? '' : ' (for information)'}`);
}
console.log(`# verdict: ${verdicts.join(', ')} after the first ${(100 * warmupFraction).toFixed(0)}% of ${steps} steps (within ${tolerance}%; ${samples.length} samples, MiB = 2^20 bytes)`);
console.log(`# wrote ${path.join(outDir, 'soak.csv')} and ${path.join(outDir, 'soak.svg')}`);
