// `atrous train` when the numbers blow up (--lr 1e30: the first update makes the weights ~1e27, the
// second step's loss is NaN): by default it stops naming the step; --detect-anomaly also names the op and
// the layer; --on-nonfinite skip drops those steps, counts them per epoch and leaves the saved model finite.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as at from '../lib';
import { EMBEDDED_DIR } from '../lib/data/fashion-mnist';

const root = path.resolve(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-anomaly-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function train(name: string, extra: string[]): { code: number | null; out: string } {
  expect(fs.existsSync(path.join(root, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build:ts`').toBe(true);
  const args = ['train', '--data', EMBEDDED_DIR, '--epochs', '2', '--max-batches', '3', '--batch-size', '16', '--threads', '1',
    '--lr', '1e30', '--out', path.join(dir, name), ...extra];
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'atrous.js'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('atrous train with non-finite steps', () => {
  it('stops by default, naming the step', () => {
    const r = train('stop', []);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('atrous train: training stopped at epoch 1, batch 2 (step 2): the loss is NaN (rerun with --detect-anomaly');
  }, 60_000);

  it('--detect-anomaly names the op and the layer where the first non-finite value appeared', () => {
    const r = train('anomaly', ['--detect-anomaly']);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/atrous train: training stopped at epoch 1, batch 2 \(step 2\): anomaly: \w+ produced .+ in its output in [\w.]+ \(\w+\) of DilatedCnn \(forward\)/);
  }, 60_000);

  it('--on-nonfinite skip drops the steps, reports them per epoch, and saves a finite model', () => {
    const r = train('skip', ['--on-nonfinite', 'skip']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('skipped 2 non-finite step(s); the first at epoch 1, batch 2 (step 2): the loss is NaN');
    expect(r.out).toContain('skipped 3 non-finite step(s); the first at epoch 2, batch 1 (step 4)');
    const saved = at.load(path.join(dir, 'skip', 'checkpoint.safetensors'));
    for (const [name, t] of Object.entries(saved)) {
      expect(t.toFloat32Array().every(Number.isFinite), `${name} is finite (running statistics included)`).toBe(true);
    }
  }, 60_000);

  it('refuses an unknown --on-nonfinite', () => {
    const r = train('bad', ['--on-nonfinite', 'ignore']);
    expect(r.code).toBe(2);
    expect(r.out).toContain("--on-nonfinite expects stop or skip, but got 'ignore'");
  }, 60_000);
});
