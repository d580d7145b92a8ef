// Where one training step goes: the main job's DilatedCnn of `atrous train` (Adam, batch 64, random
// images and labels of the right shape), or with --model char-lm the CharLm of `atrous train --task
// char-lm` (batch 32 windows of 128 random character ids, next-id targets), or with --model wavenet the
// WaveNet classifier of `atrous train --task speech` (batch 16 random one-second μ-law clips at 8 kHz,
// 14 words), or with --model tcn the adding problem's TCN of `--preset tcn-adding-600` (8 levels × 24
// channels, kernel 8, weight norm; batch 32 sequences of 600 steps; MSE loss), or with --model deeplab
// the DeepLabLite of `atrous train --task segmentation` (batch 32 random 64×64 scenes, 11 per-pixel
// labels, per-pixel cross-entropy), run as the README's loop runs it
// (zeroGrad, forward, crossEntropy, backward, step, loss.item()). Every function of the native
// binding is wrapped to time each call; after the warm-up steps, each call is keyed by the phase it
// runs in, its name and its position among that phase's calls of that name (forward convForward #2 is
// the second conv's forward), and the script prints per-call medians over the timed steps, the
// per-phase wall / native / rest, the step median, the native sum and the remainder (JS, allocation,
// GC), and the GC pauses inside the steps (perf_hooks 'gc' entries).
// Caveat: a fresh output buffer's pages fault in on the kernel's first write, so that part of
// allocation's cost is counted in the native call, not in the remainder (the API bench's api/native
// column and a run with reused buffers tell them apart).
// --root DIR profiles another checkout's build (its dist/ and build/Release), so two can be compared.
// PyTorch's side of the same step (char-lm, wavenet, deeplab): scripts/profile-torch-step.py --model M.
//
// Usage: node scripts/profile-train-step.cjs [--model dilated-cnn|char-lm|wavenet|tcn|deeplab] [--steps 50] [--warmup 10]
//        [--batch 64 (char-lm, tcn, deeplab: 32, wavenet: 16)] [--threads 2] [--root DIR] [--faults] [--keep-output]
// --keep-output leaves the model's output to the collector instead of logits.dispose() after each step.
// --faults also counts the minor page faults (first touches of fresh memory) inside each native call and
// each step (process.resourceUsage() around every call: a syscall each, so the timings grow a little).
'use strict';
const path = require('node:path');
const { PerformanceObserver, performance, constants } = require('node:perf_hooks');
const { parseArgs } = require('node:util');
const { header, median, quantile } = require('./bench-common.cjs');

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '10' },
    model: { type: 'string', default: 'dilated-cnn' },
    batch: { type: 'string' },
    threads: { type: 'string', default: '2' },
    root: { type: 'string', default: path.resolve(__dirname, '..') },
    faults: { type: 'boolean', default: false },
    'keep-output': { type: 'boolean', default: false },
  },
});
const positive = (name, s, min = 1) => {
  const v = Number(s);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`--${name} expects an integer >= ${min}, but got '${s}'`);
  return v;
};
const steps = positive('steps', values.steps);
const warmup = positive('warmup', values.warmup, 0);
const MODELS = ['dilated-cnn', 'char-lm', 'wavenet', 'tcn', 'deeplab'];
if (!MODELS.includes(values.model)) throw new RangeError(`--model expects one of ${MODELS.join(', ')}, but got '${values.model}'`);
const batch = positive('batch', values.batch ?? { 'char-lm': '32', tcn: '32', deeplab: '32', wavenet: '16' }[values.model] ?? '64');
const threads = positive('threads', values.threads);
const root = path.resolve(values.root);

const at = require(path.join(root, 'dist', 'index.js'));
const { native } = require(path.join(root, 'dist', 'native', 'load-addon.js'));
at.setNumThreads(threads);

