// Property-based tests (fast-check) of conv1d/conv2d through the public API: random geometries —
// stride, dilation, explicit/'same'/'causal' padding, groups, every size down to 1 — checked forward and
// backward (input, weight, bias) against a naive float64 loop written here from the definition.
// A geometry whose output would be empty must be refused with a RangeError instead. Runs are bounded
// (FUZZ_RUNS, default below) and seeded (FUZZ_SEED); a failure prints the seed, the path and the shrunk case.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as at from '../lib';
import { fuzzParameters, fuzzTimeout } from './helpers/fuzz';
import { seededValues } from './helpers/values';

interface ConvCase {
  is2d: boolean;
  n: number;
  groups: number;
  cinPerGroup: number;
  coutPerGroup: number;
  size: [number, number]; // H, W (H = 1 for conv1d)
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  padding: at.ConvPadding;
  bias: boolean;
  seed: number;
}

/** Left/top and right/bottom pads per axis, from PyTorch's rules ('same': the extra one goes right). */
function resolvePads(c: ConvCase): { before: [number, number]; after: [number, number] } {
  const axis = (a: 0 | 1): [number, number] => {
    if (!c.is2d && a === 0) return [0, 0];
    const reach = c.dilation[a] * (c.kernel[a] - 1);
    const p = c.padding;
    if (p === 'valid') return [0, 0];
    if (p === 'same') return [Math.floor(reach / 2), reach - Math.floor(reach / 2)];
    if (p === 'causal') return [reach, 0];
    const v = typeof p === 'number' ? p : p[a];
    return [v, v];
  };
  const [h, w] = [axis(0), axis(1)];
  return { before: [h[0], w[0]], after: [h[1], w[1]] };
}

/** Forward and the gradients of L = Σ y·gy, one float64 loop nest over (n, o, i, j, ci, a, e). */
function convReference(c: ConvCase, x: Float32Array, w: Float32Array, b: Float32Array | null, gy: Float32Array | null, outHW: [number, number]) {
  const [h, wd] = c.size;
  const [kh, kw] = c.kernel;
  const cin = c.groups * c.cinPerGroup;
  const cout = c.groups * c.coutPerGroup;
  const { before } = resolvePads(c);
  const [oh, ow] = outHW;
  const y = new Float64Array(c.n * cout * oh * ow);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(cout);
  for (let ni = 0; ni < c.n; ni++)
    for (let o = 0; o < cout; o++) {
      const g = Math.floor(o / c.coutPerGroup);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const yi = ((ni * cout + o) * oh + i) * ow + j;
          const gv = gy ? gy[yi] : 0;
          let acc = b ? b[o] : 0;
          db[o] += gv;
          for (let ci = 0; ci < c.cinPerGroup; ci++)
            for (let a = 0; a < kh; a++)
              for (let e = 0; e < kw; e++) {
                const ih = i * c.stride[0] - before[0] + a * c.dilation[0];
                const iw = j * c.stride[1] - before[1] + e * c.dilation[1];
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                const xi = ((ni * cin + g * c.cinPerGroup + ci) * h + ih) * wd + iw;
                const wi = ((o * c.cinPerGroup + ci) * kh + a) * kw + e;
                acc += x[xi] * w[wi];
                dx[xi] += gv * w[wi];
                dw[wi] += gv * x[xi];
              }
          y[yi] = acc;
        }
    }
  return { y, dx, dw, db };
}

function outputSize(c: ConvCase): [number, number] {
  const { before, after } = resolvePads(c);
  const axis = (a: 0 | 1) => Math.floor((c.size[a] + before[a] + after[a] - c.dilation[a] * (c.kernel[a] - 1) - 1) / c.stride[a]) + 1;
  return [axis(0), axis(1)];
}

function valuesFrom(seed: number, count: number): Float32Array {
  // Multiples of 1/8: products and short sums are exact in float32, so only accumulation order differs.
  return seededValues(count, seed).map((v) => Math.round(v * 8) / 8);
}

