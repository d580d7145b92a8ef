// One side of scripts/bench-tcn.mjs: atrous trains the paper's model for --task adding (--preset
// tcn-adding-600: 8 levels × 24 channels, kernel 8, weight norm, batch 32, Adam 2e-3) or --task
// seq-fashion-mnist (--preset tcn-seq-mnist: 8 levels × 25 channels, kernel 7, batch 64, Adam 2e-3), at a
// constant rate for a wall-clock budget, and writes its test metric (adding: MSE on 1000 sequences;
// seq-fashion-mnist: accuracy on the 10,000 test images) against training seconds as JSON. The clock
// counts training steps only; each test evaluation is timed apart and left out.
// Usage: node scripts/bench-tcn-atrous.cjs --seed N --budget-s S --out FILE [--task adding] [--threads 2]
//        [--init paper|default|normal] [--seq-len 600] [--eval-every-s 20] [--data DIR]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const root = path.join(__dirname, '..');
const at = require(path.join(root, 'dist', 'index.js'));
const { makeTask } = require(path.join(root, 'dist', 'cli', 'tasks', 'index.js'));
const { PRESETS } = require(path.join(root, 'dist', 'cli', 'tasks', 'presets.js'));

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' }, 'budget-s': { type: 'string', default: '600' }, out: { type: 'string' },
    threads: { type: 'string', default: '2' }, init: { type: 'string', default: 'paper' }, 'seq-len': { type: 'string', default: '600' },
    'eval-every-s': { type: 'string', default: '20' }, task: { type: 'string', default: 'adding' }, data: { type: 'string' },
  },
});
if (!values.out) throw new Error('--out FILE is required');
const seed = Number(values.seed);
const budget = Number(values['budget-s']);
const evalEvery = Number(values['eval-every-s']);
at.setNumThreads(Number(values.threads));
at.manualSeed(seed);
const PRESET_OF = { adding: 'tcn-adding-600', 'seq-fashion-mnist': 'tcn-seq-mnist' };
if (!PRESET_OF[values.task]) throw new RangeError(`--task expects one of ${Object.keys(PRESET_OF).join(', ')}, but got '${values.task}'`);
const preset = PRESETS[PRESET_OF[values.task]];
const adding = values.task === 'adding';
const task = makeTask(preset.task, {
  batchSize: preset.batchSize, seed, augment: false, data: values.data,
  sequence: { ...preset.sequence, init: values.init, ...(adding ? { seqLen: Number(values['seq-len']) } : {}) },
});
const metric = adding ? 'testMse' : 'testAccuracy';
const model = task.model;
const optimizer = new at.optim.Adam(model.parameters(), { lr: preset.lr });
const points = [];
let trained = 0; // seconds spent in training steps
let step = 0;
let lossSum = 0;
let lossCount = 0;
const record = () => {
  const t0 = process.hrtime.bigint();
  const e = task.evaluate(model);
  points.push({ t: trained, step, trainLoss: lossCount ? lossSum / lossCount : null, [metric]: e.metric, evalSeconds: Number(process.hrtime.bigint() - t0) / 1e9 });
  lossSum = 0;
  lossCount = 0;
};
record();
let nextEval = evalEvery;
model.train();
outer: for (let epoch = 0; ; epoch++) {
  for (const batch of task.batches(epoch, 0)) {
    const t0 = process.hrtime.bigint();
    optimizer.zeroGrad();
    const loss = batch.loss(model);
    loss.backward();
    optimizer.step();
    const value = loss.item();
    trained += Number(process.hrtime.bigint() - t0) / 1e9;
    step++;
    lossSum += value;
    lossCount++;
    if (trained >= nextEval || trained >= budget) {
      record();
      model.train();
      nextEval += evalEvery;
    }
    if (trained >= budget) break outer;
  }
}
const sps = (step * preset.batchSize) / trained;
fs.writeFileSync(values.out, JSON.stringify({ side: 'atrous', task: values.task, seed, init: values.init, seqLen: adding ? Number(values['seq-len']) : 784, threads: Number(values.threads), budget, steps: step, samplesPerSecond: sps, points }, null, 1) + '\n');
process.stdout.write(`atrous ${values.task} seed ${seed}: ${step} steps in ${trained.toFixed(1)} s (${sps.toFixed(0)} samples/s), final ${metric} ${points[points.length - 1][metric].toPrecision(4)}\n`);
