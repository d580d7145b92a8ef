// interpolate, the 1-d and adaptive max pools, BatchNorm1d and their layers beyond the PyTorch goldens
// (fixtures-resize-pool1d.test.ts): finite-difference gradients, max-pool ties and NaN as PyTorch 1.13
// picks them (values read off torch), and every argument check (clear error, inputs and state untouched).
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { expectArgError } from './helpers/arg-error';
import { gradcheck } from './helpers/gradcheck';
import { distinctValues, seededValues } from './helpers/values';

let seed = 300;
const rnd = (shape: number[]) => at.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed++), shape);
const distinct = (shape: number[]) => at.tensor(distinctValues(shape.reduce((a, b) => a * b, 1), seed++), shape);
const values = (t: at.Tensor) => Array.from(t.toFloat32Array());
const leaf = (data: number[], shape: number[]) => at.tensor(Float32Array.from(data), shape, { requiresGrad: true });

/** A tensor that claims to be on CUDA (CPU values behind it): refused without a GPU too. */
function onCuda(x: at.Tensor): at.Tensor {
  const copy = x.detach();
  Object.defineProperty(copy, 'device', { value: 'cuda' });
  return copy;
}

describe('gradcheck: interpolate', () => {
  const cases: { name: string; x: number[]; opts: at.InterpolateOptions }[] = [
    { name: 'nearest 1-d, non-integer upsampling', x: [2, 2, 5], opts: { scaleFactor: 2.5 } },
    { name: 'nearest 2-d, downsampling by size', x: [1, 2, 7, 6], opts: { size: [3, 4] } },
    { name: 'linear, half-pixel, upsampling', x: [2, 2, 5], opts: { size: 11, mode: 'linear' } },
    { name: 'linear, alignCorners, downsampling', x: [1, 3, 9], opts: { scaleFactor: 0.45, mode: 'linear', alignCorners: true } },
    { name: 'bilinear, half-pixel, per-dim scale', x: [1, 2, 4, 5], opts: { scaleFactor: [1.5, 0.7], mode: 'bilinear' } },
    { name: 'bilinear, alignCorners, size', x: [2, 1, 3, 4], opts: { size: [5, 7], mode: 'bilinear', alignCorners: true } },
  ];
  for (const c of cases) it(c.name, () => gradcheck(`interpolate ${c.name}`, (x) => at.interpolate(x, c.opts), [rnd(c.x)]));
});

describe('gradcheck: sequence pools, adaptive max, BatchNorm1d', () => {
  it('maxPool1d, kernel 3 stride 2 padding 1', () => gradcheck('maxPool1d', (x) => at.maxPool1d(x, 3, 2, 1), [distinct([2, 2, 9])]));
  it('avgPool1d, kernel 4 stride 3 padding 2', () => gradcheck('avgPool1d', (x) => at.avgPool1d(x, 4, 3, 2), [rnd([2, 2, 10])]));
  it('adaptiveAvgPool1d 7 → 3', () => gradcheck('adaptiveAvgPool1d', (x) => at.adaptiveAvgPool1d(x, 3), [rnd([2, 2, 7])]));
  it('adaptiveMaxPool1d 7 → 4', () => gradcheck('adaptiveMaxPool1d', (x) => at.adaptiveMaxPool1d(x, 4), [distinct([2, 2, 7])]));
  it('adaptiveMaxPool2d [5, 7] → [3, 2]', () =>
    gradcheck('adaptiveMaxPool2d', (x) => at.adaptiveMaxPool2d(x, [3, 2]), [distinct([1, 2, 5, 7])]));
  for (const shape of [[4, 3, 5], [6, 3]]) {
    it(`batchNorm1d in training on [${shape}]`, () => {
      const stats = { runningMean: null, runningVar: null };
      gradcheck(`batchNorm1d [${shape}]`, (x, w, b) => at.nn.batchNorm1d(x, w, b, stats, true, 0, 1e-5),
        [rnd(shape), rnd([3]), rnd([3])], { eps: 1e-2, atol: 5e-3, rtol: 5e-3 });
    });
  }
});

