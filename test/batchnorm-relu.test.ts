// BatchNorm2d followed by ReLU as one op (batchNormRelu2d, which nn.Sequential runs for a
// [BatchNorm2d, ReLU] pair): against PyTorch (test/fixtures/nn-layers.json 'batchnormRelu'), against
// finite differences, and bit for bit against the unfused pair (batchNorm2d then relu) for values,
// gradients and running statistics, in training and eval, with outputs of exactly 0.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { batchNorm2d, batchNormRelu2d, type BatchNormStats } from '../lib/ops/batchnorm';
import { expectArgError } from './helpers/arg-error';
import { gradcheck } from './helpers/gradcheck';
import { expectModuleMatchesCase, type ModuleCase, readFixture } from './helpers/nn-fixtures';
import { seededValues } from './helpers/values';

interface BnReluCase extends ModuleCase {
  layer: { type: 'BatchNorm2d'; args: [number, at.nn.BatchNormOptions?] };
}

const fixture = readFixture<{ batchnormRelu: BnReluCase[] }>('nn-layers.json');
const TOL = 1e-5;

let seed = 50;
const rnd = (shape: number[], lo = -1, hi = 1) => at.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed++, lo, hi), shape);
const bits = (t: at.Tensor | null) => (t === null ? null : new Uint32Array(t.toFloat32Array().buffer));

describe('BatchNorm2d + ReLU in a Sequential match PyTorch', () => {
  for (const c of fixture.batchnormRelu) {
    it(`${c.name}: forward, backward and state`, () => {
      const model = new at.nn.Sequential(new at.nn.BatchNorm2d(...c.layer.args), new at.nn.ReLU());
      const y = expectModuleMatchesCase(model, c, TOL);
      expect(y.gradFn?.op, 'the pair ran as one op').toBe('batchNormRelu2d');
    });
  }
});

