// The addon is context-aware: it loads in worker_threads next to the main thread's copy, and both
// compute. Runs the built package (dist/, which `npm install` builds) inside Workers at once: two and four
// workers each training their own model (and the main thread running forwardAsync meanwhile) end
// bit-identical to the same runs one after another — the shared thread pool's callers take turns without
// changing any result — and 200 workers loading and unloading the addon leave RSS where it was.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { seededValues } from './helpers/values';
import * as at from '../lib';

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'index.js');

// conv1d of [1..5] with [1, 0, -1] at dilation 2: y[0] = x[0] - x[4] = -4 (by hand).
const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const at = require(workerData.entry);
const y = at.conv1d(at.tensor([[[1, 2, 3, 4, 5]]]), at.tensor([[[1, 0, -1]]]), null, { dilation: 2 });
parentPort.postMessage({ shape: y.shape, values: Array.from(y.toFloat32Array()), cpu: at.backend().cpu });
`;

function runWorker(): Promise<{ shape: number[]; values: number[]; cpu: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(workerCode, { eval: true, workerData: { entry } });
    w.once('message', (m: { shape: number[]; values: number[]; cpu: string }) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

describe('worker_threads', () => {
  it('loads the addon in two workers while the main thread uses it too', async () => {
    expect(existsSync(entry), `${entry} is missing: run \`npm run build:ts\``).toBe(true);
    const main = at.conv1d(at.tensor([[[1, 2, 3, 4, 5]]]), at.tensor([[[1, 0, -1]]]), null, { dilation: 2 });
    const results = await Promise.all([runWorker(), runWorker()]);
    for (const r of results) {
      expect(r.shape).toEqual([1, 1, 1]);
      expect(r.values).toEqual([-4]);
      expect(['avx512', 'avx2', 'scalar']).toContain(r.cpu);
    }
    expect(Array.from(main.toFloat32Array())).toEqual([-4]);
  });
});

// Each worker trains its own small dilated conv net with Adam on its own seeded data; the result is
// every parameter's bytes after the last step (and the losses), so any difference shows.
const trainCode = `
const { parentPort, workerData } = require('node:worker_threads');
const at = require(workerData.entry);
at.setNumThreads(2);
at.manualSeed(workerData.seed);
const model = new at.nn.Sequential(
  new at.nn.Conv1d(2, 8, 3, { dilation: 2, padding: 'same' }), new at.nn.ReLU(),
  new at.nn.Conv1d(8, 8, 3, { dilation: 4, padding: 'causal' }), new at.nn.ReLU(),
  new at.nn.Conv1d(8, 1, 1));
const opt = new at.optim.Adam(model.parameters(), { lr: 1e-2 });
const x = at.randn([8, 2, 64]);
const target = at.randn([8, 1, 64]);
const losses = [];
for (let step = 0; step < workerData.steps; step++) {
  opt.zeroGrad();
  const loss = at.mseLoss(model.forward(x), target);
  loss.backward();
  opt.step();
  losses.push(loss.item());
}
const params = model.parameters().map((p) => Buffer.from(p.toFloat32Array().buffer).toString('base64'));
parentPort.postMessage({ params, losses });
`;

interface TrainResult {
  params: string[];
  losses: number[];
}

function trainInWorker(seed: number, steps = 15): Promise<TrainResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(trainCode, { eval: true, workerData: { entry, seed, steps } });
    w.once('message', (m: TrainResult) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

/** The main thread's share: forwardAsync of a fixed conv net over a fixed batch, several times. */
async function mainForwardAsync(rounds: number): Promise<Float32Array[]> {
  at.manualSeed(99);
  const model = new at.nn.Sequential(new at.nn.Conv2d(3, 16, 3, { dilation: 2, padding: 2 }), new at.nn.ReLU(), new at.nn.Conv2d(16, 4, 3, { padding: 1 }));
  const x = at.tensor(seededValues(4 * 3 * 32 * 32, 5), [4, 3, 32, 32]);
  const out: Float32Array[] = [];
  for (let i = 0; i < rounds; i++) out.push(((await model.forwardAsync(x)) as at.Tensor).toFloat32Array());
  return out;
}

describe('worker_threads under contention', () => {
  it.each([2, 4])('%i workers training at once end bit-identical to one after another', async (n) => {
    const seeds = Array.from({ length: n }, (_, i) => 11 + i);
    const alone: TrainResult[] = [];
    for (const s of seeds) alone.push(await trainInWorker(s));
    const mainAlone = await mainForwardAsync(3);
    const [together, mainTogether] = await Promise.all([Promise.all(seeds.map((s) => trainInWorker(s))), mainForwardAsync(3)]);
    together.forEach((r, i) => {
      expect(r.losses, `worker ${i}: losses`).toEqual(alone[i].losses);
      expect(r.params, `worker ${i}: parameters`).toEqual(alone[i].params);
    });
    expect(alone[0].losses.at(-1)).toBeLessThan(alone[0].losses[0]); // it did train
    expect(new Set(alone.map((r) => r.params[0])).size).toBe(n); // and each worker its own model
    mainTogether.forEach((y, i) => expect(y, `main thread forwardAsync ${i}`).toEqual(mainAlone[i]));
  }, 120_000);

  // 80 in CI (WORKER_CYCLES=200 for the count; RELIABILITY.md has its figure).
  const cycles = Number(process.env.WORKER_CYCLES ?? 80);
  it(`loads and unloads the addon in ${cycles} workers without RSS growth`, async () => {
    const warmup = Math.floor(cycles / 5);
    const inFlight = 4;
    let done = 0;
    let rssAfterWarmup = 0;
    const runOne = async () => {
      const r = await runWorker();
      expect(r.values).toEqual([-4]);
      done++;
      if (done === warmup) rssAfterWarmup = process.memoryUsage().rss;
    };
    const lanes = Array.from({ length: inFlight }, async () => {
      while (done + inFlight <= cycles) await runOne();
    });
    await Promise.all(lanes);
    const grown = (process.memoryUsage().rss - rssAfterWarmup) / 2 ** 20;
    console.log(`worker_threads: ${done} workers loaded the addon; RSS grew ${grown.toFixed(1)} MiB after the first ${warmup}`);
    expect(done).toBeGreaterThanOrEqual(cycles - inFlight);
    // A leak of the addon's per-instance state (its thread pool, caches) would grow by MiBs per worker.
    expect(grown).toBeLessThan(64);
  }, 600_000);
});
