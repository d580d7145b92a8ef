// normExceptDim and weightNormed (lib/ops/weight-norm.ts): values and gradients against float64 loops
// written here by the definitions, finite differences, and the argument checks. (nn.utils.weightNorm's
// PyTorch fixtures are in fixtures-sequence-models.test.ts.)
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { normExceptDim, weightNormed } from '../lib/ops/weight-norm';
import { expectArgError } from './helpers/arg-error';
import { gradcheck } from './helpers/gradcheck';
import { relativeL2 } from './helpers/relative-l2';
import { seededValues } from './helpers/values';

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const leaf = (shape: number[], seed: number, lo = -1, hi = 1) => at.tensor(seededValues(numel(shape), seed, lo, hi), shape, { requiresGrad: true });

/** Per row r of v (rows × width, float64): the norm n, w = g·v/n, and for the result's gradient G: dg, dv. */
function naive(v: Float32Array, g: Float32Array, dw: Float32Array, rows: number) {
  const width = v.length / rows;
  const norms = new Float64Array(rows);
  const w = new Float64Array(v.length);
  const dv = new Float64Array(v.length);
  const dg = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let squares = 0;
    let dot = 0;
    for (let i = r * width; i < (r + 1) * width; i++) {
      squares += v[i] * v[i];
      dot += dw[i] * v[i];
    }
    const n = Math.sqrt(squares);
    norms[r] = n;
    dg[r] = dot / n;
    for (let i = r * width; i < (r + 1) * width; i++) {
      w[i] = (g[r] * v[i]) / n;
      dv[i] = (g[r] / n) * dw[i] - ((g[r] * dot) / (n * n * n)) * v[i];
    }
  }
  return { norms, w, dv, dg };
}

describe('weightNormed and normExceptDim match float64 loops', () => {
  // Conv2d, Conv1d and Linear weights; rows wider than the parallel threshold; dim null (one row). (A
  // width-1 row has dv = 0 exactly, which a relative error cannot compare.)
  const cases: { shape: number[]; dim: 0 | null }[] = [
    { shape: [4, 3, 3, 3], dim: 0 },
    { shape: [6, 5, 7], dim: 0 },
    { shape: [3, 5], dim: 0 },
    { shape: [3, 70000], dim: 0 },
    { shape: [4, 3, 2], dim: null },
  ];
  cases.forEach(({ shape, dim }, k) => {
    it(`${JSON.stringify(shape)}, dim ${dim}`, () => {
      const rows = dim === null ? 1 : shape[0];
      const gShape = dim === null ? [] : shape.map((d, i) => (i === 0 ? d : 1));
      const v = leaf(shape, 10 + k);
      const g = leaf(gShape, 20 + k, 0.5, 2);
      const w = weightNormed(v, g, dim);
      expect(w.shape).toEqual(shape);
      const dw = seededValues(v.numel, 30 + k);
      w.backward(at.tensor(dw.slice(), shape));
      const want = naive(v.toFloat32Array(), g.toFloat32Array(), dw, rows);
      expect(relativeL2(w.toFloat32Array(), want.w)).toBeLessThan(1e-6);
      expect(relativeL2(v.grad!.toFloat32Array(), want.dv)).toBeLessThan(1e-5);
      expect(relativeL2(g.grad!.toFloat32Array(), want.dg)).toBeLessThan(1e-6);

      const vn = leaf(shape, 10 + k);
      const norms = normExceptDim(vn, 2, dim);
      expect(norms.shape).toEqual(gShape);
      expect(relativeL2(norms.toFloat32Array(), want.norms)).toBeLessThan(1e-6);
      // d(Σ G·‖v‖)/dv = G·v/‖v‖: the weight-normed values with G as g.
      const gradNorms = seededValues(rows, 40 + k, 0.5, 2);
      norms.backward(at.tensor(gradNorms.slice(), gShape));
      expect(relativeL2(vn.grad!.toFloat32Array(), naive(vn.toFloat32Array(), gradNorms, dw, rows).w)).toBeLessThan(1e-6);
    });
  });

  it('the norms are summed in float64: 2^13 then 2^22 ones in a row', () => {
    // In float32 each 1 vanishes beside 2^26 (its spacing there is 8): the sum would stay 2^26.
    const n = 2 ** 22 + 1;
    const values = new Float32Array(n).fill(1);
    values[0] = 2 ** 13;
    const v = at.tensor(values, [1, n]);
    expect(normExceptDim(v).item()).toBe(Math.fround(Math.sqrt(2 ** 26 + 2 ** 22)));
  });

  it('only the gradients asked for are computed', () => {
    const v = leaf([3, 4], 50);
    const g = at.tensor(seededValues(3, 51, 0.5, 2), [3, 1]);
    weightNormed(v, g).sum().backward();
    expect(v.grad).not.toBeNull();
    expect(g.grad).toBeNull();
  });
});

describe('gradcheck: weight norm ops', () => {
  it('weightNormed, dim 0', () => gradcheck('weightNormed', (v, g) => weightNormed(v, g), [leaf([3, 2, 3], 60), leaf([3, 1, 1], 61, 0.5, 2)]));
  it('weightNormed, dim null', () => gradcheck('weightNormed null', (v, g) => weightNormed(v, g, null), [leaf([2, 5], 62), leaf([], 63, 0.5, 2)]));
  it('normExceptDim', () => gradcheck('normExceptDim', (v) => normExceptDim(v), [leaf([4, 3], 64)]));
});

describe('weight norm ops check their arguments', () => {
  it('names the op, the argument, what it expected and what came', () => {
    const v = leaf([3, 4], 70);
    const g = leaf([3, 1], 71);
    expect(expectArgError(() => weightNormed(v, at.zeros([4, 1])), RangeError, 'weightNormed', 'g', [v]).message)
      .toMatch(/g expects 3 element\(s\) \(shape \[3, 1\]\), but got shape \[4, 1\]/);
    expect(expectArgError(() => weightNormed(v, g, 1 as 0), RangeError, 'weightNormed', 'dim', [v, g]).message).toMatch(/but got 1$/);
    expectArgError(() => weightNormed(at.zeros([0, 4]), g), RangeError, 'weightNormed', 'v');
    expectArgError(() => weightNormed(at.tensor(2), g), RangeError, 'weightNormed', 'v');
    expectArgError(() => weightNormed(null as unknown as at.Tensor, g), TypeError, 'weightNormed', 'v');
    expectArgError(() => weightNormed(v, [1, 2, 3] as unknown as at.Tensor), TypeError, 'weightNormed', 'g');
    expect(expectArgError(() => normExceptDim(v, 1), RangeError, 'normExceptDim', 'pow', [v]).message).toMatch(/pow expects 2 .*but got 1$/);
    expectArgError(() => normExceptDim(v, 2, -1 as 0), RangeError, 'normExceptDim', 'dim', [v]);
    expectArgError(() => normExceptDim(at.tensor(new Int32Array(4), [2, 2], { dtype: 'int32' })), TypeError, 'normExceptDim', 'v');
  });
});
