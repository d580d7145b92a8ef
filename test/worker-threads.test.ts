// The addon is context-aware: it loads in worker_threads next to the main thread's copy, and both
// compute. Runs the built package (dist/, which `npm install` builds) inside two Workers at once.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
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
