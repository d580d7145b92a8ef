// The Wave-2 ops beyond the PyTorch fixtures (test/fixtures-wave2.test.ts): finite-difference gradient
// checks, the argument checks (the right error naming op and argument, inputs unchanged), int32
// tensors through the shape ops, CUDA refusals, and nn.Tanh/Sigmoid/Identity/ModuleList.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { expectArgError } from './helpers/arg-error';
import { gradcheck } from './helpers/gradcheck';
import { seededValues } from './helpers/values';

let seed = 900;
const rnd = (shape: number[], scale = 1) =>
  at.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed++, -scale, scale), shape);

describe('gradcheck: Wave-2 ops', () => {
  it('transpose and permute, negative dims', () => {
    gradcheck('transpose', (x) => x.transpose(-1, 0), [rnd([2, 3, 4])]);
    gradcheck('permute', (x) => x.permute([2, -1, 0, 1]), [rnd([2, 3, 2, 3])]);
  });
  it('unsqueeze and squeeze', () => {
    gradcheck('unsqueeze', (x) => x.unsqueeze(-1).mul(x.unsqueeze(-1)), [rnd([2, 3])]);
    gradcheck('squeeze', (x) => x.squeeze(1).mul(2), [rnd([2, 1, 3])]);
  });
  it('cat along a middle dim, inputs used twice', () => {
    gradcheck('cat', (a, b) => at.cat([a, b, a], -2), [rnd([2, 3, 2]), rnd([2, 1, 2])]);
  });
  it('tanh, sigmoid', () => {
    gradcheck('tanh', (x) => at.tanh(x), [rnd([3, 4], 2)]);
    gradcheck('sigmoid', (x) => x.sigmoid(), [rnd([3, 4], 3)]);
  });
  it('softmax and logSoftmax along each dim', () => {
    for (const dim of [0, 1, -1]) {
      gradcheck(`softmax dim ${dim}`, (x) => at.softmax(x, dim), [rnd([2, 3, 4], 2)]);
      gradcheck(`logSoftmax dim ${dim}`, (x) => at.logSoftmax(x, dim), [rnd([2, 3, 4], 2)]);
    }
  });
  it('crossEntropy per pixel with weight, ignoreIndex, smoothing, each reduction', () => {
    const targets = at.tensor([0, 2, -100, 1, 1, 0, 2, -100], [2, 2, 2], { dtype: 'int32' });
    const weight = at.tensor([0.5, 2, 1.25], [3]);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      gradcheck(`crossEntropy ${reduction}`, (x) => at.crossEntropy(x, targets, { weight, reduction, labelSmoothing: 0.2 }),
        [rnd([2, 3, 2, 2], 2)]);
    }
  });
});

describe('Wave-2 ops: values beyond the fixtures', () => {
  it('permute/transpose move int32 values (no grad) and argmax gives int32', () => {
    const t = at.tensor([1, -2, 3, 2_000_000_001, 5, 6], [2, 3], { dtype: 'int32' });
    const p = t.transpose(0, 1);
    expect(p.dtype).toBe('int32');
    expect(p.tolist()).toEqual([[1, 2_000_000_001], [-2, 5], [3, 6]]);
    expect(t.permute([1, 0]).requiresGrad).toBe(false);
    const x = at.tensor([0, 3, 3, NaN, 1, 2], [2, 3]);
    expect(x.argmax(-1).tolist()).toEqual([1, 0]);
    expect(x.argmax().item()).toBe(3);
  });
  it('softmax stays finite for large logits, and crossEntropy matches logSoftmax', () => {
    const x = at.tensor([1000, 0, -1000, 5, 5, 5], [2, 3]);
    expect(Array.from(at.softmax(x, 1).toFloat32Array())).toEqual([1, 0, 0, 1 / 3, 1 / 3, 1 / 3].map(Math.fround));
    const lsm = at.logSoftmax(x, 1).toFloat32Array();
    const ce = at.crossEntropy(x, [0, 2], { reduction: 'none' }).toFloat32Array();
    expect(ce[0]).toBeCloseTo(-lsm[0], 6);
    expect(ce[1]).toBeCloseTo(-lsm[5], 6);
  });
  it('a weighted mean divides by the summed weights of the targets not ignored', () => {
    const logits = at.tensor([0, 0, 0, 0], [2, 2]); // every -log p is log 2
    const weight = at.tensor([3, 1], [2]);
    expect(at.crossEntropy(logits, [0, 1], { weight }).item()).toBeCloseTo(Math.log(2), 6);
    expect(at.crossEntropy(logits, [0, -100], { weight }).item()).toBeCloseTo(Math.log(2), 6);
    expect(at.crossEntropy(logits, [0, 1], { weight, reduction: 'sum' }).item()).toBeCloseTo(4 * Math.log(2), 5);
  });
});

