// The global seeded stream: manualSeed reproduces rand, randn and dropout exactly.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { valuesOf as values } from './helpers/values';

describe('seeded randomness', () => {
  it('manualSeed replays the same sequence', () => {
    at.manualSeed(123);
    const a = [at.rand([50]), at.randn([3, 7]), at.dropout(at.ones([40]), 0.5, true)].map((t) => t.toFloat32Array());
    at.manualSeed(123);
    const b = [at.rand([50]), at.randn([3, 7]), at.dropout(at.ones([40]), 0.5, true)].map((t) => t.toFloat32Array());
    expect(b).toEqual(a);
  });

  it('successive draws differ, and another seed differs', () => {
    at.manualSeed(5);
    const first = at.rand([64]).toFloat32Array();
    const second = at.rand([64]).toFloat32Array();
    expect(second).not.toEqual(first);
    at.manualSeed(6);
    expect(at.rand([64]).toFloat32Array()).not.toEqual(first);
  });

  it('rand is in [0, 1) with a plausible mean; randn has mean ~0 and std ~1', () => {
    at.manualSeed(0);
    const u = at.rand([20000]).toFloat32Array();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((a, b) => a + b, 0) / u.length - 0.5)).toBeLessThan(0.01);
    const n = at.randn([20000]).toFloat32Array();
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    const variance = n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(variance) - 1)).toBeLessThan(0.03);
  });

  it('manualSeed checks its argument', () => {
    expect(() => at.manualSeed(-1)).toThrow(RangeError);
    expect(() => at.manualSeed(1.5)).toThrow(/manualSeed: n/);
    expect(() => at.manualSeed('1' as unknown as number)).toThrow(TypeError);
  });
});

describe('dropout', () => {
  it('keeps elements with probability 1-p, scaled by 1/(1-p)', () => {
    at.manualSeed(1);
    const y = at.dropout(at.ones([10000]), 0.25, true).toFloat32Array();
    const kept = y.filter((v) => v !== 0);
    kept.forEach((v) => expect(v).toBeCloseTo(1 / 0.75, 6));
    expect(Math.abs(kept.length / y.length - 0.75)).toBeLessThan(0.02);
  });

  it('is the identity when not training or p = 0, and zeros at p = 1', () => {
    const x = at.tensor([1, 2, 3], [3], { requiresGrad: true });
    expect(at.dropout(x, 0.5, false)).toBe(x);
    expect(at.dropout(x, 0, true)).toBe(x);
    const z = at.dropout(x, 1, true);
    expect(values(z)).toEqual([0, 0, 0]);
    z.sum().backward();
    expect(values(x.grad)).toEqual([0, 0, 0]);
  });
});
