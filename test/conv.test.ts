// conv1d/conv2d forward values: tiny hand-computed cases, then a naive float64 reference across
// strides, dilations, groups and padding modes; and the async forms.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { conv2dRef, expectClose, type ConvRefParams } from './helpers/reference';
import { seededValues, valuesOf as values } from './helpers/values';


describe('conv1d by hand', () => {
  it('dilation 2 skips every other input', () => {
    const x = at.tensor([[[1, 2, 3, 4, 5]]]);
    const w = at.tensor([[[1, 0, -1]]]);
    const y = at.conv1d(x, w, null, { dilation: 2 });
    expect(y.shape).toEqual([1, 1, 1]);
    expect(values(y)).toEqual([1 - 5]);
  });

  it("'causal' pads d(k-1) on the left only, then strides", () => {
    // padded: [0, 0, 1, 2, 3, 4, 5]; y[j] = 10·p[2j] + 1·p[2j+2]
    const x = at.tensor([[[1, 2, 3, 4, 5]]]);
    const w = at.tensor([[[10, 1]]]);
    const y = at.conv1d(x, w, undefined, { padding: 'causal', dilation: 2, stride: 2 });
    expect(y.shape).toEqual([1, 1, 3]);
    expect(values(y)).toEqual([1, 13, 35]);
  });

  it("'causal' output never depends on later inputs", () => {
    const w = at.tensor(seededValues(2 * 3 * 3, 5), [2, 3, 3]);
    const a = seededValues(3 * 10, 6);
    const b = a.slice();
    b[9] += 1; // change only the last time step of channel 0
    const ya = at.conv1d(at.tensor(a, [1, 3, 10]), w, null, { padding: 'causal', dilation: 3 });
    const yb = at.conv1d(at.tensor(b, [1, 3, 10]), w, null, { padding: 'causal', dilation: 3 });
    expect(ya.shape).toEqual([1, 2, 10]);
    const [va, vb] = [values(ya), values(yb)];
    for (const c of [0, 1]) {
      expect(vb.slice(c * 10, c * 10 + 9)).toEqual(va.slice(c * 10, c * 10 + 9));
      expect(vb[c * 10 + 9]).not.toBe(va[c * 10 + 9]);
    }
  });

  it("'same' with an odd total pad puts the extra on the right", () => {
    // k = 2: total pad 1 → [1, 2, 3, 0]; y = [1 + 20, 2 + 30, 3 + 0]
    const y = at.conv1d(at.tensor([[[1, 2, 3]]]), at.tensor([[[1, 10]]]), null, { padding: 'same' });
    expect(values(y)).toEqual([21, 32, 3]);
  });

  it('bias is added per output channel', () => {
    const y = at.conv1d(at.tensor([[[1, 2]]]), at.tensor([[[1]], [[2]]]), at.tensor([0.5, -1]));
    expect(y.shape).toEqual([1, 2, 2]);
    expect(values(y)).toEqual([1.5, 2.5, 1, 3]);
  });
});

describe('conv2d by hand', () => {
  it('groups apply each filter to its own channels', () => {
    const x = at.tensor([[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]]);
    const w = at.tensor([[[[2]]], [[[-1]]]]);
    const y = at.conv2d(x, w, at.tensor([1, 0.5]), { groups: 2 });
    expect(values(y)).toEqual([3, 5, 7, 9, -4.5, -5.5, -6.5, -7.5]);
  });

  it("'same' odd total pad: extra row at the bottom and column at the right", () => {
    // 2×2 kernel of ones on [[1, 2], [3, 4]] padded to [[1, 2, 0], [3, 4, 0], [0, 0, 0]]
    const y = at.conv2d(at.tensor([[[[1, 2], [3, 4]]]]), at.ones([1, 1, 2, 2]), null, { padding: 'same' });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(values(y)).toEqual([10, 6, 7, 4]);
  });
});

