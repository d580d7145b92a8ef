// Every argument check: the error type, a message naming op and argument, inputs untouched, and
// the next valid call still working.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { expectArgError, expectArgRejection } from './helpers/arg-error';
import { seededValues } from './helpers/values';

type ErrorType = RangeErrorConstructor | TypeErrorConstructor;
interface Case { name: string; call: () => unknown; type: ErrorType; arg: string; contains?: RegExp }

const t = (shape: number[], seed = 1) => at.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape);

/** A tensor that claims another device (CPU values behind it): mixing devices must be refused without a GPU too. */
function onOtherDevice(x: at.Tensor): at.Tensor {
  const copy = x.detach();
  Object.defineProperty(copy, 'device', { value: 'cuda' });
  return copy;
}

function runCases(op: string, inputs: at.Tensor[], cases: Case[], valid: () => at.Tensor, validShape: number[]): void {
  for (const c of cases) {
    it(`${c.name} → ${c.type.name} naming ${c.arg}`, () => {
      const err = expectArgError(c.call, c.type, op, c.arg, inputs);
      if (c.contains) expect(err.message).toMatch(c.contains);
      expect(valid().shape).toEqual(validShape);
    });
  }
}

describe('conv2d argument checks', () => {
  const x = t([2, 3, 8, 8]);
  const w = t([4, 3, 3, 3], 2);
  const b = t([4], 3);
  const conv = (opts: unknown, input: unknown = x, weight: unknown = w, bias: unknown = b) =>
    at.conv2d(input as at.Tensor, weight as at.Tensor, bias as at.Tensor, opts as at.ConvOptions);
  runCases('conv2d', [x, w, b], [
    { name: 'input not a tensor', call: () => conv({}, [[1]]), type: TypeError, arg: 'input' },
    { name: 'input of rank 3', call: () => conv({}, t([3, 8, 8])), type: RangeError, arg: 'input', contains: /4 dims.*\[3, 8, 8\]/ },
    { name: 'weight of rank 3', call: () => conv({}, x, t([4, 3, 3])), type: RangeError, arg: 'weight' },
    { name: 'weight not a tensor', call: () => conv({}, x, null), type: TypeError, arg: 'weight' },
    { name: 'channel mismatch', call: () => conv({}, x, t([4, 2, 3, 3])), type: RangeError, arg: 'weight',
      contains: /weight expects 2 input channels per group, but input has 3 channels \(groups=1\); weight \[4, 2, 3, 3\], input \[2, 3, 8, 8\]/ },
    { name: 'groups not dividing input channels', call: () => conv({ groups: 2 }, x, t([4, 1, 3, 3])), type: RangeError, arg: 'groups' },
    { name: 'groups not dividing output channels', call: () => conv({ groups: 3 }, x, t([4, 1, 3, 3])), type: RangeError, arg: 'groups' },
    { name: 'groups 0', call: () => conv({ groups: 0 }), type: RangeError, arg: 'groups' },
    { name: 'groups 1.5', call: () => conv({ groups: 1.5 }), type: RangeError, arg: 'groups' },
    { name: 'stride 0', call: () => conv({ stride: 0 }), type: RangeError, arg: 'stride' },
    { name: 'stride [1, 0]', call: () => conv({ stride: [1, 0] }), type: RangeError, arg: 'stride[1]' },
    { name: 'stride 1.5', call: () => conv({ stride: 1.5 }), type: RangeError, arg: 'stride' },
    { name: 'stride as a string', call: () => conv({ stride: '2' }), type: TypeError, arg: 'stride' },
    { name: 'stride triple', call: () => conv({ stride: [1, 1, 1] }), type: TypeError, arg: 'stride' },
    { name: 'dilation 0', call: () => conv({ dilation: 0 }), type: RangeError, arg: 'dilation' },
    { name: 'dilation -2', call: () => conv({ dilation: [-2, 1] }), type: RangeError, arg: 'dilation[0]' },
    { name: 'negative padding', call: () => conv({ padding: -1 }), type: RangeError, arg: 'padding' },
    { name: 'padding 0.5', call: () => conv({ padding: [0.5, 1] }), type: RangeError, arg: 'padding[0]' },
    { name: "'causal' padding", call: () => conv({ padding: 'causal' }), type: RangeError, arg: 'padding', contains: /conv1d only/ },
    { name: 'unknown padding mode', call: () => conv({ padding: 'full' }), type: TypeError, arg: 'padding' },
    { name: "'same' with stride 2", call: () => conv({ padding: 'same', stride: 2 }), type: RangeError, arg: 'padding', contains: /stride 1/ },
    { name: 'empty output', call: () => conv({ dilation: 4 }), type: RangeError, arg: 'output', contains: /dilated kernel height 9/ },
    { name: 'empty input dim', call: () => conv({}, t([2, 3, 0, 8])), type: RangeError, arg: 'input' },
    { name: 'bias of the wrong length', call: () => conv({}, x, w, t([3])), type: RangeError, arg: 'bias', contains: /4 values.*\[3\]/ },
    { name: 'bias of rank 2', call: () => conv({}, x, w, t([4, 1])), type: RangeError, arg: 'bias' },
    { name: 'bias not a tensor', call: () => conv({}, x, w, [1, 2, 3, 4]), type: TypeError, arg: 'bias' },
    { name: 'unknown option', call: () => conv({ dilations: 2 }), type: TypeError, arg: 'dilations' },
    { name: 'opts not an object', call: () => conv(3), type: TypeError, arg: 'opts' },
    { name: 'input on another device', call: () => conv({}, onOtherDevice(x)), type: TypeError, arg: 'input', contains: /cuda/ },
    { name: 'weight on another device', call: () => conv({}, x, onOtherDevice(w)), type: TypeError, arg: 'weight' },
  ], () => conv({ padding: 1, dilation: 1 }), [2, 4, 8, 8]);
});

