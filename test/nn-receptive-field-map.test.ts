// model.receptiveFieldMap: path counts from one output position, computed from the layers' geometry,
// against brute force: the input gradient of the same stack with all-ones weights and no bias at a
// one-hot output (avg pooling scaled by its window size, so each tap counts 1). Then the gridding
// picture's two stacks (2,2,2 has holes, 1,2,5 has none) and summary()'s gridding warning.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';

type Layer2d =
  | { conv: true; k: [number, number]; stride?: [number, number]; padding?: [number, number] | 'same' | 'valid'; dilation?: [number, number] }
  | { conv: false; k: [number, number]; stride?: [number, number]; padding?: [number, number] };

function model2d(layers: Layer2d[]): at.nn.Module {
  const mods = layers.flatMap((l) =>
    l.conv
      ? [new at.nn.Conv2d(1, 1, l.k, { stride: l.stride ?? 1, padding: l.padding ?? 0, dilation: l.dilation ?? 1 }), new at.nn.ReLU()]
      : [new at.nn.AvgPool2d(l.k, l.stride ?? l.k, l.padding ?? 0)],
  );
  return new at.nn.Sequential(...mods);
}

/** d(sum(y · onehot))/dx through ones-weight convs and window-sized avg pools: the path counts. */
function bruteForce2d(layers: Layer2d[], inputShape: [number, number], output: [number, number] | null): { counts: Float32Array; outputSize: number[] } {
  const x = at.zeros([1, 1, ...inputShape], { requiresGrad: true });
  let y: at.Tensor = x;
  for (const l of layers) {
    if (l.conv) y = at.conv2d(y, at.ones([1, 1, ...l.k]), null, { stride: l.stride ?? 1, padding: l.padding ?? 0, dilation: l.dilation ?? 1 });
    else y = at.avgPool2d(y, l.k, l.stride ?? l.k, l.padding ?? 0).mul(l.k[0] * l.k[1]);
  }
  const [oh, ow] = y.shape.slice(2);
  const [r, c] = output ?? [(oh - 1) >> 1, (ow - 1) >> 1];
  const onehot = new Float32Array(oh * ow);
  onehot[r * ow + c] = 1;
  y.mul(at.tensor(onehot, [1, 1, oh, ow])).sum().backward();
  return { counts: x.grad!.toFloat32Array(), outputSize: [oh, ow] };
}

function expectMatchesBruteForce(layers: Layer2d[], inputShape: [number, number], output: [number, number] | null = null) {
  const ref = bruteForce2d(layers, inputShape, output);
  const map = model2d(layers).receptiveFieldMap([1, 1, ...inputShape], output ? { output } : {});
  expect(map.size).toEqual(inputShape);
  expect(map.outputSize).toEqual(ref.outputSize);
  expect(Array.from(map.counts)).toEqual(Array.from(ref.counts));
  return map;
}

/** The 1-d map of model against the input gradient of onesStack (its ones-weight twin) at a one-hot output. */
function expectMatchesBruteForce1d(model: at.nn.Module, onesStack: (x: at.Tensor) => at.Tensor, length: number, outputs: (number[] | undefined)[]) {
  for (const output of outputs) {
    const x = at.zeros([1, 1, length], { requiresGrad: true });
    const y = onesStack(x);
    const L = y.shape[2];
    const onehot = new Float32Array(L);
    onehot[output ? output[0] : (L - 1) >> 1] = 1;
    y.mul(at.tensor(onehot, [1, 1, L])).sum().backward();
    const map = model.receptiveFieldMap([1, 1, length], output ? { output } : {});
    expect(map.outputSize).toEqual([L]);
    expect(Array.from(map.counts)).toEqual(Array.from(x.grad!.toFloat32Array()));
  }
}