function expectClose(label: string, actual: Float32Array, expected: Float64Array): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const tol = 1e-4 * (1 + Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`${label}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

const small = (max: number) => fc.integer({ min: 1, max });
const pair = (max: number) => fc.tuple(small(max), small(max));

const conv1dCase: fc.Arbitrary<ConvCase> = fc.record({
  n: small(2), groups: small(3), cinPerGroup: small(3), coutPerGroup: small(3),
  length: small(12), k: small(4), stride: small(3), dilation: small(4),
  padding: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom<at.ConvPadding>('valid', 'same', 'causal')),
  bias: fc.boolean(), seed: fc.integer(),
}).map((r) => ({
  is2d: false, n: r.n, groups: r.groups, cinPerGroup: r.cinPerGroup, coutPerGroup: r.coutPerGroup,
  size: [1, r.length], kernel: [1, r.k], stride: [1, r.padding === 'same' ? 1 : r.stride], dilation: [1, r.dilation],
  padding: r.padding, bias: r.bias, seed: r.seed,
}));

const conv2dCase: fc.Arbitrary<ConvCase> = fc.record({
  n: small(2), groups: small(2), cinPerGroup: small(2), coutPerGroup: small(2),
  size: pair(7), kernel: pair(3), stride: pair(2), dilation: pair(3),
  padding: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
    fc.constantFrom<at.ConvPadding>('valid', 'same')),
  bias: fc.boolean(), seed: fc.integer(),
}).map((r) => ({
  is2d: true, n: r.n, groups: r.groups, cinPerGroup: r.cinPerGroup, coutPerGroup: r.coutPerGroup,
  size: r.size, kernel: r.kernel, stride: r.padding === 'same' ? [1, 1] as [number, number] : r.stride,
  dilation: r.dilation, padding: r.padding, bias: r.bias, seed: r.seed,
}));

/** The property: API forward and grads equal the reference, or an empty output is refused. */
function checkConv(c: ConvCase): void {
  const cin = c.groups * c.cinPerGroup;
  const cout = c.groups * c.coutPerGroup;
  const xShape = c.is2d ? [c.n, cin, c.size[0], c.size[1]] : [c.n, cin, c.size[1]];
  const wShape = c.is2d ? [cout, c.cinPerGroup, c.kernel[0], c.kernel[1]] : [cout, c.cinPerGroup, c.kernel[1]];
  const count = (s: number[]) => s.reduce((p, q) => p * q, 1);
  const xv = valuesFrom(c.seed, count(xShape));
  const wv = valuesFrom(c.seed + 1, count(wShape));
  const bv = c.bias ? valuesFrom(c.seed + 2, cout) : null;
  const x = at.tensor(xv, xShape, { requiresGrad: true });
  const w = at.tensor(wv, wShape, { requiresGrad: true });
  const b = bv ? at.tensor(bv, [cout], { requiresGrad: true }) : null;
  const opts: at.ConvOptions = c.is2d
    ? { stride: c.stride, dilation: c.dilation, padding: c.padding, groups: c.groups }
    : { stride: c.stride[1], dilation: c.dilation[1], padding: c.padding, groups: c.groups };
  const conv = () => (c.is2d ? at.conv2d(x, w, b, opts) : at.conv1d(x, w, b, opts));
  const [oh, ow] = outputSize(c);
  if (oh < 1 || ow < 1) {
    expect(conv).toThrow(RangeError);
    return;
  }
  const y = conv();
  expect(y.shape).toEqual(c.is2d ? [c.n, cout, oh, ow] : [c.n, cout, ow]);
  const gy = valuesFrom(c.seed + 3, y.numel);
  const ref = convReference(c, xv, wv, bv, gy, [oh, ow]);
  expectClose('y', y.toFloat32Array(), ref.y);
  y.backward(at.tensor(gy, [...y.shape]));
  expectClose('dx', (x.grad as at.Tensor).toFloat32Array(), ref.dx);
  expectClose('dw', (w.grad as at.Tensor).toFloat32Array(), ref.dw);
  if (b) expectClose('db', (b.grad as at.Tensor).toFloat32Array(), ref.db);
}

describe('fuzz: conv against a float64 reference', () => {
  it('conv1d: random geometries, forward and gradients', () => {
    fc.assert(fc.property(conv1dCase, checkConv), fuzzParameters(200));
  }, fuzzTimeout);

  it('conv2d: random geometries, forward and gradients', () => {
    fc.assert(fc.property(conv2dCase, checkConv), fuzzParameters(150));
  }, fuzzTimeout);
});
