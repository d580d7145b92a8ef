// Interleaved A/B of two built checkouts (each with build/Release and dist): per round, in alternating
// order, scripts/bench-layer-ops.cjs (this checkout's, run against each build) and a short
// training run, then the medians per build. The bits line of bench-layer-ops must agree when a change
// promises the same results.
// Usage: node scripts/ab-builds.mjs --old DIR --new DIR [--rounds 5] [--max-batches 150] [--no-train]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const dirs = { old: path.resolve(opt('old')), new: path.resolve(opt('new')) };
const rounds = Number(opt('rounds', 5));
const maxBatches = opt('max-batches', '150');
const train = !args.includes('--no-train');
const bench = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bench-layer-ops.cjs');

const results = { old: {}, new: {} };
const record = (build, key, value) => (results[build][key] ??= []).push(value);
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

function runBench(build) {
  const out = execFileSync('node', [bench, dirs[build]], { encoding: 'utf8' });
  for (const line of out.trim().split('\n')) {
    const ms = /^(.*): median ([\d.]+) ms$/.exec(line);
    if (ms) record(build, `${ms[1]} (ms)`, Number(ms[2]));
    const bits = /bits.*: (\w+)$/.exec(line);
    if (bits) record(build, 'bits', bits[1]);
  }
}

function runTrain(build) {
  const out = mkdtempSync(path.join(os.tmpdir(), 'atrous-ab-'));
  const text = execFileSync('node', ['bin/atrous.js', 'train', '--max-batches', maxBatches, '--threads', '2', '--epochs', '1', '--out', out],
    { cwd: dirs[build], encoding: 'utf8' });
  const m = /(\d+) images\/s/.exec(text);
  if (!m) throw new Error(`no images/s in the output of ${build}:\n${text}`);
  record(build, `train --max-batches ${maxBatches} (images/s)`, Number(m[1]));
}

console.log(`node scripts/ab-builds.mjs --old ${dirs.old} --new ${dirs.new} --rounds ${rounds} --max-batches ${maxBatches}${train ? '' : ' --no-train'}`);
console.log(`machine: ${os.cpus()[0].model}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
  for (const build of order) runBench(build);
  if (train) for (const build of order) runTrain(build);
  console.log(`round ${r + 1}/${rounds} done (${order.join(', ')})`);
}
for (const key of Object.keys(results.old)) {
  const [a, b] = [results.old[key], results.new[key]];
  if (key === 'bits') {
    console.log(`bits: old ${[...new Set(a)].join('/')}, new ${[...new Set(b)].join('/')}`);
    continue;
  }
  console.log(`${key}: old median ${median(a)} [${a.join(', ')}], new median ${median(b)} [${b.join(', ')}]`);
}