describe('conv2d and conv1d against a naive float64 reference', () => {
  interface Case { x: number[]; w: number[]; opts: at.ConvOptions; ref: ConvRefParams }
  const pads = (top: number, bottom: number, left: number, right: number) => ({ top, bottom, left, right });
  const cases: Case[] = [
    { x: [2, 3, 9, 8], w: [5, 3, 3, 3], opts: { padding: 1 }, ref: { stride: [1, 1], dilation: [1, 1], pads: pads(1, 1, 1, 1), groups: 1 } },
    { x: [1, 4, 12, 11], w: [4, 4, 3, 3], opts: { dilation: [3, 2], padding: [3, 2] }, ref: { stride: [1, 1], dilation: [3, 2], pads: pads(3, 3, 2, 2), groups: 1 } },
    { x: [2, 6, 10, 10], w: [9, 2, 3, 2], opts: { groups: 3, stride: [2, 1], dilation: 2 }, ref: { stride: [2, 1], dilation: [2, 2], pads: pads(0, 0, 0, 0), groups: 3 } },
    { x: [1, 5, 8, 9], w: [5, 1, 3, 3], opts: { groups: 5, padding: 'same', dilation: 4 }, ref: { stride: [1, 1], dilation: [4, 4], pads: pads(4, 4, 4, 4), groups: 5 } },
    { x: [1, 2, 6, 7], w: [3, 2, 2, 4], opts: { padding: 'same', dilation: [1, 3] }, ref: { stride: [1, 1], dilation: [1, 3], pads: pads(0, 1, 4, 5), groups: 1 } },
    { x: [3, 2, 5, 5], w: [2, 2, 5, 5], opts: { stride: 3, padding: 2 }, ref: { stride: [3, 3], dilation: [1, 1], pads: pads(2, 2, 2, 2), groups: 1 } },
  ];
  cases.forEach((c, i) => {
    it(`conv2d case ${i}: x ${c.x} w ${c.w} ${JSON.stringify(c.opts)}`, () => {
      const xv = seededValues(c.x.reduce((a, b) => a * b), 100 + i);
      const wv = seededValues(c.w.reduce((a, b) => a * b), 200 + i);
      const bv = seededValues(c.w[0], 300 + i);
      const y = at.conv2d(at.tensor(xv, c.x), at.tensor(wv, c.w), at.tensor(bv, [c.w[0]]), c.opts);
      const ref = conv2dRef(xv, c.x, wv, c.w, bv, c.ref);
      expect(y.shape).toEqual(ref.shape);
      expectClose(y.toFloat32Array(), ref.y);
    });
  });

  it('conv1d matches the 2-d reference with H = 1 (causal, strided, grouped)', () => {
    const xv = seededValues(2 * 4 * 13, 7);
    const wv = seededValues(6 * 2 * 3, 8);
    const y = at.conv1d(at.tensor(xv, [2, 4, 13]), at.tensor(wv, [6, 2, 3]), null, { padding: 'causal', dilation: 2, stride: 2, groups: 2 });
    const ref = conv2dRef(xv, [2, 4, 1, 13], wv, [6, 2, 1, 3], null, { stride: [1, 2], dilation: [1, 2], pads: { top: 0, bottom: 0, left: 4, right: 0 }, groups: 2 });
    expect(y.shape).toEqual([2, 6, 7]);
    expectClose(y.toFloat32Array(), ref.y);
  });
});

describe('conv async', () => {
  it('conv2dAsync gives the forward values and no graph', async () => {
    const x = at.tensor(seededValues(2 * 3 * 6 * 6, 1), [2, 3, 6, 6], { requiresGrad: true });
    const w = at.tensor(seededValues(4 * 3 * 3 * 3, 2), [4, 3, 3, 3]);
    const b = at.tensor([1, 2, 3, 4], [4]);
    const opts = { dilation: 2, padding: 'same' as const };
    const pending = at.conv2dAsync(x, w, b, opts);
    expect(pending).toBeInstanceOf(Promise);
    const y = await pending;
    expect(y.requiresGrad).toBe(false);
    const ref = conv2dRef(x.toFloat32Array(), [2, 3, 6, 6], w.toFloat32Array(), [4, 3, 3, 3], b.toFloat32Array(),
      { stride: [1, 1], dilation: [2, 2], pads: { top: 2, bottom: 2, left: 2, right: 2 }, groups: 1 });
    expectClose(y.toFloat32Array(), ref.y);
  });

  it('conv1dAsync with causal padding', async () => {
    const y = await at.conv1dAsync(at.tensor([[[1, 2, 3, 4, 5]]]), at.tensor([[[10, 1]]]), null, { padding: 'causal', dilation: 2, stride: 2 });
    expect(values(y)).toEqual([1, 13, 35]);
  });

  it('runs several in parallel', async () => {
    const w = at.ones([1, 1, 3]);
    const ys = await Promise.all([1, 2, 3].map((v) => at.conv1dAsync(at.tensor(new Float32Array(8).fill(v), [1, 1, 8]), w)));
    ys.forEach((y, i) => expect(values(y)).toEqual(new Array(6).fill(3 * (i + 1))));
  });
});
