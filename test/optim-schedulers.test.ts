// LR schedulers against PyTorch's sequences (two parameter groups, test/fixtures/nn-sched.json), their
// state round trip, and clip_grad_norm_.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { expectRelClose, readFixture, toTensor, type TensorRecord } from './helpers/nn-fixtures';

interface SchedCase {
  scheduler: string;
  opts: Record<string, unknown>;
  lrs: number[][];
}

const fixture = readFixture<{
  schedulers: SchedCase[];
  clip: { grads: TensorRecord[]; cases: { maxNorm: number; totalNorm: number; grads: number[][] }[] };
}>('nn-sched.json');

function optimizer(): at.optim.SGD {
  const ps = [at.zeros([1], { requiresGrad: true }), at.zeros([1], { requiresGrad: true })];
  return new at.optim.SGD([{ params: [ps[0]], lr: 0.1 }, { params: [ps[1]], lr: 0.02 }], { lr: 0.1 });
}

function scheduler(c: SchedCase, opt: at.optim.SGD): at.optim.LRScheduler {
  const o = c.opts as never as Record<string, Record<string, number> & number[]>;
  switch (c.scheduler) {
    case 'StepLR': return new at.optim.StepLR(opt, c.opts as never);
    case 'CosineAnnealingLR': return new at.optim.CosineAnnealingLR(opt, c.opts as never);
    case 'LinearLR': return new at.optim.LinearLR(opt, c.opts);
    default:
      return new at.optim.SequentialLR(opt, {
        schedulers: [new at.optim.LinearLR(opt, o.warmup as never), new at.optim.CosineAnnealingLR(opt, o.cosine as never)],
        milestones: o.milestones,
      });
  }
}

describe('schedulers match PyTorch', () => {
  for (const c of fixture.schedulers) {
    it(`${c.scheduler} ${JSON.stringify(c.opts)}`, () => {
      const opt = optimizer();
      const s = scheduler(c, opt);
      const seq = [opt.paramGroups.map((g) => g.lr)];
      for (let i = 1; i < c.lrs.length; i++) {
        opt.step();
        s.step();
        seq.push(opt.paramGroups.map((g) => g.lr));
      }
      seq.forEach((lrs, i) => expectRelClose(`${c.scheduler} epoch ${i}`, lrs, c.lrs[i], 1e-12));
      expect(s.getLastLr()).toEqual(seq[seq.length - 1]);
    });

    it(`${c.scheduler} resumes from its stateDict`, () => {
      const optA = optimizer();
      const a = scheduler(c, optA);
      for (let i = 0; i < 4; i++) a.step();
      const optB = optimizer();
      const b = scheduler(c, optB);
      optB.loadStateDict(optA.stateDict());
      b.loadStateDict(a.stateDict());
      for (let i = 4; i < c.lrs.length - 1; i++) {
        a.step();
        b.step();
        expect(optB.paramGroups.map((g) => g.lr)).toEqual(optA.paramGroups.map((g) => g.lr));
      }
    });
  }

  it('refuses bad options and a foreign state', () => {
    const opt = optimizer();
    expect(() => new at.optim.StepLR(opt, { stepSize: 0 })).toThrow(/StepLR: opts\.stepSize expects an integer >= 1/);
    expect(() => new at.optim.LinearLR(opt, { startFactor: 2 })).toThrow(/startFactor/);
    const step = new at.optim.StepLR(opt, { stepSize: 2 });
    const cos = new at.optim.CosineAnnealingLR(optimizer(), { tMax: 3 });
    expect(() => step.loadStateDict(cos.stateDict())).toThrow(/expects a StepLR state/);
  });
});

describe('clipGradNorm', () => {
  for (const c of fixture.clip.cases) {
    it(`max norm ${c.maxNorm} as torch.nn.utils.clip_grad_norm_`, () => {
      const ps = fixture.clip.grads.map((g) => {
        const p = at.zeros(g.shape, { requiresGrad: true });
        p.grad = toTensor(g);
        return p;
      });
      const total = at.optim.clipGradNorm(ps, c.maxNorm);
      expect(Math.abs(total - c.totalNorm) / c.totalNorm).toBeLessThan(1e-6);
      ps.forEach((p, i) => expectRelClose(`grad ${i}`, p.grad!.toFloat32Array(), c.grads[i], 1e-6));
    });
  }

  it('is also at.nn.utils.clipGradNorm, skips missing grads and checks arguments', () => {
    expect(at.nn.utils.clipGradNorm).toBe(at.optim.clipGradNorm);
    const p = at.zeros([3], { requiresGrad: true });
    expect(at.optim.clipGradNorm([p], 1)).toBe(0);
    expect(() => at.optim.clipGradNorm([p], -1)).toThrow(/clipGradNorm: maxNorm expects a number >= 0/);
    expect(() => at.optim.clipGradNorm([p], 1, 1)).toThrow(/normType/);
  });
});
