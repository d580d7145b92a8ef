// Speech against PyTorch (issue 16, item 5): on the same corpus files, `atrous train --task speech` and
// scripts/train-torch-speech.py (the same WaveNet, input, batch size, Adam and cosine schedule; torch
// with GLIBC_TUNABLES as bench-train-vs-torch.mjs) train
// alternately (atrous, torch, atrous, torch, ...); printed per run and as medians: training clips/s
// (the batch loops only, as bench-train-vs-torch.mjs) and test accuracy on the held-out voices. Then the
// streaming real-time factor on one thread: a causal model (`train --task speech --causal`, a few
// batches: the weights do not change the cost) runs `atrous listen --threads 1` over every test clip of
// the corpus joined end to end.
//
// Usage: node scripts/bench-speech-vs-torch.mjs [--data DIR] [--rounds 3] [--epochs 1] [--max-batches N]
//        [--batch-size 16] [--threads 2] [--python /usr/bin/python3]
// --data: a corpus from `atrous data speech --out DIR` (default: the default cache directory, built
// there with size small when absent). Needs `npm run build:ts` (it runs bin/atrous.js).
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
const { defaultSpeechDir } = require(path.join(root, 'dist/data/speech.js'));
const { readWav, writeWav } = require(path.join(root, 'dist/audio/wav.js'));

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    epochs: { type: 'string', default: '1' },
    'max-batches': { type: 'string' },
    'batch-size': { type: 'string', default: '16' },
    threads: { type: 'string', default: '2' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const ints = { rounds: values.rounds, epochs: values.epochs, 'batch-size': values['batch-size'], threads: values.threads, ...(values['max-batches'] ? { 'max-batches': values['max-batches'] } : {}) };
for (const [name, v] of Object.entries(ints)) {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new RangeError(`--${name} expects a positive integer, but got ${v}`);
}
const data = values.data ?? defaultSpeechDir();
const limit = values['max-batches'] ? ['--max-batches', values['max-batches']] : [];
const common = ['--epochs', values.epochs, '--batch-size', values['batch-size'], '--threads', values.threads, ...limit];

function runOrThrow(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function atrousTrain(extra = [], keep = null) {
  const out = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-bench-speech-'));
  try {
    runOrThrow(process.execPath, ['bin/atrous.js', 'train', '--task', 'speech', '--data', data, '--out', out, ...common, ...extra], { ATROUS_NUM_THREADS: values.threads });
    const epochs = JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')).epochs;
    const last = epochs[epochs.length - 1];
    return { samplesPerSecond: median(epochs.map((e) => e.samplesPerSecond)), accuracy: last.metric };
  } finally {
    if (!keep) fs.rmSync(out, { recursive: true, force: true });
  }
}

function torchTrain() {
  const line = runOrThrow(values.python, ['scripts/train-torch-speech.py', '--data', data, ...common], { GLIBC_TUNABLES: TORCH_GLIBC_TUNABLES }).trim().split('\n').pop();
  return JSON.parse(line);
}

if (!fs.existsSync(path.join(data, 'manifest.json'))) runOrThrow(process.execPath, ['bin/atrous.js', 'data', 'speech', '--out', data]);
const at = require(path.join(root, 'dist/index.js'));
for (const line of header({ root, threads: Number(values.threads), at, extra: [`torch via ${values.python} (GLIBC_TUNABLES=${TORCH_GLIBC_TUNABLES})`] })) console.log(line);
console.log(`# speech: atrous vs PyTorch, the WaveNet classifier on μ-law audio, corpus ${data}`);
const runs = { atrous: [], torch: [] };
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [name, fn] of [['atrous', () => atrousTrain()], ['torch', torchTrain]]) {
    const res = fn();
    runs[name].push(res);
    console.log(`round ${r + 1} ${name.padEnd(6)}  ${res.samplesPerSecond.toFixed(2)} clips/s  test accuracy ${(100 * res.accuracy).toFixed(1)}%`);
  }
}
const a = median(runs.atrous.map((x) => x.samplesPerSecond));
const t = median(runs.torch.map((x) => x.samplesPerSecond));
console.log(`median training: atrous ${a.toFixed(2)} clips/s, torch ${t.toFixed(2)} clips/s, atrous/torch ${(a / t).toFixed(2)}×`);
console.log(`median test accuracy (held-out voices): atrous ${(100 * median(runs.atrous.map((x) => x.accuracy))).toFixed(1)}%, torch ${(100 * median(runs.torch.map((x) => x.accuracy))).toFixed(1)}%`);

// Streaming: the causal model over every test clip, joined, on one thread.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-bench-listen-'));
try {
  atrousTrain(['--causal'], work);
  const manifest = JSON.parse(fs.readFileSync(path.join(data, 'manifest.json'), 'utf8'));
  const clips = manifest.clips.filter((c) => c.split === 'test').map((c) => readWav(path.join(data, c.file)).samples);
  const joined = new Float32Array(clips.reduce((n, c) => n + c.length, 0));
  clips.reduce((at, c) => (joined.set(c, at), at + c.length), 0);
  const wav = path.join(work, 'test-clips.wav');
  writeWav(wav, joined, manifest.sampleRate);
  const out = runOrThrow(process.execPath, ['bin/atrous.js', 'listen', '--checkpoint', path.join(work, 'checkpoint.safetensors'), '--input', wav, '--threads', '1'], { ATROUS_NUM_THREADS: '1' });
  console.log(`streaming, 1 thread: ${out.trim().split('\n').pop()}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
