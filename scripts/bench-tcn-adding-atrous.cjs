// One side of scripts/bench-tcn-adding.mjs: atrous trains the paper's adding model (--preset
// tcn-adding-600: 8 levels × 24 channels, kernel 8, weight norm, batch 32, Adam 2e-3, constant rate) for
// a wall-clock budget and writes its loss against training seconds as JSON. The clock counts training
// steps only; each test evaluation (1000 sequences, as `atrous train`'s) is timed apart and left out.
// Usage: node scripts/bench-tcn-adding-atrous.cjs --seed N --budget-s S --out FILE [--threads 2]
//        [--init paper|default|normal] [--seq-len 600] [--eval-every-s 20]
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
    'eval-every-s': { type: 'string', default: '20' },
  },
});
if (!values.out) throw new Error('--out FILE is required');
const seed = Number(values.seed);
const budget = Number(values['budget-s']);
const evalEvery = Number(values['eval-every-s']);
at.setNumThreads(Number(values.threads));
at.manualSeed(seed);
const preset = PRESETS['tcn-adding-600'];
const task = makeTask('adding', {
  batchSize: preset.batchSize, seed, augment: false,
  sequence: { ...preset.sequence, init: values.init, seqLen: Number(values['seq-len']) },
});
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
  points.push({ t: trained, step, trainLoss: lossCount ? lossSum / lossCount : null, testMse: e.metric, evalSeconds: Number(process.hrtime.bigint() - t0) / 1e9 });
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
fs.writeFileSync(values.out, JSON.stringify({ side: 'atrous', seed, init: values.init, seqLen: Number(values['seq-len']), threads: Number(values.threads), budget, steps: step, samplesPerSecond: sps, points }, null, 1) + '\n');
process.stdout.write(`atrous seed ${seed}: ${step} steps in ${trained.toFixed(1)} s (${sps.toFixed(0)} samples/s), final test MSE ${points[points.length - 1].testMse.toExponential(3)}\n`);