describe('conv1d argument checks', () => {
  const x = t([2, 4, 10]);
  const w = t([6, 2, 3], 2);
  const conv = (opts: unknown, input: unknown = x, weight: unknown = w, bias: unknown = null) =>
    at.conv1d(input as at.Tensor, weight as at.Tensor, bias as at.Tensor, opts as at.ConvOptions);
  runCases('conv1d', [x, w], [
    { name: 'input of rank 4', call: () => conv({ groups: 2 }, t([2, 4, 1, 10])), type: RangeError, arg: 'input', contains: /N×C×L/ },
    { name: 'channel mismatch', call: () => conv({}), type: RangeError, arg: 'weight', contains: /2 input channels per group, but input has 4 channels \(groups=1\)/ },
    { name: 'groups 3', call: () => conv({ groups: 3 }), type: RangeError, arg: 'groups' },
    { name: 'pair stride', call: () => conv({ groups: 2, stride: [1, 2] }), type: TypeError, arg: 'stride' },
    { name: 'pair padding', call: () => conv({ groups: 2, padding: [1, 1] }), type: TypeError, arg: 'padding' },
    { name: 'stride 0', call: () => conv({ groups: 2, stride: [0] }), type: RangeError, arg: 'stride[0]' },
    { name: "'same' with stride 2", call: () => conv({ groups: 2, padding: 'same', stride: 2 }), type: RangeError, arg: 'padding' },
    { name: 'empty output', call: () => conv({ groups: 2, dilation: 5 }), type: RangeError, arg: 'output', contains: /length 10.*11/ },
    { name: 'bias of the wrong length', call: () => conv({ groups: 2 }, x, w, t([2])), type: RangeError, arg: 'bias' },
  ], () => conv({ groups: 2, padding: 'causal', dilation: 4, stride: [3] }), [2, 6, 4]);
});