describe('values PyTorch 1.13 gives', () => {
  it('maxPool1d: the first of equal maxima, the last NaN, the first cell of an all -inf window', () => {
    const x = leaf([1, 3, 3, 2], [1, 1, 4]);
    const y = at.maxPool1d(x, 2, 1);
    expect(values(y)).toEqual([3, 3, 3]);
    y.sum().backward();
    expect(values(x.grad!)).toEqual([0, 2, 1, 0]);
    const withNan = leaf([1, NaN, 2, 5, NaN, NaN], [1, 1, 6]);
    const yn = at.maxPool1d(withNan, 2);
    expect(values(yn)).toEqual([NaN, 5, NaN]);
    yn.sum().backward();
    expect(values(withNan.grad!)).toEqual([0, 1, 0, 1, 0, 1]);
    const ninf = leaf([-Infinity, -Infinity, -Infinity, 1], [1, 1, 4]);
    const yi = at.maxPool1d(ninf, 3, 1, 1);
    expect(values(yi)).toEqual([-Infinity, -Infinity, 1, 1]);
    yi.sum().backward();
    expect(values(ninf.grad!)).toEqual([2, 0, 0, 2]);
  });

  it('adaptiveMaxPool1d: NaN wins its window, ties keep the first, all -inf picks the first cell', () => {
    const x = leaf([1, NaN, 3, NaN, 2], [1, 1, 5]);
    const y = at.adaptiveMaxPool1d(x, 2);
    expect(values(y)).toEqual([NaN, NaN]);
    y.sum().backward();
    expect(values(x.grad!)).toEqual([0, 1, 0, 1, 0]);
    const t = leaf([1, 3, 3, 2, -Infinity], [1, 1, 5]);
    const yt = at.adaptiveMaxPool1d(t, 3);
    expect(values(yt)).toEqual([3, 3, 2]);
    yt.sum().backward();
    expect(values(t.grad!)).toEqual([0, 2, 0, 1, 0]);
    const ninf = leaf([-Infinity, -Infinity, -Infinity, -Infinity], [1, 1, 4]);
    at.adaptiveMaxPool1d(ninf, 2).sum().backward();
    expect(values(ninf.grad!)).toEqual([1, 0, 1, 0]);
  });

  it('interpolate: a scale factor is used as given (source step 1/scale), as torch without recompute_scale_factor', () => {
    const x = at.tensor([0, 1, 2, 3], [1, 1, 4]);
    const linear = values(at.interpolate(x, { scaleFactor: 1.3, mode: 'linear' }));
    [0, 0.6538462, 1.4230769, 2.1923077, 2.9615386].forEach((v, i) => expect(linear[i]).toBeCloseTo(v, 6));
    expect(values(at.interpolate(x, { scaleFactor: 1.3 }))).toEqual([0, 0, 1, 2, 3]);
    // 2.1 on 3 samples: 6 outputs read floor(o / 2.1), not o / 2 (torch's forward for C > 1).
    const x3 = leaf([0, 1, 2], [1, 1, 3]);
    const y = at.interpolate(x3, { scaleFactor: 2.1 });
    expect(values(y)).toEqual([0, 0, 0, 1, 1, 2]);
    // The gradient is this forward's (torch 1.13's backward takes o / 2 here: see make-resize-fixtures.py).
    y.backward(at.tensor([1, 10, 100, 1000, 10000, 100000], [1, 1, 6]));
    expect(values(x3.grad!)).toEqual([111, 11000, 100000]);
  });

  it('interpolate keeps an axis whose size does not change (bilinear over H only)', () => {
    const x = rnd([1, 2, 3, 4]);
    const y = at.interpolate(x, { size: [6, 4], mode: 'bilinear', alignCorners: true });
    const xs = values(x), ys = values(y);
    // alignCorners: output rows 0 and 5 are input rows 0 and 2 exactly.
    for (let c = 0; c < 2; c++)
      for (let w = 0; w < 4; w++) {
        expect(ys[c * 24 + w]).toBe(xs[c * 12 + w]);
        expect(ys[c * 24 + 20 + w]).toBe(xs[c * 12 + 8 + w]);
      }
  });
});

