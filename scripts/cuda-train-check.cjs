// The JS side of the CUDA backend on a GPU machine: the Fashion-MNIST model (lib/models/dilated-cnn)
// trained for a few Adam steps on 'cuda' and on 'cpu' from the same weights and batches must follow
// the same losses and end at the same weights (float rounding apart); then ms per training step on
// each, CPU with 2 threads (issue 7's yardstick: >= 10x faster than 2 CPU cores).
// Needs the compiled package (dist/, build/Release/atrous.node) and libatrous_cuda (ATROUS_CUDA_LIBRARY
// or build-cuda/). Exit 0: agreed; 1: disagreed or failed; 3: no usable CUDA (the reason is printed).
// Usage: node scripts/cuda-train-check.cjs [--steps N] [--batch B] [--timed N]
'use strict';
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const at = require(root);
const { DilatedCnn } = require(path.join(root, 'dist/models/dilated-cnn'));
const { EMBEDDED_DIR, loadSplit, FASHION_MNIST_MEAN, FASHION_MNIST_STD } = require(path.join(root, 'dist/data/fashion-mnist'));
const { ImageLoader } = require(path.join(root, 'dist/data/loader'));

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const steps = option('steps', 5);
const batchSize = option('batch', 64);
const timed = option('timed', 10);

const info = at.backend();
console.log(`cuda-train-check: atrous ${info.version}, cpu ${info.cpu}, cuda ${info.cuda}${info.cuda ? '' : ` (${info.cudaReason})`}`);
if (!info.cuda) process.exit(3);

/** Relative L2 distance of two equal-length arrays. */
function relativeL2(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

const images = loadSplit(EMBEDDED_DIR, 'train');
const loader = new ImageLoader(images, { batchSize, shuffle: true, seed: 1, mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });
const batches = [...loader.epoch(0)].slice(0, Math.max(steps, timed));

function makeRun(device) {
  at.manualSeed(7);
  const model = new DilatedCnn({ dropout: 0 }); // dropout off: the two devices' masks need not agree
  model.to(device);
  const optimizer = new at.optim.Adam(model.parameters(), { lr: 1e-3 });
  const step = (b) => {
    optimizer.zeroGrad();
    const loss = at.crossEntropy(model.forward(b.x.to(device)), b.targets);
    loss.backward();
    optimizer.step();
    return loss.item(); // waits for the device
  };
  return { model, step };
}

let failed = false;
const cpu = makeRun('cpu');
const gpu = makeRun('cuda');
for (let s = 0; s < steps; s++) {
  const lc = cpu.step(batches[s]);
  const lg = gpu.step(batches[s]);
  const rel = Math.abs(lg - lc) / Math.abs(lc);
  const ok = rel <= 1e-3;
  failed ||= !ok;
  console.log(`step ${s + 1}: loss cpu ${lc.toFixed(6)} cuda ${lg.toFixed(6)} (relative difference ${rel.toExponential(2)})${ok ? '' : '  MISMATCH'}`);
}
const cpuState = cpu.model.stateDict();
const gpuState = gpu.model.stateDict();
for (const [name, t] of Object.entries(cpuState)) {
  const g = gpuState[name];
  if (g.device !== 'cuda') {
    console.log(`${name}: on ${g.device}, expected cuda  MISMATCH`);
    failed = true;
  }
  const rel = relativeL2(g.toFloat32Array(), t.toFloat32Array());
  if (rel > 1e-3) {
    console.log(`${name}: relative L2 ${rel.toExponential(2)} after ${steps} steps  MISMATCH`);
    failed = true;
  }
}
console.log(`weights after ${steps} steps: ${failed ? 'DIFFER' : 'agree within 1e-3 (relative L2 per tensor)'}`);

function msPerStep(run, threads) {
  if (threads) at.setNumThreads(threads);
  run.step(batches[0]); // warm-up
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < timed; s++) run.step(batches[s % batches.length]);
  return Number(process.hrtime.bigint() - t0) / 1e6 / timed;
}
const gpuMs = msPerStep(gpu);
const cpuMs = msPerStep(cpu, 2);
console.log(`training step, batch ${batchSize}: cuda ${gpuMs.toFixed(2)} ms, cpu (2 threads) ${cpuMs.toFixed(2)} ms: ${(cpuMs / gpuMs).toFixed(1)}x`);
process.exit(failed ? 1 : 0);