describe('conv async argument checks reject before any work', () => {
  it('conv2dAsync and conv1dAsync', async () => {
    await expectArgRejection(() => at.conv2dAsync(t([1, 2, 4, 4]), t([1, 3, 3, 3])), RangeError, 'conv2d', 'weight');
    await expectArgRejection(() => at.conv1dAsync(t([1, 2, 4]), t([1, 2, 3]), null, { padding: 'same', stride: 2 }), RangeError, 'conv1d', 'padding');
    expect((await at.conv1dAsync(t([1, 2, 4]), t([1, 2, 3]))).shape).toEqual([1, 1, 2]);
  });
});

describe('linear argument checks', () => {
  const x = t([3, 4]);
  const w = t([5, 4], 2);
  runCases('linear', [x, w], [
    { name: 'x not a tensor', call: () => at.linear([1] as unknown as at.Tensor, w), type: TypeError, arg: 'x' },
    { name: 'weight of rank 1', call: () => at.linear(x, t([4])), type: RangeError, arg: 'weight' },
    { name: 'feature mismatch', call: () => at.linear(x, t([5, 3])), type: RangeError, arg: 'x', contains: /3 features.*\[3, 4\]/ },
    { name: 'bias of the wrong length', call: () => at.linear(x, w, t([4])), type: RangeError, arg: 'bias' },
    { name: '0-d x', call: () => at.linear(at.tensor(1), w), type: RangeError, arg: 'x' },
    { name: 'empty batch', call: () => at.linear(at.zeros([0, 4]), w), type: RangeError, arg: 'x' },
    { name: 'x on another device', call: () => at.linear(onOtherDevice(x), w), type: TypeError, arg: 'x' },
  ], () => at.linear(x, w, t([5])), [3, 5]);
});

describe('pool argument checks', () => {
  const x = t([1, 2, 5, 5]);
  for (const [op, pool] of [['maxPool2d', at.maxPool2d], ['avgPool2d', at.avgPool2d]] as const) {
    const call = (...args: unknown[]) => () => (pool as (...a: unknown[]) => at.Tensor)(...args);
    runCases(op, [x], [
      { name: 'x of rank 3', call: call(t([2, 5, 5]), 2), type: RangeError, arg: 'x', contains: /N×C×H×W/ },
      { name: 'kernel 0', call: call(x, 0), type: RangeError, arg: 'kernel' },
      { name: 'kernel missing', call: call(x), type: TypeError, arg: 'kernel' },
      { name: 'stride 0', call: call(x, 2, 0), type: RangeError, arg: 'stride' },
      { name: 'stride [2, 1.5]', call: call(x, 2, [2, 1.5]), type: RangeError, arg: 'stride[1]' },
      { name: 'negative padding', call: call(x, 2, 2, -1), type: RangeError, arg: 'padding' },
      { name: 'padding over half the kernel', call: call(x, 2, 2, 2), type: RangeError, arg: 'padding' },
      { name: 'kernel larger than input', call: call(x, 6), type: RangeError, arg: 'output' },
    ], () => pool(x, 3, 2, 1), [1, 2, 3, 3]);
  }
  runCases('adaptiveAvgPool2d', [x], [
    { name: 'output size 0', call: () => at.adaptiveAvgPool2d(x, [0, 2]), type: RangeError, arg: 'outputSize[0]' },
    { name: 'output size missing', call: () => at.adaptiveAvgPool2d(x, undefined as unknown as number), type: TypeError, arg: 'outputSize' },
    { name: 'x of rank 2', call: () => at.adaptiveAvgPool2d(t([5, 5]), [2, 2]), type: RangeError, arg: 'x' },
  ], () => at.adaptiveAvgPool2d(x, [2, 3]), [1, 2, 2, 3]);
});

