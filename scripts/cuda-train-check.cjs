// The JS side of the CUDA backend on a GPU machine: the Fashion-MNIST model (lib/models/dilated-cnn)
// on 'cuda' and on 'cpu' from the same weights and batches: the first step's loss and every gradient
// must agree (relative L2 1e-4 per tensor), then a few SGD-with-momentum steps must follow the same
// losses and end at the same weights (1e-4); then ms per Adam training step on each, CPU with 2
// threads (issue 7's yardstick: >= 10x faster than 2 CPU cores). The agreement runs use SGD because
// Adam's first update is lr * sign(g) for every weight, so a gradient within rounding of zero flips a
// whole lr step (measured with the CPU emulator: losses 4e-4 apart after 4 Adam steps, 1e-7 with SGD).
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

function makeRun(device, Optimizer, options) {
  at.manualSeed(7);
  const model = new DilatedCnn({ dropout: 0 }); // dropout off: the two devices' masks need not agree
  model.to(device);
  const optimizer = new Optimizer(model.parameters(), options);
  const backward = (b) => {
    optimizer.zeroGrad();
    const loss = at.crossEntropy(model.forward(b.x.to(device)), b.targets);
    loss.backward();
    return loss.item(); // waits for the device
  };
  const step = (b) => {
    const loss = backward(b);
    optimizer.step();
    return loss;
  };
  return { model, backward, step };
}

const tolerance = 1e-4;
let failed = false;
function report(what, rel) {
  const ok = rel <= tolerance;
  failed ||= !ok;
  console.log(`${what}: relative difference ${rel.toExponential(2)}${ok ? '' : '  MISMATCH'}`);
}

const sgd = { lr: 0.05, momentum: 0.9 };
const cpu = makeRun('cpu', at.optim.SGD, sgd);
const gpu = makeRun('cuda', at.optim.SGD, sgd);
const firstCpu = cpu.backward(batches[0]);
const firstGpu = gpu.backward(batches[0]);
report(`first loss ${firstCpu.toFixed(6)} (cpu) ${firstGpu.toFixed(6)} (cuda)`, Math.abs(firstGpu - firstCpu) / Math.abs(firstCpu));
const gpuGrads = new Map(gpu.model.namedParameters().map(([name, p]) => [name, p.grad]));
for (const [name, p] of cpu.model.namedParameters()) {
  const g = gpuGrads.get(name);
  if (!g || g.device !== 'cuda') {
    console.log(`${name}: its gradient is not on cuda  MISMATCH`);
    failed = true;
    continue;
  }
  report(`gradient of ${name} [${p.shape.join('x')}]`, relativeL2(g.toFloat32Array(), p.grad.toFloat32Array()));
}
for (let s = 0; s < steps; s++) {
  const lc = cpu.step(batches[s]);
  const lg = gpu.step(batches[s]);
  report(`SGD step ${s + 1}: loss cpu ${lc.toFixed(6)} cuda ${lg.toFixed(6)}`, Math.abs(lg - lc) / Math.abs(lc));
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
  if (rel > tolerance) {
    console.log(`${name}: relative L2 ${rel.toExponential(2)} after ${steps} steps  MISMATCH`);
    failed = true;
  }
}
console.log(`weights after ${steps} SGD steps: ${failed ? 'DIFFER' : `agree within ${tolerance} (relative L2 per tensor)`}`);

function msPerStep(run, threads) {
  if (threads) at.setNumThreads(threads);
  run.step(batches[0]); // warm-up
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < timed; s++) run.step(batches[s % batches.length]);
  return Number(process.hrtime.bigint() - t0) / 1e6 / timed;
}
const adamGpu = makeRun('cuda', at.optim.Adam, { lr: 1e-3 });
const adamCpu = makeRun('cpu', at.optim.Adam, { lr: 1e-3 });
const gpuMs = msPerStep(adamGpu);
const cpuMs = msPerStep(adamCpu, 2);
const emulated = /emulator/.test(info.cudaDevice) ? ' (the CPU emulator: a check of logic, not a speed)' : '';
console.log(`training step, batch ${batchSize}: cuda ${gpuMs.toFixed(2)} ms, cpu (2 threads) ${cpuMs.toFixed(2)} ms: ${(cpuMs / gpuMs).toFixed(1)}x${emulated}`);
process.exit(failed ? 1 : 0);
