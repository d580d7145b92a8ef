// The TCN tasks at chosen lengths and shapes (issue 20): --seq-len, --levels/--channels/--kernel-size,
// --weight-norm, --init, the paper's presets, --clip-grad-norm, seq-fashion-mnist (with --permute) on the
// embedded subset; what the checkpoint keeps, and the refusals (each names the flag and both values).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as at from '../lib';
import { EMBEDDED_DIR, loadSplit } from '../lib/data/fashion-mnist';
import { main } from '../lib/cli/main';
import { readRunState, train } from '../lib/cli/train';
import { applyPreset, PRESETS } from '../lib/cli/tasks/presets';
import { makeTask, type SequenceSpec } from '../lib/cli/tasks';
import { permutePixels, pixelPermutation, PERMUTATION_SEED } from '../lib/cli/tasks/seq-fashion-mnist';
import { Tcn } from '../lib/models/tcn';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-tcn-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true));
  try {
    const code = await main(args, (l) => lines.push(l));
    return { code, out: lines.join('\n'), err: errors.join('') };
  } finally {
    process.stderr.write = write;
  }
}

const base = { data: undefined, epochs: 1, batchSize: 4, lr: 2e-3, maxBatches: 2, seed: 3, augment: false };

describe('TCN tasks: sequence length and model from the command line, kept in the checkpoint', () => {
  it('adding at --seq-len 30 with a chosen TCN: the spec is kept, eval agrees, resume and eval refuse another length', async () => {
    const out = path.join(dir, 'adding');
    const r = await cli('train', '--task', 'adding', '--seq-len', '30', '--levels', '2', '--channels', '6', '--kernel-size', '3', '--weight-norm',
      '--clip-grad-norm', '0.5', '--epochs', '1', '--max-batches', '3', '--batch-size', '8', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('the adding problem, T=30');
    expect(r.out).toContain('TCN 2 levels × 6 channels, kernel 3, weight norm, receptive field 13 (shorter than T');
    const file = path.join(out, 'checkpoint.safetensors');
    const run = readRunState(file);
    expect(run.spec).toEqual({ seqLen: 30, levels: 2, channels: 6, kernelSize: 3, weightNorm: true, init: 'default' } satisfies SequenceSpec);
    expect(run.config.clipGradNorm).toBe(0.5);
    const names = Object.keys(at.load(file)).filter((k) => k.startsWith('model.blocks.0.conv1'));
    expect(names.sort()).toEqual(['model.blocks.0.conv1.bias', 'model.blocks.0.conv1.weight_g', 'model.blocks.0.conv1.weight_v']);

    const ev = await cli('eval', '--checkpoint', file, '--seq-len', '30');
    expect(ev.code, ev.err).toBe(0);
    expect(ev.out).toContain('T=30');
    const bad = await cli('eval', '--checkpoint', file, '--seq-len', '600');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("--seq-len 600 was given, but the checkpoint's adding model was trained with --seq-len 30");
    const resumed = await cli('train', '--resume', file, '--seq-len', '40', '--epochs', '2');
    expect(resumed.code).toBe(1);
    expect(resumed.err).toContain("--seq-len 40 was given, but the checkpoint's adding model was trained with --seq-len 30");
    const otherModel = await cli('train', '--resume', file, '--channels', '8', '--epochs', '2');
    expect(otherModel.err).toContain('--channels 8 was given, but the checkpoint');
    // The same values pass, and resume continues at T=30 with the checkpoint's clip.
    const ok = await cli('train', '--resume', file, '--seq-len', '30', '--epochs', '2');
    expect(ok.code, ok.err).toBe(0);
    expect(readRunState(file).history).toHaveLength(2);
    expect(readRunState(file).config.clipGradNorm).toBe(0.5);
  });

  it('copy-memory refuses a --seq-len below its minimum; flags a task has no use for are refused', async () => {
    const r = await cli('train', '--task', 'copy-memory', '--seq-len', '0', '--out', path.join(dir, 'x'));
    expect(r.code).toBe(2);
    expect(r.err).toContain("--seq-len expects an integer >= 1, but got '0'");
    const opts = { batchSize: 2, seed: 0, augment: false, maxBatches: 1 };
    expect(() => makeTask('adding', { ...opts, sequence: { seqLen: 1 } })).toThrow('--seq-len expects an integer >= 2 for --task adding (one marked value in each half), but got 1');
    expect(() => makeTask('adding', { ...opts, sequence: { permute: true } })).toThrow('--permute does not apply to --task adding');
    expect(() => makeTask('seq-fashion-mnist', { ...opts, data: EMBEDDED_DIR, sequence: { seqLen: 100 } })).toThrow('--seq-len does not apply to --task seq-fashion-mnist (its length is fixed at 784)');
    expect(() => makeTask('fashion-mnist', { ...opts, data: EMBEDDED_DIR, sequence: { levels: 3 } })).toThrow('--levels applies to --task adding, copy-memory, seq-fashion-mnist, but --task is fashion-mnist');
    const copy = makeTask('copy-memory', { ...opts, sequence: { seqLen: 5, levels: 2, channels: 4, kernelSize: 2 } });
    expect(copy.summaryShape).toEqual([1, 10, 25]);
    const init = await cli('train', '--task', 'adding', '--init', 'xavier', '--max-batches', '1', '--out', path.join(dir, 'y'));
    expect(init.err).toContain("--init expects one of default, paper, normal, but got 'xavier'");
  });

  it("presets set the paper's configurations; a conflicting flag is refused naming both values", async () => {
    expect(applyPreset('tcn-adding-600', { sequence: {} })).toEqual({
      task: 'adding', sequence: { seqLen: 600, levels: 8, channels: 24, kernelSize: 8, weightNorm: true, init: 'paper' }, batchSize: 32, lr: 2e-3, clipGradNorm: undefined,
    });
    expect(applyPreset('tcn-copy-1000', { sequence: { seqLen: 1000 }, lr: 5e-4 }).clipGradNorm).toBe(1);
    expect(applyPreset('tcn-seq-mnist', { sequence: {} }).task).toBe('seq-fashion-mnist');
    const adding = makeTask('adding', { batchSize: 2, seed: 0, augment: false, maxBatches: 1, sequence: PRESETS['tcn-adding-600'].sequence });
    const params = adding.model.parameters().reduce((n, p) => n + p.numel, 0);
    expect(params).toBeGreaterThan(65000); // the paper: ~70K
    expect(params).toBeLessThan(75000);
    expect((adding.model as Tcn).receptiveField).toBeGreaterThanOrEqual(600);
    const r = await cli('train', '--preset', 'tcn-adding-600', '--seq-len', '200', '--out', path.join(dir, 'z'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('--preset tcn-adding-600 sets --seq-len 600, but --seq-len 200 was given (drop one of them)');
    const t = await cli('train', '--preset', 'tcn-copy-1000', '--task', 'adding', '--out', path.join(dir, 'z'));
    expect(t.err).toContain('--preset tcn-copy-1000 sets --task copy-memory, but --task adding was given');
    const c = await cli('train', '--preset', 'tcn-copy-1000', '--clip-grad-norm', '5', '--out', path.join(dir, 'z'));
    expect(c.err).toContain('--preset tcn-copy-1000 sets --clip-grad-norm 1, but --clip-grad-norm 5 was given');
    const u = await cli('train', '--preset', 'tcn-mnist', '--out', path.join(dir, 'z'));
    expect(u.err).toContain("--preset expects one of tcn-adding-600, tcn-copy-1000, tcn-seq-mnist, but got 'tcn-mnist'");
  });

  it("--init paper and normal draw N(0, 0.01) where the paper's code does", () => {
    at.manualSeed(4);
    const std = (t: at.Tensor) => Math.sqrt(t.toFloat32Array().reduce((a, v) => a + v * v, 0) / t.numel);
    const wide = { inChannels: 30, hidden: 40, levels: 1, kernel: 8, outputs: 1, readout: 'last' as const };
    const paper = new Tcn({ ...wide, weightNorm: true, init: 'paper' });
    expect(std(paper.head.weight)).toBeCloseTo(0.01, 2);
    expect(std(paper.blocks[0].downsample!.weight)).toBeCloseTo(0.01, 2);
    // Weight norm keeps conv1's default draw (uniform on ±1/√fan_in: std 1/√(3·240) ≈ 0.037), as locuslab/TCN's code in effect.
    expect(std(paper.blocks[0].conv1.weight)).toBeCloseTo(1 / Math.sqrt(3 * 240), 2);
    const normal = new Tcn({ ...wide, weightNorm: true, init: 'normal' });
    expect(std(normal.blocks[0].conv1.weight)).toBeCloseTo(0.01, 2);
  });
});

describe('seq-fashion-mnist: 784-pixel sequences on the embedded subset', () => {
  it('the permutation is a fixed bijection of the 784 pixels, and permutePixels moves each pixel there', () => {
    const p = pixelPermutation(784, PERMUTATION_SEED);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 784 }, (_, i) => i));
    expect([...pixelPermutation(784, PERMUTATION_SEED)]).toEqual([...p]);
    expect([...p.subarray(0, 20)]).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    const ds = loadSplit(EMBEDDED_DIR, 'test');
    const moved = permutePixels(ds, p);
    for (const [img, t] of [[0, 0], [3, 500], [ds.count - 1, 783]]) expect(moved.images[img * 784 + t]).toBe(ds.images[img * 784 + p[t]]);
  });

  it('trains a few batches (the loss is finite), keeps --permute and its seed, and eval reads the same order', async () => {
    const out = path.join(dir, 'seq');
    const r = await train({ ...base, task: 'seq-fashion-mnist', data: EMBEDDED_DIR, out, sequence: { levels: 2, channels: 4, kernelSize: 3, permute: true } }, { print: () => {} });
    expect(r.history).toHaveLength(1);
    expect(Number.isFinite(r.history[0].trainLoss)).toBe(true);
    expect(r.history[0].metricName).toBe('accuracy');
    const run = readRunState(r.checkpoint);
    expect(run.spec).toMatchObject({ seqLen: 784, levels: 2, channels: 4, kernelSize: 3, permute: true, permutationSeed: PERMUTATION_SEED });
    const ev = await cli('eval', '--checkpoint', r.checkpoint, '--data', EMBEDDED_DIR);
    expect(ev.code, ev.err).toBe(0);
    expect(ev.out).toContain(`permuted (fixed order, seed ${PERMUTATION_SEED})`);
    expect(ev.out).toMatch(/test accuracy [\d.]+%/);
    expect(ev.out).toContain(`${(100 * r.history[0].metric).toFixed(2)}%`);
  });
});
