// The main job against PyTorch: `atrous train` and scripts/train-torch-reference.py (the same dilated
// CNN, data, batch 64, Adam and cosine schedule) each train one epoch of the same number of batches,
// alternately (atrous, torch, atrous, torch, ...), and the images/s of each run, their medians and the
// ratio atrous / torch are printed. Both figures time the training batches only: atrous's
// samplesPerSecond (log.json) stops its clock before the test evaluation, and the reference prints
// images trained / seconds of the batch loop; process start and data loading are outside both.
//
// Usage: node scripts/bench-train-vs-torch.mjs [--rounds 3] [--max-batches 200] [--threads 2]
//        [--data /usr/share/datasets/fashion-mnist] [--python /usr/bin/python3]
// The reference always runs with GLIBC_TUNABLES=TORCH_GLIBC_TUNABLES (scripts/bench-common.cjs: glibc's
// mmap and trim thresholds raised, PyTorch's best here); the atrous addon raises the same two thresholds
// itself when it loads (unless ATROUS_MALLOC_TUNING=0).
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

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'max-batches': { type: 'string', default: '200' },
    threads: { type: 'string', default: '2' },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const rounds = Number(values.rounds);
const maxBatches = Number(values['max-batches']);
const threads = Number(values.threads);
for (const [name, v] of [['--rounds', rounds], ['--max-batches', maxBatches], ['--threads', threads]]) {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} expects a positive integer, but got ${v}`);
}
if (!fs.existsSync(path.join(values.data, 'train-images-idx3-ubyte.gz'))) {
  throw new Error(`--data ${values.data} holds no Fashion-MNIST (train-images-idx3-ubyte.gz); apt-get install dataset-fashion-mnist or pass --data`);
}

function runOrThrow(cmd, args, env) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function atrousRun() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-bench-train-'));
  try {
    runOrThrow(process.execPath, ['bin/atrous.js', 'train', '--epochs', '1', '--max-batches', String(maxBatches),
      '--threads', String(threads), '--data', values.data, '--out', out], { ATROUS_NUM_THREADS: String(threads) });
    const epoch = JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')).epochs[0];
    return { imagesPerSecond: epoch.samplesPerSecond, seconds: epoch.seconds, accuracy: epoch.metric };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function torchRun() {
  const stdout = runOrThrow(values.python, ['scripts/train-torch-reference.py', '--epochs', '1', '--max-batches', String(maxBatches),
    '--threads', String(threads), '--data', values.data], { GLIBC_TUNABLES: TORCH_GLIBC_TUNABLES });
  const m = /test accuracy ([\d.]+)%\s+([\d.]+) s\s+([\d.]+) images\/s/.exec(stdout);
  if (!m) throw new Error(`no epoch line in the reference's output:\n${stdout}`);
  return { imagesPerSecond: Number(m[3]), seconds: Number(m[2]), accuracy: Number(m[1]) / 100 };
}

const at = require(path.join(root, 'dist', 'index.js'));
const probe = spawnSync(values.python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
const torchVersion = probe.status === 0 ? probe.stdout.trim() : `not importable (${values.python})`;
for (const line of header({ root, threads, at, extra: [`torch ${torchVersion} (GLIBC_TUNABLES=${TORCH_GLIBC_TUNABLES})`] })) console.log(line);
console.log(`# one epoch of ${maxBatches} batches of 64 per run, training time only (no evaluation, no start-up);`);
console.log(`# ${rounds} interleaved rounds (atrous, then torch); ratio = atrous images/s / torch images/s (> 1: atrous faster)`);
console.log(`${'round'.padEnd(6)} ${'atrous img/s'.padStart(13)} ${'torch img/s'.padStart(12)} ${'ratio'.padStart(6)}   ${'atrous s'.padStart(8)} ${'torch s'.padStart(8)}   accuracy atrous / torch`);

const ours = [];
const theirs = [];
for (let r = 0; r < rounds; r++) {
  const a = atrousRun();
  const t = torchRun();
  ours.push(a.imagesPerSecond);
  theirs.push(t.imagesPerSecond);
  console.log(`${String(r + 1).padEnd(6)} ${a.imagesPerSecond.toFixed(1).padStart(13)} ${t.imagesPerSecond.toFixed(1).padStart(12)} ` +
    `${(a.imagesPerSecond / t.imagesPerSecond).toFixed(3).padStart(6)}   ${a.seconds.toFixed(2).padStart(8)} ${t.seconds.toFixed(2).padStart(8)}   ` +
    `${(100 * a.accuracy).toFixed(2)}% / ${(100 * t.accuracy).toFixed(2)}%`);
}
const mo = median(ours);
const mt = median(theirs);
console.log(`${'median'.padEnd(6)} ${mo.toFixed(1).padStart(13)} ${mt.toFixed(1).padStart(12)} ${(mo / mt).toFixed(3).padStart(6)}`);
console.log(`# ratio of medians atrous/torch = ${(mo / mt).toFixed(3)}; per-round ratios ${ours.map((o, i) => (o / theirs[i]).toFixed(3)).join(', ')}`);