// --- the wrapped binding: every call timed and keyed by phase, name and position ---
let phase = 'setup';
let recording = false;
let stepCalls = []; // [key, shape, ms, minor page faults] of the current step
const countFaults = values.faults;
const minorFaults = () => (countFaults ? process.resourceUsage().minorPageFault : 0);
const positions = new Map(); // "phase name" -> calls so far in this step
const binding = native();
for (const name of Object.keys(binding)) {
  const fn = binding[name];
  if (typeof fn !== 'function' || /^[A-Z]/.test(name)) continue; // constructors (DeviceBuffer) stay as they are
  binding[name] = function timed(...args) {
    if (!recording) return fn.apply(this, args);
    const f0 = minorFaults();
    const t0 = performance.now();
    const result = fn.apply(this, args);
    const ms = performance.now() - t0;
    const faults = minorFaults() - f0;
    const k = `${phase} ${name}`;
    const n = (positions.get(k) ?? 0) + 1;
    positions.set(k, n);
    stepCalls.push([`${k} #${n}`, describeArgs(name, args), ms, faults]);
    return result;
  };
}

/** What a call worked on: gemm's m x n x k, else the shapes it was given, else its first array's length. */
function describeArgs(name, args) {
  if (name === 'gemm') return `${args[2]}x${args[3]}x${args[4]}${args[0] ? ' tA' : ''}${args[1] ? ' tB' : ''}`;
  const shapes = args.filter((a) => Array.isArray(a) && a.length > 1 && a.every((d) => typeof d === 'number'));
  if (shapes.length) return shapes.map((s) => `[${s.join(',')}]`).join(' ');
  const array = args.find((a) => ArrayBuffer.isView(a));
  return array ? `n=${array.length}` : '';
}

// --- GC pauses: entries arrive asynchronously and are matched to steps by their start time ---
const gcEntries = [];
const gcObserver = new PerformanceObserver((list) => gcEntries.push(...list.getEntries()));
gcObserver.observe({ entryTypes: ['gc'] });
const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor (scavenge)',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major (mark-sweep)',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

// --- the model and one step ---
at.manualSeed(0);
/** The model, its input and its targets, as the CLI task trains them (random data of the right shape). */
function makeJob() {
  if (values.model === 'char-lm') {
    const { CharLm } = require(path.join(root, 'dist', 'models', 'char-lm.js'));
    const { LM_LENGTH } = require(path.join(root, 'dist', 'cli', 'tasks', 'text.js'));
    const vocab = 109; // the fortunes prose's character vocabulary
    const ids = (seed) => at.tensor(Int32Array.from({ length: batch * LM_LENGTH }, (_, i) => (i * 31 + seed) % vocab), [batch, LM_LENGTH], { dtype: 'int32' });
    const m = new CharLm({ vocabSize: vocab });
    return { model: m, input: ids(0), targets: ids(1), describe: `CharLm, vocabulary ${vocab}, batch ${batch} windows of ${LM_LENGTH} random ids` };
  }
  if (values.model === 'wavenet') {
    const { speechModel } = require(path.join(root, 'dist', 'cli', 'tasks', 'speech.js'));
    const { muLawInput } = require(path.join(root, 'dist', 'models', 'wavenet.js'));
    const words = 14; // the espeak-ng corpus's words
    const samples = 8000; // one second at 8 kHz
    const waves = at.rand([batch, 1, samples]).mul(2).sub(1); // audio in [-1, 1)
    return {
      model: speechModel('speech'),
      input: at.tensor(muLawInput(waves.toFloat32Array()), [batch, 1, samples]),
      targets: Int32Array.from({ length: batch }, (_, i) => (i * 5) % words),
      describe: `WaveNetClassifier (speech task), ${words} words, batch ${batch} random μ-law clips of ${samples} samples`,
    };
  }
  if (values.model === 'tcn') {
    const { addingModel } = require(path.join(root, 'dist', 'cli', 'tasks', 'synthetic.js'));
    const { addingProblem } = require(path.join(root, 'dist', 'data', 'synthetic-tasks.js'));
    const { PRESETS } = require(path.join(root, 'dist', 'cli', 'tasks', 'presets.js'));
    const spec = PRESETS['tcn-adding-600'].sequence;
    const b = addingProblem(batch, spec.seqLen, 1);
    return {
      model: addingModel(spec),
      input: b.x,
      targets: b.y,
      loss: (out, y) => at.mseLoss(out, y),
      describe: `Tcn (adding, preset tcn-adding-600), batch ${batch} sequences of ${spec.seqLen} steps`,
    };
  }
  if (values.model === 'deeplab') {
    const { DeepLabLite } = require(path.join(root, 'dist', 'models', 'aspp.js'));
    const size = 64;
    const classes = 11; // background and the ten Fashion-MNIST classes
    return {
      model: new DeepLabLite({ dilations: [1, 2, 5] }),
      input: at.rand([batch, 1, size, size]),
      targets: at.tensor(Int32Array.from({ length: batch * size * size }, (_, i) => (i * 7 + (i >> 9)) % classes), [batch, size, size], { dtype: 'int32' }),
      describe: `DeepLabLite (segmentation task, dilations 1,2,5), batch ${batch} random ${size}x${size} scenes, ${classes} labels`,
    };
  }
  const { DilatedCnn } = require(path.join(root, 'dist', 'models', 'dilated-cnn.js'));
  return {
    model: new DilatedCnn(),
    input: at.randn([batch, 1, 28, 28]),
    targets: Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10),
    describe: `DilatedCnn, batch ${batch}, random [${batch},1,28,28] images and labels`,
  };
}
const { model, input: x, targets, describe, loss: lossOf = (out, t) => at.crossEntropy(out, t) } = makeJob();
model.train();
const optimizer = new at.optim.Adam(model.parameters(), { lr: 1e-3 });
const PHASES = ['zeroGrad', 'forward', 'loss', 'backward', 'step', 'item'];

