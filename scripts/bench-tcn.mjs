// The TCN paper's tasks vs PyTorch (issue 20, items 3 and 4): atrous (scripts/bench-tcn-atrous.cjs) and
// PyTorch (scripts/bench-tcn-torch.py) train the same model for a wall-clock budget on each seed, one
// run at a time, interleaved (seed 1: atrous then PyTorch, seed 2: PyTorch then atrous, ...) so drift in
// the machine's load falls on both sides. --task adding (default): adding T = 600 on --preset
// tcn-adding-600, test MSE; prints when each run first fell below 1e-3. --task seq-fashion-mnist:
// --preset tcn-seq-mnist on Fashion-MNIST (--data), test accuracy. Writes into --out: one JSON per run,
// loss.csv (side, seed, seconds, step, train loss, test metric) and loss.svg (the test metric against
// training seconds, adding's as log10, one line per run).
// Needs dist/ (npm run build:ts) and /usr/bin/python3 with torch. PyTorch runs with GLIBC_TUNABLES as in
// scripts/bench-train-vs-torch.mjs (scripts/bench-common.cjs).
//
// Usage: node scripts/bench-tcn.mjs [--task adding|seq-fashion-mnist] [--data DIR] [--seeds 1,2,3] [--budget-s 600] [--threads 2] [--init paper]
//        [--seq-len 600] [--eval-every-s 20] [--out runs/bench-tcn-TASK] [--python /usr/bin/python3] [--sides atrous,pytorch]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { TORCH_GLIBC_TUNABLES } = require('./bench-common.cjs');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' }, 'budget-s': { type: 'string', default: '600' }, threads: { type: 'string', default: '2' },
    init: { type: 'string', default: 'paper' }, 'seq-len': { type: 'string', default: '600' }, 'eval-every-s': { type: 'string', default: '20' },
    out: { type: 'string' }, python: { type: 'string', default: '/usr/bin/python3' },
    sides: { type: 'string', default: 'atrous,pytorch' }, task: { type: 'string', default: 'adding' },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
  },
});
const seeds = values.seeds.split(',').map(Number);
if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new RangeError(`--seeds expects integers >= 0 separated by commas, but got '${values.seeds}'`);
const sides = values.sides.split(',');
if (sides.some((s) => s !== 'atrous' && s !== 'pytorch')) throw new RangeError(`--sides expects atrous and/or pytorch, but got '${values.sides}'`);
if (!fs.existsSync(path.join(root, 'dist', 'cli', 'tasks', 'presets.js'))) throw new Error('dist/ is missing or stale: run `npm run build:ts` first');
if (values.task !== 'adding' && values.task !== 'seq-fashion-mnist') throw new RangeError(`--task expects adding or seq-fashion-mnist, but got '${values.task}'`);
const adding = values.task === 'adding';
const metric = adding ? 'testMse' : 'testAccuracy';
values.out ??= path.join('runs', `bench-tcn-${values.task}`);
fs.mkdirSync(values.out, { recursive: true });
const common = ['--task', values.task, '--data', values.data, '--budget-s', values['budget-s'], '--threads', values.threads, '--init', values.init, '--seq-len', values['seq-len'], '--eval-every-s', values['eval-every-s']];

function run(side, seed) {
  const out = path.join(values.out, `${side}-seed${seed}.json`);
  const args = ['--seed', String(seed), '--out', out, ...common];
  const r = side === 'atrous'
    ? spawnSync(process.execPath, [path.join(root, 'scripts', 'bench-tcn-atrous.cjs'), ...args], { stdio: 'inherit' })
    : spawnSync(values.python, [path.join(root, 'scripts', 'bench-tcn-torch.py'), ...args], { stdio: 'inherit', env: { ...process.env, GLIBC_TUNABLES: TORCH_GLIBC_TUNABLES } });
  if (r.status !== 0) throw new Error(`${side} seed ${seed} failed (exit ${r.status ?? r.signal})`);
  return JSON.parse(fs.readFileSync(out, 'utf8'));
}

const results = [];
seeds.forEach((seed, i) => {
  const order = i % 2 === 0 ? sides : [...sides].reverse();
  for (const side of order) results.push(run(side, seed));
});

const csv = [`side,seed,seconds,step,train_loss,${adding ? 'test_mse' : 'test_accuracy'}`];
for (const r of results) for (const p of r.points) csv.push([r.side, r.seed, p.t.toFixed(3), p.step, p.trainLoss ?? '', p[metric]].join(','));
fs.writeFileSync(path.join(values.out, 'loss.csv'), csv.join('\n') + '\n');

const { renderSvgPlot } = require(path.join(root, 'dist', 'plot', 'svg.js'));
const COLORS = { atrous: ['#1f77b4', '#6baed6', '#08519c'], pytorch: ['#d62728', '#fb6a4a', '#a50f15'] };
const series = results.map((r, i) => ({
  name: `${r.side} seed ${r.seed}`, x: r.points.map((p) => p.t), y: r.points.map((p) => (adding ? Math.log10(p.testMse) : 100 * p.testAccuracy)),
  color: COLORS[r.side][i % 3], dots: false,
}));
fs.writeFileSync(path.join(values.out, 'loss.svg'), renderSvgPlot(
  [adding
    ? { title: `Adding T=${values['seq-len']}: test MSE`, yLabel: 'log10 test MSE', xLabel: 'training seconds', series }
    : { title: 'Sequential Fashion-MNIST: test accuracy', yLabel: 'test accuracy (%)', xLabel: 'training seconds', series }],
  `atrous vs PyTorch, ${values.threads} threads, init ${values.init}`,
));

const summary = results.map((r) => {
  const run = { side: r.side, seed: r.seed, steps: r.steps, samplesPerSecond: Math.round(r.samplesPerSecond) };
  if (!adding) return { ...run, finalTestAccuracy: r.points.at(-1).testAccuracy };
  const below = r.points.find((p) => p.testMse < 1e-3);
  return { ...run, finalTestMse: r.points.at(-1).testMse, secondsTo1e3: below ? below.t : null };
});
fs.writeFileSync(path.join(values.out, 'summary.json'), JSON.stringify({ config: values, runs: summary }, null, 2) + '\n');
for (const s of summary) {
  const quality = adding
    ? `final test MSE ${s.finalTestMse.toExponential(2)}, below 1e-3 ${s.secondsTo1e3 === null ? 'never' : `at ${s.secondsTo1e3.toFixed(0)} s`}`
    : `final test accuracy ${(100 * s.finalTestAccuracy).toFixed(2)}%`;
  console.log(`${s.side.padEnd(8)} seed ${s.seed}: ${s.samplesPerSecond} samples/s, ${quality}`);
}
console.log(`wrote ${values.out}/loss.csv, loss.svg, summary.json and one JSON per run`);
