// SGD, Adam and AdamW against PyTorch trajectories (test/fixtures/nn-optim.json): the same initial
// parameters and gradients, parameters after each of 5 steps within 1e-5 relative error; parameter
// groups; stateDict/loadStateDict; bad arguments.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { expectRelClose, readFixture, toTensor, type OptimizerClass, type TensorRecord } from './helpers/nn-fixtures';

interface OptimCase {
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  opts: Record<string, unknown>;
  groups?: Record<string, unknown>[];
  steps: number[][][];
}

const fixture = readFixture<{ inits: TensorRecord[]; grads: TensorRecord[][]; cases: OptimCase[] }>('nn-optim.json');

function makeOptimizer(c: OptimCase, params: at.Tensor[]): at.optim.Optimizer<{ lr: number }> {
  const spec = c.groups ? c.groups.map((g, i) => ({ params: [params[i]], ...g })) : params;
  return new (at.optim[c.optimizer] as OptimizerClass)(spec, c.opts);
}

function setGrads(params: at.Tensor[], step: number): void {
  params.forEach((p, i) => {
    p.grad = toTensor(fixture.grads[step][i]);
  });
}

describe('optimizers match PyTorch step by step', () => {
  for (const c of fixture.cases) {
    it(`${c.optimizer} ${JSON.stringify(c.opts)}${c.groups ? ` groups ${JSON.stringify(c.groups)}` : ''}`, () => {
      const params = fixture.inits.map((r) => toTensor(r, true));
      const opt = makeOptimizer(c, params);
      c.steps.forEach((want, step) => {
        setGrads(params, step);
        opt.step();
        params.forEach((p, i) => expectRelClose(`step ${step + 1} param ${i}`, p.toFloat32Array(), want[i], 1e-5));
      });
    });
  }
});

describe('optimizer state', () => {
  it('stateDict/loadStateDict resume a run exactly where it was', () => {
    for (const c of fixture.cases) {
      const unbroken = fixture.inits.map((r) => toTensor(r, true));
      const optA = makeOptimizer(c, unbroken);
      const first = fixture.inits.map((r) => toTensor(r, true));
      const optB = makeOptimizer(c, first);
      for (let s = 0; s < 5; s++) {
        setGrads(unbroken, s);
        optA.step();
      }
      for (let s = 0; s < 2; s++) {
        setGrads(first, s);
        optB.step();
      }
      const saved = optB.stateDict();
      const resumed = first.map((p) => at.tensor(p.toFloat32Array(), [...p.shape], { requiresGrad: true }));
      const optC = makeOptimizer({ ...c, opts: { ...c.opts, lr: 123 } }, resumed);
      optC.loadStateDict(saved);
      for (let s = 2; s < 5; s++) {
        setGrads(resumed, s);
        optC.step();
      }
      resumed.forEach((p, i) => expect(p.toFloat32Array(), `${c.optimizer} param ${i}`).toEqual(unbroken[i].toFloat32Array()));
    }
  });

  it('stateDict has PyTorch layout: state by parameter index, groups listing indices and hyperparameters', () => {
    const params = fixture.inits.map((r) => toTensor(r, true));
    const opt = new at.optim.SGD([{ params: [params[0]] }, { params: [params[1]], lr: 0.01 }], { lr: 0.1, momentum: 0.9 });
    setGrads(params, 0);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.paramGroups).toEqual([
      { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, params: [0] },
      { lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, params: [1] },
    ]);
    expect(Object.keys(sd.state)).toEqual(['0', '1']);
    expect((sd.state[1].momentumBuffer as at.Tensor).shape).toEqual([5]);
  });

  it('a mismatched stateDict throws naming the entry, and changes nothing', () => {
    const params = fixture.inits.map((r) => toTensor(r, true));
    const opt = new at.optim.Adam(params, { lr: 0.01 });
    setGrads(params, 0);
    opt.step();
    const good = opt.stateDict();
    const before = JSON.stringify(opt.stateDict(), (_k, v: unknown) => (v instanceof at.Tensor ? Array.from(v.toFloat32Array()) : v));
    const badShape = { ...good, state: { ...good.state, 1: { ...good.state[1], expAvg: at.zeros([4]) } } };
    expect(() => opt.loadStateDict(badShape)).toThrow(/state\[1\]\.expAvg expects shape \[5\]/);
    expect(() => opt.loadStateDict({ ...good, paramGroups: [...good.paramGroups, good.paramGroups[0]] })).toThrow(/expects 1 groups/);
    const badLr = { ...good, paramGroups: [{ ...good.paramGroups[0], lr: -1 }] };
    expect(() => opt.loadStateDict(badLr)).toThrow(/paramGroups\[0\]\.lr expects a number in \[0, Infinity\], but got -1/);
    const after = JSON.stringify(opt.stateDict(), (_k, v: unknown) => (v instanceof at.Tensor ? Array.from(v.toFloat32Array()) : v));
    expect(after).toBe(before);
  });

  it('parameters without a gradient are left untouched (frozen, even with weight decay)', () => {
    const frozen = at.tensor([1, 2, 3], null, { requiresGrad: true });
    const live = at.tensor([1, 2, 3], null, { requiresGrad: true });
    const opt = new at.optim.AdamW([frozen, live], { lr: 0.1, weightDecay: 0.5 });
    live.grad = at.tensor([1, 1, 1]);
    opt.step();
    expect(Array.from(frozen.toFloat32Array())).toEqual([1, 2, 3]);
    expect(Array.from(live.toFloat32Array())).not.toEqual([1, 2, 3]);
    opt.zeroGrad();
    expect(live.grad).toBeNull();
  });

  it('bad arguments throw naming the optimizer and the option', () => {
    const p = at.zeros([2], { requiresGrad: true });
    expect(() => new at.optim.SGD([p], {} as { lr: number })).toThrow(/SGD: opts\.lr/);
    expect(() => new at.optim.SGD([p], { lr: 0.1, nesterov: true })).toThrow(/nesterov expects momentum > 0/);
    expect(() => new at.optim.Adam([p], { betas: [0.9, 1] })).toThrow(/Adam: paramGroups\[0\]\.betas\[1\] expects a number in \[0, 1\)/);
    expect(() => new at.optim.SGD([p, p], { lr: 0.1 })).toThrow(/more than one place/);
    expect(() => new at.optim.SGD([{ params: [p], lr: 0.1, momentun: 0.9 }] as never, { lr: 0.1 })).toThrow(/momentun is not an option/);
    expect(() => new at.optim.SGD([p.mul(2)], { lr: 0.1 })).toThrow(/expects a leaf tensor/);
    expect(() => new at.optim.AdamW([], {})).toThrow(/non-empty/);
  });
});