describe('nn layers over sequences', () => {
  it('BatchNorm1d: state_dict names as PyTorch, N×C and N×C×L share the statistics, eval uses them', () => {
    const bn = new at.nn.BatchNorm1d(3, { momentum: 0.5 });
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    bn.forward(rnd([4, 3, 5]));
    bn.forward(rnd([6, 3]));
    expect(bn.numBatchesTracked!.item()).toBe(2);
    bn.eval();
    const x = rnd([2, 3]);
    const y = values(bn.forward(x));
    const [rm, rv, xs] = [values(bn.runningMean!), values(bn.runningVar!), values(x)];
    xs.forEach((v, i) => expect(y[i]).toBeCloseTo((v - rm[i % 3]) / Math.sqrt(rv[i % 3] + 1e-5), 5));
  });

  it('Upsample, MaxPool1d, AdaptiveMaxPool1d in a Sequential; summaries name their settings', () => {
    const model = new at.nn.Sequential(
      new at.nn.Upsample({ scaleFactor: 2, mode: 'linear' }), new at.nn.MaxPool1d(3, 2, 1), new at.nn.AdaptiveMaxPool1d(4),
    );
    const y = model.forward(rnd([2, 3, 9])) as at.Tensor;
    expect(y.shape).toEqual([2, 3, 4]);
    expect(String(model)).toMatch(/Upsample\(scaleFactor=2, mode='linear'\)/);
    expect(String(model)).toMatch(/MaxPool1d\(kernelSize=3, stride=2, padding=1\)/);
  });

  it('summary: 1-d pools widen the receptive field per step; adaptive pooling to 1 sees everything', () => {
    const model = new at.nn.Sequential(
      new at.nn.Conv1d(1, 2, 3), new at.nn.MaxPool1d(2), new at.nn.Conv1d(2, 2, 3), new at.nn.AdaptiveAvgPool1d(1),
    );
    const s = model.summary([1, 1, 20]);
    expect(s.rows.map((r) => r.outputShape)).toEqual([[1, 2, 18], [1, 2, 9], [1, 2, 7], [1, 2, 1]]);
    expect(s.rows.map((r) => r.receptiveField)).toEqual([[3], [4], [8], null]);
  });
});