describe('batchNormRelu2d', () => {
  // Runs op on copies of the inputs and statistics; returns the output, the gradients and the statistics after.
  function run(op: typeof batchNorm2d, train: boolean, x: at.Tensor, weight: at.Tensor | null, bias: at.Tensor | null,
    stats: BatchNormStats, dy: at.Tensor) {
    const leaf = (t: at.Tensor | null) => (t === null ? null : at.tensor(t.toFloat32Array(), [...t.shape], { requiresGrad: true }));
    const copy = (t: at.Tensor | null) => (t === null ? null : at.tensor(t.toFloat32Array(), [...t.shape]));
    const [xs, w, b] = [leaf(x)!, leaf(weight), leaf(bias)];
    const s = { runningMean: copy(stats.runningMean), runningVar: copy(stats.runningVar) };
    let y = op(xs, w, b, s, train, 0.1, 1e-5);
    if (op === batchNorm2d) y = at.relu(y);
    y.backward(dy);
    return { y, dx: xs.grad, dw: w?.grad ?? null, db: b?.grad ?? null, rm: s.runningMean, rv: s.runningVar };
  }

  function expectSameBits(label: string, got: ReturnType<typeof run>, want: ReturnType<typeof run>) {
    for (const k of ['y', 'dx', 'dw', 'db', 'rm', 'rv'] as const) expect(bits(got[k]), `${label}: ${k}`).toEqual(bits(want[k]));
  }

  for (const train of [true, false]) {
    const mode = train ? 'train' : 'eval';
    it(`${mode}: the same bits as batchNorm2d then relu (values, gradients, running statistics; H·W with a tail)`, () => {
      const x = rnd([3, 4, 5, 7], -2, 3);
      const stats = { runningMean: rnd([4]), runningVar: rnd([4], 0.5, 2) };
      const [w, b, dy] = [rnd([4], -1.5, 1.5), rnd([4]), rnd([3, 4, 5, 7])];
      const fused = run(batchNormRelu2d, train, x, w, b, stats, dy);
      expect(fused.y.gradFn?.op).toBe('batchNormRelu2d');
      expectSameBits(mode, fused, run(batchNorm2d, train, x, w, b, stats, dy));
      expectSameBits(`${mode} no affine`, run(batchNormRelu2d, train, x, null, null, stats, dy), run(batchNorm2d, train, x, null, null, stats, dy));
    });

    it(`${mode}: batch-norm outputs of exactly 0 pass no gradient, as relu's backward`, () => {
      // Each row of x sums to 0 (mean exactly 0) and x = 0 normalises to exactly 0 with bias 0.
      const row = [-1, 0, 1, 0, 2, -2];
      const x = at.tensor(Array.from({ length: 2 * 3 * 12 }, (_, i) => row[i % 6]), [2, 3, 3, 4]);
      const stats = { runningMean: at.zeros([3]), runningVar: rnd([3], 0.5, 2) };
      const [w, b, dy] = [rnd([3], 0.5, 1.5), at.zeros([3]), rnd([2, 3, 3, 4])];
      const fused = run(batchNormRelu2d, train, x, w, b, stats, dy);
      const zeros = fused.y.toFloat32Array().filter((v) => v === 0).length;
      expect(zeros).toBeGreaterThanOrEqual(2 * 3 * 12 / 2); // the 0s and the negatives
      expectSameBits(`${mode} ties`, fused, run(batchNorm2d, train, x, w, b, stats, dy));
    });

    it(`${mode}: gradients of x, weight and bias match finite differences`, () => {
      // Inputs whose batch-norm outputs keep clear of 0, so that a difference step never crosses the
      // kink: the first seeds from 500 on that give them (a deterministic search).
      const stats = { runningMean: rnd([3]), runningVar: rnd([3], 0.5, 2) };
      const [w, b] = [rnd([3], 0.5, 1.5), rnd([3], -0.5, 0.5)];
      const clearance = (x: at.Tensor) => Math.min(...at.noGrad(() => batchNorm2d(x, w, b,
        train ? { runningMean: null, runningVar: null } : stats, train, 0, 1e-5)).toFloat32Array().map(Math.abs));
      const seedClear = Array.from({ length: 100 }, (_, k) => 500 + k)
        .find((k) => clearance(at.tensor(seededValues(54, k, -2, 2), [2, 3, 3, 3])) > 0.02);
      expect(seedClear, 'no seed in 500..599 keeps clear of the kink').toBeDefined();
      const x = at.tensor(seededValues(54, seedClear!, -2, 2), [2, 3, 3, 3]);
      // Statistics copied per call: the training forward moves them, and gradcheck calls it many times.
      const f = (xs: at.Tensor, ws: at.Tensor, bs: at.Tensor) => batchNormRelu2d(xs, ws, bs,
        { runningMean: at.tensor(stats.runningMean.toFloat32Array(), [3]), runningVar: at.tensor(stats.runningVar.toFloat32Array(), [3]) },
        train, 0.1, 1e-5);
      gradcheck(`batchNormRelu2d ${mode}`, f, [x, w, b], { eps: 1e-3 });
    });
  }

  it('bad inputs: errors name batchNormRelu2d and change nothing', () => {
    const stats = { runningMean: at.zeros([3]), runningVar: at.ones([3]) };
    const x = rnd([2, 3, 2, 2]);
    expectArgError(() => batchNormRelu2d(rnd([2, 3, 4]), null, null, stats, true, 0.1, 1e-5), RangeError, 'batchNormRelu2d', 'x', [stats.runningMean]);
    expectArgError(() => batchNormRelu2d(x, rnd([4]), null, stats, true, 0.1, 1e-5), RangeError, 'batchNormRelu2d', 'channels', [stats.runningMean]);
    expectArgError(() => batchNormRelu2d(rnd([1, 3, 1, 1]), null, null, stats, true, 0.1, 1e-5), RangeError, 'batchNormRelu2d', 'more than 1 value', [stats.runningVar]);
    expect(() => batchNormRelu2d(x, null, null, { runningMean: null, runningVar: null }, false, 0, 1e-5)).toThrow(/^batchNormRelu2d: eval mode needs running statistics/);
    expectArgError(() => batchNormRelu2d('x' as unknown as at.Tensor, null, null, stats, true, 0.1, 1e-5), TypeError, 'batchNormRelu2d', 'x');
  });
});