describe('receptiveFieldMap against brute force', () => {
  it('2,2,2 and 1,2,5 stacks of 3×3 convs (padding = dilation), centre and corner outputs', () => {
    const stack = (ds: number[]): Layer2d[] => ds.map((d) => ({ conv: true, k: [3, 3], padding: [d, d], dilation: [d, d] }));
    expectMatchesBruteForce(stack([2, 2, 2]), [17, 17]);
    expectMatchesBruteForce(stack([2, 2, 2]), [17, 17], [0, 3]);
    expectMatchesBruteForce(stack([1, 2, 5]), [21, 19]);
    expectMatchesBruteForce(stack([1, 2, 5]), [21, 19], [20, 18]);
  });

  it('strides, asymmetric kernels and dilations, no padding, odd "same" padding, and pooling', () => {
    const layers: Layer2d[] = [
      { conv: true, k: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 3] },
      { conv: false, k: [2, 2], padding: [1, 0] },
      { conv: true, k: [2, 3], padding: 'same', dilation: [3, 2] },
      { conv: true, k: [3, 3], padding: 'valid', dilation: [2, 1] },
    ];
    expectMatchesBruteForce(layers, [30, 23]);
    expectMatchesBruteForce(layers, [30, 23], [0, 0]);
    expectMatchesBruteForce(layers, [30, 23], [1, 7]);
  });

  it('1-d stacks: causal dilations 1, 2, 4 with a stride, centre and last step', () => {
    const model = new at.nn.Sequential(
      new at.nn.Conv1d(1, 1, 2, { padding: 'causal', dilation: 1 }),
      new at.nn.Conv1d(1, 1, 3, { padding: 'causal', dilation: 2 }),
      new at.nn.Conv1d(1, 1, 2, { stride: 2, padding: 1, dilation: 4 }),
    );
    const onesStack = (x: at.Tensor) => {
      let y = at.conv1d(x, at.ones([1, 1, 2]), null, { padding: 'causal', dilation: 1 });
      y = at.conv1d(y, at.ones([1, 1, 3]), null, { padding: 'causal', dilation: 2 });
      return at.conv1d(y, at.ones([1, 1, 2]), null, { stride: 2, padding: 1, dilation: 4 });
    };
    expectMatchesBruteForce1d(model, onesStack, 20, [undefined, [8]]);
  });

  it('1-d pools with padding: the taps shift by the padding, as in the 2-d pools', () => {
    const model = new at.nn.Sequential(new at.nn.Conv1d(1, 1, 3, { padding: 1 }), new at.nn.AvgPool1d(3, 2, 1), new at.nn.MaxPool1d(2, 1, 1));
    // Avg pools scaled by their window: every tap counts 1 (the last one has the max pool's window geometry).
    const onesStack = (x: at.Tensor) => at.avgPool1d(at.avgPool1d(at.conv1d(x, at.ones([1, 1, 3]), null, { padding: 1 }), 3, 2, 1).mul(3), 2, 1, 1).mul(2);
    expectMatchesBruteForce1d(model, onesStack, 11, [undefined, [0], [5]]);
  });
});

describe('the gridding picture', () => {
  const stack = (ds: number[]) => new at.nn.Sequential(...ds.map((d) => new at.nn.Conv2d(1, 1, 3, { padding: d, dilation: d })));

  it('2,2,2 leaves holes in its 13×13 field; 1,2,5 covers its 17×17 field', () => {
    const grid = stack([2, 2, 2]).receptiveFieldMap([1, 1, 21, 21]);
    expect(grid.output).toEqual([10, 10]);
    expect(grid.start).toEqual([4, 4]);
    expect(grid.end).toEqual([17, 17]);
    // Offsets reached per axis: the 7 even ones of 0..12; 7·7 = 49 of 169 cells, 120 holes.
    expect(grid.holes).toBe(169 - 49);
    expect(grid.maxCount).toBe(49); // per axis, 7 of the 27 tap triples in {0, 2, 4}³ sum to the centre offset 6
    const hdc = stack([1, 2, 5]).receptiveFieldMap([1, 1, 25, 25]);
    expect(hdc.end.map((e, a) => e - hdc.start[a])).toEqual([17, 17]);
    expect(hdc.holes).toBe(0);
  });

  it('stops at the first global layer and checks the output position', () => {
    const model = new at.nn.Sequential(new at.nn.Conv2d(1, 2, 3), new at.nn.MaxPool2d(2), new at.nn.Flatten(), new at.nn.Linear(2 * 4 * 4, 3));
    const map = model.receptiveFieldMap([1, 1, 10, 10]);
    expect(map.outputSize).toEqual([4, 4]);
    expect(map.layers.map((l) => l.type)).toEqual(['Conv2d', 'MaxPool2d']);
    expect(() => model.receptiveFieldMap([1, 1, 10, 10], { output: [4, 0] })).toThrow(/^receptiveFieldMap: output expects 2 integer\(s\) inside the 4×4 output of layer '1', but got \[4, 0\]/);
    expect(() => model.receptiveFieldMap([1, 1, 10, 10], { output: [1] })).toThrow(/^receptiveFieldMap: output expects 2/);
    expect(() => new at.nn.Sequential(new at.nn.Flatten(), new at.nn.Linear(4, 2)).receptiveFieldMap([1, 4])).toThrow(/no conv or pooling layer/);
  });
});

describe('summary gridding warning', () => {
  it('warns for a run of equal dilations > 1 that leaves holes, not for 1,2,5 or a single dilated layer', () => {
    const mk = (ds: number[]) => new at.nn.Sequential(...ds.flatMap((d) => [new at.nn.Conv2d(1, 1, 3, { padding: d, dilation: d }), new at.nn.ReLU()]));
    const grid = mk([2, 2, 2]).summary([1, 1, 21, 21]);
    expect(grid.warnings).toHaveLength(1);
    expect(grid.warnings[0]).toMatch(/^Warning: layers '0', '2', '4' all use dilation 2×2: after them 6 of 13 × 6 of 13 offsets of the receptive field get no path \(gridding\)/);
    expect(grid.table.endsWith(grid.warnings[0])).toBe(true);
    expect(mk([1, 2, 5]).summary([1, 1, 21, 21]).warnings).toEqual([]);
    expect(mk([1, 2]).summary([1, 1, 21, 21]).warnings).toEqual([]);
    // A rate-1 layer first fills the holes (offsets 0..2 plus the even 0..12 cover 0..14); rates of 1 never grid.
    expect(mk([1, 2, 2, 2]).summary([1, 1, 21, 21]).warnings).toEqual([]);
    expect(mk([1, 1, 1]).summary([1, 1, 21, 21]).warnings).toEqual([]);
  });
});
