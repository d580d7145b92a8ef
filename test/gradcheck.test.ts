// Finite-difference gradient checks for every op, on small shapes, including the dilation,
// stride, group and padding cases whose index arithmetic is easiest to get wrong.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { channelsLast, lastStep } from '../lib/ops/sequence';
import { gradcheck } from './helpers/gradcheck';
import { distinctValues, seededValues } from './helpers/values';

let seed = 1;
const rnd = (shape: number[]) => at.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed++), shape);
const distinct = (shape: number[]) => at.tensor(distinctValues(shape.reduce((a, b) => a * b, 1), seed++), shape);

describe('gradcheck: conv2d', () => {
  const cases: { name: string; x: number[]; w: number[]; bias: boolean; opts: at.ConvOptions }[] = [
    { name: 'plain, padding 1', x: [2, 3, 5, 6], w: [4, 3, 3, 3], bias: true, opts: { padding: 1 } },
    { name: 'dilated, padding [2, 1]', x: [1, 2, 7, 7], w: [3, 2, 3, 2], bias: true, opts: { dilation: 2, padding: [2, 1] } },
    { name: 'strided, per-axis dilation', x: [1, 2, 7, 9], w: [2, 2, 2, 3], bias: false, opts: { stride: [2, 3], dilation: [1, 2], padding: 1 } },
    { name: 'groups 2, dilation 2', x: [1, 4, 6, 6], w: [6, 2, 3, 3], bias: true, opts: { groups: 2, dilation: 2, padding: 2 } },
    { name: 'depthwise, stride 2', x: [2, 3, 7, 6], w: [3, 1, 3, 3], bias: true, opts: { groups: 3, stride: 2, dilation: 2 } },
    { name: "'same', odd total pad", x: [1, 2, 5, 6], w: [2, 2, 2, 4], bias: true, opts: { padding: 'same', dilation: [3, 1] } },
    { name: "'valid'", x: [1, 1, 4, 5], w: [2, 1, 2, 2], bias: false, opts: { padding: 'valid' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const inputs = [rnd(c.x), rnd(c.w), ...(c.bias ? [rnd([c.w[0]])] : [])];
      gradcheck(`conv2d ${c.name}`, (x, w, b) => at.conv2d(x, w, b, c.opts), inputs);
    });
  }
});

describe('gradcheck: conv1d', () => {
  const cases: { name: string; x: number[]; w: number[]; bias: boolean; opts: at.ConvOptions }[] = [
    { name: 'dilated', x: [2, 3, 11], w: [2, 3, 3], bias: true, opts: { dilation: 3, padding: 1 } },
    { name: 'strided', x: [1, 2, 10], w: [3, 2, 4], bias: true, opts: { stride: 3 } },
    { name: 'groups', x: [1, 4, 8], w: [4, 2, 3], bias: true, opts: { groups: 2, dilation: 2 } },
    { name: "'same' with an even kernel (odd total pad)", x: [1, 2, 7], w: [3, 2, 4], bias: true, opts: { padding: 'same', dilation: 1 } },
    { name: "'causal', dilation 2, stride 2", x: [2, 2, 9], w: [3, 2, 3], bias: true, opts: { padding: 'causal', dilation: 2, stride: 2 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const inputs = [rnd(c.x), rnd(c.w), ...(c.bias ? [rnd([c.w[0]])] : [])];
      gradcheck(`conv1d ${c.name}`, (x, w, b) => at.conv1d(x, w, b, c.opts), inputs);
    });
  }
});