describe('loss, dropout and relu argument checks', () => {
  const logits = t([3, 4]);
  runCases('crossEntropy', [logits], [
    { name: 'logits of rank 1', call: () => at.crossEntropy(t([4]), [0]), type: RangeError, arg: 'logits' },
    { name: 'too few targets', call: () => at.crossEntropy(logits, [0, 1]), type: RangeError, arg: 'targets', contains: /3 class indices/ },
    { name: 'target out of range', call: () => at.crossEntropy(logits, [0, 4, 1]), type: RangeError, arg: 'targets[1]' },
    { name: 'negative target', call: () => at.crossEntropy(logits, new Int32Array([0, 1, -1])), type: RangeError, arg: 'targets[2]' },
    { name: 'fractional target', call: () => at.crossEntropy(logits, [0, 1.5, 1]), type: TypeError, arg: 'targets[1]' },
    { name: 'targets of the wrong type', call: () => at.crossEntropy(logits, new Float32Array(3) as unknown as Int32Array), type: TypeError, arg: 'targets' },
  ], () => at.crossEntropy(logits, [3, 0, 2]), []);

  const a = t([2, 3]);
  runCases('mseLoss', [a], [
    { name: 'shape mismatch', call: () => at.mseLoss(a, t([3, 2])), type: RangeError, arg: 'b', contains: /\[2, 3\].*\[3, 2\]/ },
    { name: 'b not a tensor', call: () => at.mseLoss(a, 1 as unknown as at.Tensor), type: TypeError, arg: 'b' },
    { name: 'b on another device', call: () => at.mseLoss(a, onOtherDevice(a)), type: TypeError, arg: 'b', contains: /cuda/ },
    { name: 'empty', call: () => at.mseLoss(at.zeros([0]), at.zeros([0])), type: RangeError, arg: 'a' },
  ], () => at.mseLoss(a, a), []);

  runCases('dropout', [a], [
    { name: 'p > 1', call: () => at.dropout(a, 1.5, true), type: RangeError, arg: 'p' },
    { name: 'p NaN', call: () => at.dropout(a, NaN, true), type: RangeError, arg: 'p' },
    { name: 'p a string', call: () => at.dropout(a, '0.5' as unknown as number, true), type: TypeError, arg: 'p' },
    { name: 'training not boolean', call: () => at.dropout(a, 0.5, 1 as unknown as boolean), type: TypeError, arg: 'training' },
  ], () => at.dropout(a, 0.5, true), [2, 3]);

  runCases('relu', [a], [
    { name: 'x not a tensor', call: () => at.relu([1, 2] as unknown as at.Tensor), type: TypeError, arg: 'x' },
  ], () => at.relu(a), [2, 3]);
});

describe('Tensor method argument checks', () => {
  const a = t([2, 3]);
  runCases('Tensor.add', [a], [
    { name: 'shape mismatch', call: () => a.add(t([3, 2])), type: RangeError, arg: 'other', contains: /\[2, 3\].*\[3, 2\]/ },
    { name: 'a string', call: () => a.add('1' as unknown as number), type: TypeError, arg: 'other' },
    { name: 'another device', call: () => a.add(onOtherDevice(a)), type: TypeError, arg: 'other' },
  ], () => a.add(1), [2, 3]);
  runCases('Tensor.mul', [a], [
    { name: 'shape mismatch', call: () => a.mul(t([6])), type: RangeError, arg: 'other' },
  ], () => a.mul(a), [2, 3]);
  runCases('Tensor.sub', [a], [
    { name: 'null', call: () => a.sub(null as unknown as number), type: TypeError, arg: 'other' },
  ], () => a.sub(a), [2, 3]);
});

describe('backend', () => {
  it('reports the CPU kernels, whether CUDA is in use (and if not, why), threads and the version', () => {
    const info = at.backend();
    expect(['avx512', 'avx2', 'scalar']).toContain(info.cpu);
    expect(typeof info.cuda).toBe('boolean');
    if (!info.cuda) expect(info.cudaReason).toMatch(/CUDA|libatrous_cuda/);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('setNumThreads validates and applies', () => {
    const before = at.backend().threads;
    expect(() => at.setNumThreads(0)).toThrow(RangeError);
    expect(() => at.setNumThreads(2.5)).toThrow(/setNumThreads: n/);
    expect(() => at.setNumThreads('4' as unknown as number)).toThrow(TypeError);
    at.setNumThreads(1);
    expect(at.backend().threads).toBe(1);
    at.setNumThreads(before);
    expect(at.backend().threads).toBe(before);
  });
});