describe('Wave-2 ops: bad arguments', () => {
  const x = at.tensor(seededValues(24, 3), [2, 3, 4]);
  it('dims out of range, permute not a permutation', () => {
    expectArgError(() => x.transpose(0, 3), RangeError, 'Tensor.transpose', 'dim1', [x]);
    expectArgError(() => x.transpose(-4, 0), RangeError, 'Tensor.transpose', 'dim0', [x]);
    expectArgError(() => x.transpose(0.5, 0), TypeError, 'Tensor.transpose', 'dim0', [x]);
    expectArgError(() => x.permute([0, 1]), RangeError, 'Tensor.permute', 'dims', [x]);
    expectArgError(() => x.permute([0, 1, 1]), RangeError, 'Tensor.permute', 'dims', [x]);
    expectArgError(() => x.permute([0, -1, 2]), RangeError, 'Tensor.permute', 'dims', [x]);
    expectArgError(() => x.permute([0, 1, 3]), RangeError, 'Tensor.permute', 'dims[2]', [x]);
    expectArgError(() => x.unsqueeze(4), RangeError, 'Tensor.unsqueeze', 'dim', [x]);
    expectArgError(() => x.squeeze(-4), RangeError, 'Tensor.squeeze', 'dim', [x]);
    expectArgError(() => x.argmax(3), RangeError, 'Tensor.argmax', 'dim', [x]);
    expectArgError(() => at.softmax(x, 3), RangeError, 'softmax', 'dim', [x]);
    expectArgError(() => at.logSoftmax(x, -4), RangeError, 'logSoftmax', 'dim', [x]);
    expectArgError(() => at.softmax(at.tensor([1], [1], { dtype: 'int32' }), 0), TypeError, 'softmax', 'x');
  });
  it('cat of mismatched shapes, dtypes, nothing, or a bad dim', () => {
    const a = at.tensor(seededValues(6, 4), [2, 3]);
    const b = at.tensor(seededValues(8, 5), [2, 4]);
    expectArgError(() => at.cat([a, b], 0), RangeError, 'cat', 'tensors[1]', [a, b]);
    expectArgError(() => at.cat([a, at.tensor(seededValues(6, 6), [2, 3, 1])], 0), RangeError, 'cat', 'tensors[1]', [a]);
    expectArgError(() => at.cat([a, at.tensor([1, 2], [1, 2], { dtype: 'int32' })], 0), TypeError, 'cat', 'tensors[1]', [a]);
    expectArgError(() => at.cat([], 0), TypeError, 'cat', 'tensors');
    expectArgError(() => at.cat([a, a], 2), RangeError, 'cat', 'dim', [a]);
    expect(at.cat([a, b], 1).shape).toEqual([2, 7]);
  });
  it('crossEntropy: targets of the wrong shape, a class >= C, a weight of the wrong length, bad options', () => {
    const logits = at.tensor(seededValues(2 * 3 * 4, 7), [2, 3, 4]);
    const t = (v: number[], shape: number[]) => at.tensor(v, shape, { dtype: 'int32' });
    expectArgError(() => at.crossEntropy(logits, t([0, 1, 2, 0, 1, 2, 0, 1], [2, 2, 2])), RangeError, 'crossEntropy', 'targets', [logits]);
    expectArgError(() => at.crossEntropy(logits, [0, 1, 2]), RangeError, 'crossEntropy', 'targets', [logits]);
    expectArgError(() => at.crossEntropy(logits, t([0, 1, 2, 0, 1, 3, 0, 1], [2, 4])), RangeError, 'crossEntropy', 'targets[5]', [logits]);
    expectArgError(() => at.crossEntropy(logits, t([0, 1, 2, 0, 1, -1, 0, 1], [2, 4])), RangeError, 'crossEntropy', 'targets[5]', [logits]);
    expect(at.crossEntropy(logits, t([0, 1, 2, 0, 1, -1, 0, 1], [2, 4]), { ignoreIndex: -1 }).shape).toEqual([]);
    expectArgError(() => at.crossEntropy(logits, at.tensor([0, 1, 2, 0, 1, 2, 0, 1], [2, 4])), TypeError, 'crossEntropy', 'targets', [logits]);
    const targets = t([0, 1, 2, 0, 1, 2, 0, 1], [2, 4]);
    expectArgError(() => at.crossEntropy(logits, targets, { weight: at.tensor([1, 2], [2]) }), RangeError, 'crossEntropy', 'opts.weight', [logits]);
    expectArgError(() => at.crossEntropy(logits, targets, { reduction: 'avg' as never }), TypeError, 'crossEntropy', 'opts.reduction', [logits]);
    expectArgError(() => at.crossEntropy(logits, targets, { labelSmoothing: 1.5 }), RangeError, 'crossEntropy', 'opts.labelSmoothing', [logits]);
    expectArgError(() => at.crossEntropy(logits, targets, { ignoreIndex: 0.5 }), TypeError, 'crossEntropy', 'opts.ignoreIndex', [logits]);
    expectArgError(() => at.crossEntropy(at.tensor([1, 2], [2]), [0]), RangeError, 'crossEntropy', 'logits');
  });
});