function step() {
  const wall = {};
  let t = performance.now();
  const mark = (name) => {
    const now = performance.now();
    wall[name] = now - t;
    t = now;
  };
  phase = 'zeroGrad';
  optimizer.zeroGrad();
  mark('zeroGrad');
  phase = 'forward';
  const logits = model.forward(x);
  mark('forward');
  phase = 'loss';
  const loss = lossOf(logits, targets);
  mark('loss');
  phase = 'backward';
  loss.backward();
  mark('backward');
  phase = 'step';
  optimizer.step();
  mark('step');
  phase = 'item';
  loss.item();
  // The README's loop hands the model's output back once the step is done (a build without
  // Tensor.dispose, under --root, leaves it to the collector, as --keep-output does).
  if (!values['keep-output'] && typeof logits.dispose === 'function') logits.dispose();
  mark('item');
  return wall;
}

async function main() {
  for (const line of header({ root, threads, at })) console.log(line);
  console.log(`# ${describe} (${model.parameters().reduce((n, p) => n + p.numel, 0).toLocaleString('en-US')} parameters), Adam lr 1e-3; ` +
    `${warmup} warm-up steps, then ${steps} timed steps`);
  for (let i = 0; i < warmup; i++) {
    step();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const perKey = new Map(); // key -> { shape, ms: [], faults: [] }, in first-call order
  const records = []; // per step: { start, end, wall, native, nativeByPhase }
  for (let i = 0; i < steps; i++) {
    stepCalls = [];
    positions.clear();
    recording = true;
    const f0 = minorFaults();
    const start = performance.now();
    const wall = step();
    const end = performance.now();
    const stepFaults = minorFaults() - f0;
    recording = false;
    const nativeByPhase = Object.fromEntries(PHASES.map((p) => [p, 0]));
    let nativeMs = 0;
    for (const [key, shape, ms, faults] of stepCalls) {
      if (!perKey.has(key)) perKey.set(key, { shape, ms: [], faults: [] });
      perKey.get(key).ms.push(ms);
      perKey.get(key).faults.push(faults);
      nativeMs += ms;
      nativeByPhase[key.split(' ')[0]] += ms;
    }
    records.push({ start, end, wall, native: nativeMs, nativeByPhase, calls: stepCalls.length, faults: stepFaults });
    await new Promise((resolve) => setImmediate(resolve)); // lets the GC observer's entries in
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  gcObserver.disconnect();

  const stepMs = median(records.map((r) => r.end - r.start));
  console.log(`\n# native calls of one step, in call order: median ms over the ${steps} timed steps (share of the step median)`);
  console.log(`${'call'.padEnd(34)} ${'on'.padEnd(30)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'share'.padStart(6)}` +
    (countFaults ? `  minor page faults: median, max, steps with any` : ''));
  for (const [key, { shape, ms, faults }] of perKey) {
    const m = median(ms);
    const faulting = countFaults ? `  ${String(median(faults)).padStart(5)} ${String(Math.max(...faults)).padStart(5)} ${String(faults.filter((f) => f > 0).length).padStart(3)}` : '';
    console.log(`${key.padEnd(34)} ${shape.padEnd(30)} ${m.toFixed(3).padStart(8)} ${quantile(ms, 0.9).toFixed(3).padStart(8)} ${(100 * m / stepMs).toFixed(1).padStart(5)}%` +
      faulting + (ms.length !== steps ? `  (in ${ms.length} of ${steps} steps)` : ''));
  }

  console.log(`\n# per phase: median ms over steps of the wall time, of the native calls' time, and of the rest (JS, allocation, GC)`);
  console.log(`${'phase'.padEnd(10)} ${'wall'.padStart(8)} ${'native'.padStart(8)} ${'rest'.padStart(8)}`);
  for (const p of PHASES) {
    const w = median(records.map((r) => r.wall[p]));
    const n = median(records.map((r) => r.nativeByPhase[p]));
    const rest = median(records.map((r) => r.wall[p] - r.nativeByPhase[p]));
    console.log(`${p.padEnd(10)} ${w.toFixed(3).padStart(8)} ${n.toFixed(3).padStart(8)} ${rest.toFixed(3).padStart(8)}`);
  }

  const inSteps = gcEntries.filter((e) => records.some((r) => e.startTime >= r.start && e.startTime < r.end));
  const gcPerStep = records.map((r) => inSteps.filter((e) => e.startTime >= r.start && e.startTime < r.end).reduce((s, e) => s + e.duration, 0));
  const nativeMs = median(records.map((r) => r.native));
  const restMs = median(records.map((r) => r.end - r.start - r.native));
  console.log(`\n# step (median over ${steps}): ${stepMs.toFixed(2)} ms (p10 ${quantile(records.map((r) => r.end - r.start), 0.1).toFixed(2)}, ` +
    `p90 ${quantile(records.map((r) => r.end - r.start), 0.9).toFixed(2)}); ${records[0].calls} native calls per step` +
    (countFaults ? `; minor page faults per step: median ${median(records.map((r) => r.faults))}, max ${Math.max(...records.map((r) => r.faults))}` : ''));
  console.log(`# native sum: ${nativeMs.toFixed(2)} ms (${(100 * nativeMs / stepMs).toFixed(1)}%); ` +
    `remainder (JS + allocation + GC): ${restMs.toFixed(2)} ms (${(100 * restMs / stepMs).toFixed(1)}%) (medians of per-step sums;` +
    ' page faults of first writes into fresh buffers count as native)');
  const gcTotal = inSteps.reduce((s, e) => s + e.duration, 0);
  const byKind = new Map();
  for (const e of inSteps) {
    const kind = GC_KINDS[e.detail?.kind ?? e.kind] ?? `kind ${e.detail?.kind ?? e.kind}`;
    const k = byKind.get(kind) ?? { n: 0, ms: 0 };
    k.n += 1;
    k.ms += e.duration;
    byKind.set(kind, k);
  }
  console.log(`# GC inside the timed steps: ${inSteps.length} pauses, ${gcTotal.toFixed(2)} ms in all, ${(gcTotal / steps).toFixed(3)} ms per step on average ` +
    `(median ${median(gcPerStep).toFixed(3)}, max ${Math.max(...gcPerStep).toFixed(3)})` +
    (byKind.size ? `; ${[...byKind].map(([kind, { n, ms }]) => `${kind}: ${n}, ${ms.toFixed(2)} ms`).join('; ')}` : ''));
  console.log(`# (GC pauses of the whole run, warm-up and between steps included: ${gcEntries.length}, ${gcEntries.reduce((s, e) => s + e.duration, 0).toFixed(2)} ms)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