describe('gradcheck: linear, activations, pools', () => {
  it('linear', () => gradcheck('linear', (x, w, b) => at.linear(x, w, b), [rnd([3, 4]), rnd([5, 4]), rnd([5])]));
  it('linear with leading dims, no bias', () => gradcheck('linear 3-d', (x, w) => at.linear(x, w), [rnd([2, 3, 4]), rnd([2, 4])]));
  it('relu', () => gradcheck('relu', (x) => at.relu(x), [distinct([3, 7])]));
  it('maxPool2d, kernel 2', () => gradcheck('maxPool2d k2', (x) => at.maxPool2d(x, 2), [distinct([2, 2, 4, 6])]));
  it('maxPool2d, kernel 3 stride 2 padding 1', () =>
    gradcheck('maxPool2d k3s2p1', (x) => at.maxPool2d(x, 3, 2, 1), [distinct([1, 2, 5, 7])]));
  it('avgPool2d, kernel 3 stride 2 padding 1', () =>
    gradcheck('avgPool2d k3s2p1', (x) => at.avgPool2d(x, 3, 2, 1), [rnd([1, 2, 5, 7])]));
  it('avgPool2d, kernel [2, 3] stride [1, 2]', () =>
    gradcheck('avgPool2d', (x) => at.avgPool2d(x, [2, 3], [1, 2]), [rnd([2, 1, 4, 7])]));
  it('adaptiveAvgPool2d, overlapping windows', () =>
    gradcheck('adaptiveAvgPool2d', (x) => at.adaptiveAvgPool2d(x, [3, 4]), [rnd([1, 2, 5, 7])]));
  it('adaptiveAvgPool2d, output larger than input', () =>
    gradcheck('adaptiveAvgPool2d up', (x) => at.adaptiveAvgPool2d(x, [3, 3]), [rnd([1, 1, 2, 2])]));
  it('dropout (same mask for every probe)', () =>
    gradcheck('dropout', (x) => { at.manualSeed(11); return at.dropout(x, 0.3, true); }, [rnd([4, 5])]));
});

describe('gradcheck: losses and tensor methods', () => {
  it('crossEntropy', () =>
    gradcheck('crossEntropy', (x) => at.crossEntropy(x, [0, 3, 4, 1]), [rnd([4, 5]).mul(3)], { eps: 5e-3 }));
  it('crossEntropy with Int32Array targets', () =>
    gradcheck('crossEntropy', (x) => at.crossEntropy(x, new Int32Array([2, 0])), [rnd([2, 3])], { eps: 5e-3 }));
  it('mseLoss', () => gradcheck('mseLoss', (a, b) => at.mseLoss(a, b), [rnd([3, 4]), rnd([3, 4])]));
  it('add, sub, mul (tensor and number)', () =>
    gradcheck('arith', (a, b) => a.mul(b).add(a).sub(b.mul(1.5)).add(2).sub(0.5).mul(a), [rnd([2, 3]), rnd([2, 3])]));
  it('sum and mean', () =>
    gradcheck('reductions', (a) => a.mul(a).sum().add(a.mean().mul(3)), [rnd([2, 5])]));
  it('reshape and flatten', () =>
    gradcheck('views', (a, w) => a.reshape([6, -1]).flatten(0).mul(w), [rnd([2, 3, 2]), rnd([12])]));
});

describe('sequence layout ops (lib/models/sequence-ops)', () => {
  it('channelsLast moves x[n, c, l] to row n·L + l, column c; lastStep picks x[:, :, L-1]', () => {
    const [n, c, l] = [2, 3, 5];
    const x = distinct([n, c, l]);
    const v = x.toFloat32Array();
    const y = channelsLast(x);
    expect(y.shape).toEqual([n * l, c]);
    const yv = y.toFloat32Array();
    const last = lastStep(x).toFloat32Array();
    for (let s = 0; s < n; s++)
      for (let ch = 0; ch < c; ch++) {
        for (let t = 0; t < l; t++) expect(yv[(s * l + t) * c + ch]).toBe(v[(s * c + ch) * l + t]);
        expect(last[s * c + ch]).toBe(v[(s * c + ch) * l + l - 1]);
      }
  });

  it('gradients by finite differences', () => {
    gradcheck('channelsLast', (x) => channelsLast(x), [rnd([2, 3, 4])]);
    gradcheck('lastStep', (x) => lastStep(x), [rnd([2, 3, 4])]);
  });
});