describe('Wave-2 layers', () => {
  it('Tanh, Sigmoid and Identity apply their functions', () => {
    const x = at.tensor([-1, 0, 2], [3]);
    expect(new at.nn.Tanh().forward(x).toFloat32Array()).toEqual(at.tanh(x).toFloat32Array());
    expect(new at.nn.Sigmoid().forward(x).toFloat32Array()).toEqual(at.sigmoid(x).toFloat32Array());
    expect(new at.nn.Identity(5, 'ignored').forward(x)).toBe(x);
  });
  it('ModuleList names its members name.0.…, name.1.… and iterates, as PyTorch', () => {
    class Net extends at.nn.Module {
      blocks = new at.nn.ModuleList([new at.nn.Linear(2, 3), new at.nn.Tanh()]);
      head = new at.nn.Linear(3, 1);
      constructor() {
        super();
        this.blocks.append(new at.nn.Linear(3, 3, { bias: false }));
      }
      override forward(x: at.Tensor): at.Tensor {
        for (const m of this.blocks) x = m.forward(x) as at.Tensor;
        return this.head.forward(x);
      }
    }
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual(['blocks.0.weight', 'blocks.0.bias', 'blocks.2.weight', 'head.weight', 'head.bias']);
    expect(net.blocks.length).toBe(3);
    expect(net.blocks.at(-1)).toBeInstanceOf(at.nn.Linear);
    expect([...net.blocks].map((m) => m.constructor.name)).toEqual(['Linear', 'Tanh', 'Linear']);
    expect(net.forward(at.tensor([1, 2], [1, 2])).shape).toEqual([1, 1]);
    expect(() => net.blocks.at(3)).toThrow(/ModuleList.at: index expects an integer in \[-3, 2\], but got 3/);
    expect(() => net.blocks.append(3 as never)).toThrow(/ModuleList.append: module expects a Module/);
    expect(() => net.blocks.forward()).toThrow(/ModuleList: has no forward/);
  });
});

// Runs where a CUDA library is usable (ATROUS_CUDA_LIBRARY, or the emulator: see test/cuda-device.test.ts).
const info = at.backend();
describe.skipIf(!info.cuda)(`Wave-2 ops on cuda refuse clearly (${info.cuda ? 'cuda' : info.cudaReason})`, () => {
  it('names the op and says there is no CUDA kernel yet; the plain crossEntropy still runs', () => {
    const x = at.tensor(seededValues(12, 8), [3, 4]).to('cuda');
    for (const [op, call] of [
      ['tanh', () => at.tanh(x)], ['sigmoid', () => at.sigmoid(x)], ['softmax', () => at.softmax(x, 1)],
      ['logSoftmax', () => at.logSoftmax(x, 1)], ['Tensor.transpose', () => x.transpose(0, 1)],
      ['Tensor.permute', () => x.permute([1, 0])], ['Tensor.argmax', () => x.argmax(1)], ['cat', () => at.cat([x, x], 0)],
      ['crossEntropy', () => at.crossEntropy(x, [0, 1, 2], { labelSmoothing: 0.1 })],
    ] as const) {
      expect(call, op).toThrow(new RegExp(`^${op.replace('.', '\\.')}.*no CUDA kernel in this version`));
    }
    expect(x.unsqueeze(0).shape).toEqual([1, 3, 4]);
    const onCpu = at.tensor(seededValues(12, 9), [3, 4]);
    expectArgError(() => at.cat([onCpu, x], 0), TypeError, 'cat', 'tensors[1]', [onCpu]);
    expectArgError(() => at.crossEntropy(onCpu, [0, 1, 2], { weight: at.tensor([1, 1, 1, 1], [4]).to('cuda') }), TypeError,
      'crossEntropy', 'opts.weight', [onCpu]);
    const idx = at.tensor([2, 0, 1], [3], { dtype: 'int32' }).to('cuda');
    expect([idx.dtype, idx.device]).toEqual(['int32', 'cuda']);
    expect(idx.to('cpu').tolist()).toEqual([2, 0, 1]);
    const cpu = at.crossEntropy(x.to('cpu'), [0, 1, 2]).item();
    expect(at.crossEntropy(x, [0, 1, 2]).item()).toBeCloseTo(cpu, 5);
  });
});