describe('argument checks', () => {
  const x1 = rnd([2, 3, 6]);
  const x2 = rnd([1, 2, 4, 5]);
  const interp = (x: unknown, opts: unknown) => () => at.interpolate(x as at.Tensor, opts as at.InterpolateOptions);
  const cases: [string, () => unknown, RangeErrorConstructor | TypeErrorConstructor, string, string][] = [
    ['both size and scaleFactor', interp(x1, { size: 4, scaleFactor: 2 }), TypeError, 'interpolate', 'size and scaleFactor'],
    ['neither size nor scaleFactor', interp(x1, { mode: 'linear' }), TypeError, 'interpolate', 'size and scaleFactor'],
    ['opts missing', interp(x1, undefined), TypeError, 'interpolate', 'opts'],
    ['linear on N×C×H×W', interp(x2, { size: 3, mode: 'linear' }), RangeError, 'interpolate', 'x'],
    ['bilinear on N×C×L', interp(x1, { size: 3, mode: 'bilinear' }), RangeError, 'interpolate', 'x'],
    ['nearest on N×C', interp(rnd([2, 3]), { size: 3 }), RangeError, 'interpolate', 'x'],
    ['mode bicubic', interp(x2, { size: 3, mode: 'bicubic' }), RangeError, 'interpolate', 'mode'],
    ['alignCorners with nearest', interp(x1, { size: 3, alignCorners: false }), RangeError, 'interpolate', 'alignCorners'],
    ['alignCorners not a boolean', interp(x1, { size: 3, mode: 'linear', alignCorners: 1 }), TypeError, 'interpolate', 'alignCorners'],
    ['size 0', interp(x1, { size: 0 }), RangeError, 'interpolate', 'size'],
    ['size 2.5', interp(x1, { size: 2.5 }), RangeError, 'interpolate', 'size'],
    ['size [-1, 3]', interp(x2, { size: [-1, 3] }), RangeError, 'interpolate', 'size[0]'],
    ['size of the wrong length', interp(x2, { size: [3] }), RangeError, 'interpolate', 'size'],
    ['size a string', interp(x1, { size: '4' }), TypeError, 'interpolate', 'size'],
    ['scaleFactor 0', interp(x1, { scaleFactor: 0 }), RangeError, 'interpolate', 'scaleFactor'],
    ['scaleFactor -2', interp(x1, { scaleFactor: -2 }), RangeError, 'interpolate', 'scaleFactor'],
    ['scaleFactor NaN', interp(x1, { scaleFactor: NaN }), RangeError, 'interpolate', 'scaleFactor'],
    ['scaleFactor Infinity', interp(x2, { scaleFactor: [1, Infinity] }), RangeError, 'interpolate', 'scaleFactor[1]'],
    ['scaleFactor that empties the output', interp(x1, { scaleFactor: 0.1 }), RangeError, 'interpolate', 'scaleFactor'],
    ['x on cuda', interp(onCuda(x1), { size: 3 }), TypeError, 'interpolate', 'x'],
    ['x not a tensor', interp([1, 2], { size: 3 }), TypeError, 'interpolate', 'x'],
    ['maxPool1d on N×C×H×W', () => at.maxPool1d(x2, 2), RangeError, 'maxPool1d', 'x'],
    ['maxPool1d kernel 0', () => at.maxPool1d(x1, 0), RangeError, 'maxPool1d', 'kernel'],
    ['maxPool1d stride 0', () => at.maxPool1d(x1, 2, 0), RangeError, 'maxPool1d', 'stride'],
    ['maxPool1d padding over half the kernel', () => at.maxPool1d(x1, 3, 1, 2), RangeError, 'maxPool1d', 'padding'],
    ['maxPool1d kernel larger than the padded input', () => at.maxPool1d(x1, 9, 1, 1), RangeError, 'maxPool1d', 'kernel'],
    ['avgPool1d padding over half the kernel', () => at.avgPool1d(x1, 2, 1, 2), RangeError, 'avgPool1d', 'padding'],
    ['avgPool1d kernel [2, 2]', () => at.avgPool1d(x1, [2, 2] as unknown as number), TypeError, 'avgPool1d', 'kernel'],
    ['adaptiveAvgPool1d size 0', () => at.adaptiveAvgPool1d(x1, 0), RangeError, 'adaptiveAvgPool1d', 'outputSize'],
    ['adaptiveAvgPool1d size missing', () => at.adaptiveAvgPool1d(x1, undefined as unknown as number), TypeError, 'adaptiveAvgPool1d', 'outputSize'],
    ['adaptiveMaxPool1d on cuda', () => at.adaptiveMaxPool1d(onCuda(x1), 2), TypeError, 'adaptiveMaxPool1d', 'x'],
    ['adaptiveMaxPool2d output [2, 0]', () => at.adaptiveMaxPool2d(x2, [2, 0]), RangeError, 'adaptiveMaxPool2d', 'outputSize[1]'],
    ['Upsample with both', () => new at.nn.Upsample({ size: 2, scaleFactor: 2 }), TypeError, 'Upsample', 'size and scaleFactor'],
    ['Upsample alignCorners with nearest', () => new at.nn.Upsample({ size: 2, alignCorners: true }), RangeError, 'Upsample', 'alignCorners'],
    ['MaxPool1d kernel 0', () => new at.nn.MaxPool1d(0), RangeError, 'MaxPool1d', 'kernelSize'],
    ['AdaptiveMaxPool1d size 1.5', () => new at.nn.AdaptiveMaxPool1d(1.5), RangeError, 'AdaptiveMaxPool1d', 'outputSize'],
  ];
  for (const [name, call, type, op, arg] of cases) {
    it(`${name} → ${type.name} from ${op} naming ${arg}`, () => expectArgError(call, type, op, arg, [x1, x2]));
  }

  it('the messages say what came', () => {
    expect(interp(x1, { size: 4, scaleFactor: 2 })).toThrow(/but got both/);
    expect(interp(x2, { size: 3, mode: 'linear' })).toThrow(/3 dims \(N×C×L\) for mode 'linear', but got shape \[1, 2, 4, 5\]/);
    expect(interp(x1, { scaleFactor: 0.1 })).toThrow(/floor\(6 × 0\.1\) = 0 along dim 2/);
    expect(interp(onCuda(x1), { size: 3 })).toThrow(/no CUDA kernel/);
    expect(() => at.maxPool1d(x1, 3, 1, 2)).toThrow(/padding expects at most half the kernel \(kernel \[3\]\), but got \[2\]/);
    expect(() => at.maxPool1d(x1, 9, 1, 1)).toThrow(/x \[2, 3, 6\] with padding \[1\] is smaller than kernel \[9\]/);
  });

  it('BatchNorm1d refuses a wrong rank, a wrong channel count and one value per channel in training, changing nothing', () => {
    const bn = new at.nn.BatchNorm1d(3);
    const x = rnd([1, 3]);
    expectArgError(() => bn.forward(rnd([2, 3, 4, 1])), RangeError, 'batchNorm1d', 'x', []);
    expectArgError(() => bn.forward(rnd([2, 4, 5])), RangeError, 'batchNorm1d', 'x', []);
    expect(() => bn.forward(x)).toThrow(/batchNorm1d: expects more than 1 value per channel when training, but got x of shape \[1, 3\]/);
    expect(bn.numBatchesTracked!.item()).toBe(0);
    expect(values(bn.runningMean!)).toEqual([0, 0, 0]);
    expect(values(bn.runningVar!)).toEqual([1, 1, 1]);
    bn.eval();
    expect((bn.forward(x)).shape).toEqual([1, 3]);
  });
});
