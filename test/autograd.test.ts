import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { valuesOf as values } from './helpers/values';


describe('autograd graph', () => {
  it('computes d/dx of a small expression by hand', () => {
    // y = sum((x * w + 1).relu()), x = [1, -2, 3], w = [2, 2, -1]: x*w+1 = [3, -3, -2]
    const x = at.tensor([1, -2, 3], [3], { requiresGrad: true });
    const w = at.tensor([2, 2, -1], [3], { requiresGrad: true });
    const y = x.mul(w).add(1).relu().sum();
    y.backward();
    expect(values(x.grad)).toEqual([2, 0, 0]);
    expect(values(w.grad)).toEqual([1, 0, 0]);
  });

  it('accumulates grads across backward calls, like PyTorch', () => {
    const x = at.tensor([1, 2], [2], { requiresGrad: true });
    x.mul(3).sum().backward();
    x.mul(3).sum().backward();
    expect(values(x.grad)).toEqual([6, 6]);
    x.grad = null;
    x.mul(0.5).sum().backward();
    expect(values(x.grad)).toEqual([0.5, 0.5]);
  });

  it('sums the grads of an input used several times', () => {
    // y = sum(x*x + x - x*2) → dy/dx = 2x + 1 - 2
    const x = at.tensor([1, -3], [2], { requiresGrad: true });
    x.mul(x).add(x).sub(x.mul(2)).sum().backward();
    expect(values(x.grad)).toEqual([1, -7]);
  });

  it('handles a diamond: one intermediate feeding two branches', () => {
    const x = at.tensor([2], [1], { requiresGrad: true });
    const h = x.mul(3); // 6
    const y = h.mul(h).add(h.mul(2)); // h^2 + 2h → dy/dh = 2h + 2 = 14, dy/dx = 42
    y.sum().backward();
    expect(values(x.grad)).toEqual([42]);
  });

  it('does not retain gradients of non-leaf tensors', () => {
    const x = at.tensor([1, 2], [2], { requiresGrad: true });
    const h = x.mul(2);
    h.sum().backward();
    expect(h.grad).toBeNull();
    expect(h.isLeaf).toBe(false);
    expect(h.requiresGrad).toBe(true);
    expect(values(x.grad)).toEqual([2, 2]);
  });

  it('leaves inputs without requiresGrad alone', () => {
    const x = at.tensor([1, 2], [2], { requiresGrad: true });
    const c = at.tensor([5, 6], [2]);
    x.mul(c).sum().backward();
    expect(c.grad).toBeNull();
    expect(values(x.grad)).toEqual([5, 6]);
  });

  it('noGrad records nothing and restores grad mode, even on a throw', () => {
    const x = at.tensor([1], [1], { requiresGrad: true });
    const y = at.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(() => y.sum().backward()).toThrow(/does not require grad/);
    expect(() => at.noGrad(() => { throw new Error('inside'); })).toThrow('inside');
    expect(at.isGradEnabled()).toBe(true);
    expect(x.mul(2).requiresGrad).toBe(true);
    expect(at.noGrad(() => 7)).toBe(7);
  });

  it('detach cuts the graph but shares storage', () => {
    const x = at.tensor([1, 2], [2], { requiresGrad: true });
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    const y = x.mul(d).sum(); // d acts as a constant [2, 4]
    y.backward();
    expect(values(x.grad)).toEqual([2, 4]);
    const view = x.detach();
    (view.storage as Float32Array)[0] = 9;
    expect(x.toFloat32Array()[0]).toBe(9);
  });

  it('backward with an explicit grad, and its checks', () => {
    const x = at.tensor([1, 2, 3], [3], { requiresGrad: true });
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(/one-element/);
    expect(() => y.backward(at.ones([2]))).toThrow(RangeError);
    y.backward(at.tensor([1, 0, -1], [3]));
    expect(values(x.grad)).toEqual([2, 0, -2]);
  });

  it('backward on a leaf accumulates its own grad', () => {
    const x = at.tensor([4], [1], { requiresGrad: true });
    x.backward();
    expect(values(x.grad)).toEqual([1]);
  });

  it('requiresGrad can be changed on leaves only', () => {
    const x = at.ones([2]);
    x.requiresGrad = true;
    const y = x.mul(2);
    expect(() => { y.requiresGrad = false; }).toThrow(/leaf/);
    expect(() => { x.requiresGrad = 'yes' as unknown as boolean; }).toThrow(TypeError);
  });

  it('reshape and flatten pass gradients through', () => {
    const x = at.tensor([1, 2, 3, 4, 5, 6], [1, 2, 3], { requiresGrad: true });
    const w = at.tensor([1, 2, 3, 4, 5, 6], [6]);
    x.flatten(0).reshape([3, 2]).reshape([-1]).mul(w).sum().backward();
    expect(values(x.grad)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(x.grad?.shape).toEqual([1, 2, 3]);
  });

  it('mean spreads 1/n', () => {
    const x = at.tensor([1, 2, 3, 4], [4], { requiresGrad: true });
    x.mean().backward();
    expect(values(x.grad)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('survives a deep chain without overflowing the stack', () => {
    const x = at.tensor([1], [1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = y.add(1);
    y.sum().backward();
    expect(values(x.grad)).toEqual([1]);
  });
});