describe('Sequential fuses [BatchNorm2d, ReLU] invisibly', () => {
  // [Conv, BN, ReLU] twice, the second BN with a cumulative average (momentum null).
  function model() {
    return new at.nn.Sequential(
      new at.nn.Conv2d(2, 4, 3, { padding: 1, bias: false }), new at.nn.BatchNorm2d(4), new at.nn.ReLU(),
      new at.nn.Conv2d(4, 3, 3, { padding: 2, dilation: 2 }), new at.nn.BatchNorm2d(3, { momentum: null }), new at.nn.ReLU());
  }
  // The same modules one at a time: each its own forward, nothing fused.
  const unfused = (m: at.nn.Sequential, x: at.Tensor) => m.children().reduce((out: at.Tensor, layer) => layer.forward(out) as at.Tensor, x);

  function pair() {
    at.manualSeed(3);
    const fusedModel = model();
    const plain = model();
    plain.loadStateDict(fusedModel.stateDict());
    return { fusedModel, plain };
  }

  function step(m: at.nn.Sequential, forward: (x: at.Tensor) => at.Tensor, input: at.Tensor, dy: at.Tensor) {
    m.zeroGrad();
    const x = at.tensor(input.toFloat32Array(), [...input.shape], { requiresGrad: true });
    const y = forward(x);
    y.backward(dy);
    return { y, dx: x.grad! };
  }

  function expectSameModels(label: string, a: at.nn.Sequential, b: at.nn.Sequential) {
    const [pa, pb] = [Object.fromEntries(a.namedParameters()), Object.fromEntries(b.namedParameters())];
    for (const k of Object.keys(pa)) expect(bits(pa[k].grad), `${label}: ${k}.grad`).toEqual(bits(pb[k].grad));
    const [sa, sb] = [a.stateDict(), b.stateDict()];
    for (const k of Object.keys(sa)) expect(bits(sa[k]), `${label}: ${k}`).toEqual(bits(sb[k]));
  }

  for (const train of [true, false]) {
    it(`${train ? 'train' : 'eval'}: outputs, gradients, running statistics and num_batches_tracked as the separate modules`, () => {
      const { fusedModel, plain } = pair();
      for (let s = 0; s < 3; s++) {
        const x = rnd([4, 2, 6, 5], -2, 2);
        const dy = rnd([4, 3, 6, 5]);
        fusedModel.train(train);
        plain.train(train);
        const a = step(fusedModel, (t) => fusedModel.forward(t) as at.Tensor, x, dy);
        const b = step(plain, (t) => unfused(plain, t), x, dy);
        expect(a.y.gradFn?.op).toBe('batchNormRelu2d');
        expect(b.y.gradFn?.op).toBe('relu');
        expect(bits(a.y), `step ${s}: output`).toEqual(bits(b.y));
        expect(bits(a.dx), `step ${s}: input grad`).toEqual(bits(b.dx));
        expectSameModels(`step ${s}`, fusedModel, plain);
      }
      const bn = fusedModel.at(4) as at.nn.BatchNorm2d;
      expect(bn.numBatchesTracked!.item()).toBe(train ? 3 : 0);
    });
  }

  it('does not fuse a subclass, a shadowed forward (summary), or a pair out of order', () => {
    class LoudReLU extends at.nn.ReLU {}
    const x = rnd([2, 2, 4, 4]);
    const bnThen = (r: at.nn.Module) => new at.nn.Sequential(new at.nn.BatchNorm2d(2), r);
    const withGrad = at.tensor(x.toFloat32Array(), [...x.shape], { requiresGrad: true });
    expect((bnThen(new at.nn.ReLU()).forward(withGrad) as at.Tensor).gradFn?.op).toBe('batchNormRelu2d');
    expect((bnThen(new LoudReLU()).forward(withGrad) as at.Tensor).gradFn?.op).toBe('relu');
    const reluFirst = new at.nn.Sequential(new at.nn.ReLU(), new at.nn.BatchNorm2d(2));
    expect((reluFirst.forward(withGrad) as at.Tensor).gradFn?.op).toBe('batchNorm2d');

    // summary() shadows each module's forward to record it: both layers keep their rows.
    const rows = bnThen(new at.nn.ReLU()).summary([2, 2, 4, 4]).rows.map((r) => r.type);
    expect(rows).toEqual(['BatchNorm2d', 'ReLU']);
  });

  it('BatchNorm2d.forwardThenRelu (a model block\'s bn-relu): fused, the same bits as forward then relu; a subclass is not fused', () => {
    const x = rnd([3, 2, 5, 4], -2, 2);
    const dy = rnd([3, 2, 5, 4]);
    const run = (bn: at.nn.BatchNorm2d, f: (t: at.Tensor) => at.Tensor) => {
      const t = at.tensor(x.toFloat32Array(), [...x.shape], { requiresGrad: true });
      const y = f(t);
      y.backward(dy);
      return { y, dx: t.grad!, dw: bn.weight!.grad!, mean: bn.runningMean! };
    };
    const [fusedBn, plainBn] = [new at.nn.BatchNorm2d(2), new at.nn.BatchNorm2d(2)];
    const a = run(fusedBn, (t) => fusedBn.forwardThenRelu(t));
    const b = run(plainBn, (t) => plainBn.forward(t).relu());
    expect(a.y.gradFn?.op).toBe('batchNormRelu2d');
    for (const k of ['y', 'dx', 'dw', 'mean'] as const) expect(bits(a[k]), k).toEqual(bits(b[k]));
    class QuietBatchNorm2d extends at.nn.BatchNorm2d {}
    const sub = new QuietBatchNorm2d(2);
    expect(run(sub, (t) => sub.forwardThenRelu(t)).y.gradFn?.op).toBe('relu');
  });

  it('errors from a fused pair still name the op and the shapes', () => {
    const m = new at.nn.Sequential(new at.nn.BatchNorm2d(3), new at.nn.ReLU());
    expect((): unknown => m.forward(at.zeros([2, 4, 3, 3]))).toThrow(/x expects 3 channels.*\[2, 4, 3, 3\]/);
    expect((m.at(0) as at.nn.BatchNorm2d).numBatchesTracked!.item()).toBe(0);
  });
});
