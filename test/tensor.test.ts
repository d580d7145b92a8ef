import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { valuesOf as values } from './helpers/values';

describe('at.tensor', () => {
  it('uses a Float32Array as given, without a copy', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = at.tensor(data, [2, 3]);
    data[0] = 42;
    expect(t.toFloat32Array()[0]).toBe(42);
    expect(t.shape).toEqual([2, 3]);
    expect(t.numel).toBe(6);
    expect(t.dtype).toBe('float32');
    expect(t.device).toBe('cpu');
  });

  it('copies other typed arrays and number[] into float32', () => {
    const ints = new Int32Array([1, -2, 3]);
    const t = at.tensor(ints, [3]);
    ints[0] = 9;
    expect(values(t)).toEqual([1, -2, 3]);
    const list = [0.1, 0.2];
    const u = at.tensor(list, [1, 2]);
    list[0] = 5;
    expect(u.toFloat32Array()).toEqual(new Float32Array([0.1, 0.2]));
    expect(at.tensor(new Float64Array([1.5, 2.5]), [2, 1]).shape).toEqual([2, 1]);
  });

  it('infers the shape of nested arrays, and of a flat array without a shape', () => {
    const t = at.tensor([[[1, 2]], [[3, 4]], [[5, 6]]]);
    expect(t.shape).toEqual([3, 1, 2]);
    expect(values(t)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(at.tensor([1, 2, 3]).shape).toEqual([3]);
    expect(at.tensor([]).shape).toEqual([0]);
    expect(at.tensor(2.5).shape).toEqual([]);
    expect(at.tensor(2.5).item()).toBe(2.5);
  });

  it('accepts a nested array with a matching explicit shape', () => {
    expect(at.tensor([[1, 2], [3, 4]], [4]).shape).toEqual([4]);
  });

  it('rejects non-numeric data with a TypeError', () => {
    expect(() => at.tensor(['a', 'b'] as unknown as number[], [2])).toThrow(TypeError);
    expect(() => at.tensor([[1, 2], [3, '4']] as unknown as number[][])).toThrow(/data\[1\]\[1\]/);
    expect(() => at.tensor([true] as unknown as number[])).toThrow(TypeError);
    expect(() => at.tensor('abc' as unknown as number[])).toThrow(TypeError);
    expect(() => at.tensor(new BigInt64Array(2) as unknown as Float32Array, [2])).toThrow(TypeError);
  });

  it('rejects ragged nested arrays', () => {
    expect(() => at.tensor([[1, 2], [3, 4, 5], [6]])).toThrow(RangeError);
    expect(() => at.tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => at.tensor([[1, 2], 3])).toThrow(TypeError);
  });

  it('rejects a length that does not match the shape', () => {
    expect(() => at.tensor(new Float32Array(5), [2, 3])).toThrow(RangeError);
    expect(() => at.tensor([1, 2, 3], [2, 2])).toThrow(/needs 4 values, but data has 3/);
  });

  it('rejects negative and non-integer dims', () => {
    expect(() => at.tensor(new Float32Array(0), [-1, 0])).toThrow(RangeError);
    expect(() => at.tensor(new Float32Array(3), [1.5, 2])).toThrow(RangeError);
    expect(() => at.tensor(new Float32Array(3), ['3'] as unknown as number[])).toThrow(TypeError);
    expect(() => at.tensor(new Float32Array(3), 3 as unknown as number[])).toThrow(TypeError);
  });

  it('rejects more than 2^31-1 elements before allocating', () => {
    expect(() => at.tensor(new Float32Array(4), [65536, 32768])).toThrow(/2\^31-1/);
    expect(() => at.zeros([65536, 65536])).toThrow(RangeError);
    expect(() => at.ones([2 ** 31])).toThrow(RangeError);
  });

  it('validates opts', () => {
    expect(at.tensor([1], [1], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(at.tensor([1], [1], { device: 'cpu' }).device).toBe('cpu');
    if (!at.backend().cuda) expect(() => at.tensor([1], [1], { device: 'cuda' })).toThrow(/CUDA is not available/);
    expect(() => at.tensor([1], [1], { device: 'tpu' as 'cpu' })).toThrow(TypeError);
    expect(() => at.tensor([1], [1], { requiresGrad: 1 as unknown as boolean })).toThrow(TypeError);
  });
});

describe('Tensor methods', () => {
  it('shape is a read-only copy', () => {
    const t = at.zeros([2, 3]);
    expect(() => (t.shape as number[]).push(4)).toThrow(TypeError);
    expect(t.shape).toEqual([2, 3]);
  });

  it('toFloat32Array returns a copy', () => {
    const t = at.tensor([1, 2], [2]);
    const copy = t.toFloat32Array();
    copy[0] = 7;
    expect(t.toFloat32Array()[0]).toBe(1);
  });

  it('item reads one element and refuses more', () => {
    expect(at.tensor([[3.5]]).item()).toBe(3.5);
    expect(() => at.tensor([1, 2]).item()).toThrow(RangeError);
  });

  it('reshape keeps the row-major order and infers one -1', () => {
    const t = at.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const r = t.reshape([3, -1]);
    expect(r.shape).toEqual([3, 2]);
    expect(values(r)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.reshape([-1]).shape).toEqual([6]);
    expect(at.tensor([5], [1]).reshape([]).shape).toEqual([]);
    expect(() => t.reshape([-1, -1])).toThrow(RangeError);
    expect(() => t.reshape([4, -1])).toThrow(RangeError);
    expect(() => t.reshape([5])).toThrow(/invalid for a tensor of 6 elements/);
    expect(() => t.reshape([-2, 3])).toThrow(RangeError);
    expect(() => t.reshape([2.5, 2])).toThrow(TypeError);
    expect(() => at.zeros([0, 3]).reshape([0, -1])).toThrow(RangeError);
  });

  it('flatten merges from startDim (default 1) to the end', () => {
    const t = at.zeros([2, 3, 4, 5]);
    expect(t.flatten().shape).toEqual([2, 60]);
    expect(t.flatten(0).shape).toEqual([120]);
    expect(t.flatten(2).shape).toEqual([2, 3, 20]);
    expect(t.flatten(-1).shape).toEqual([2, 3, 4, 5]);
    expect(t.flatten(3).shape).toEqual([2, 3, 4, 5]);
    expect(at.tensor(1).flatten(0).shape).toEqual([1]);
    expect(() => t.flatten(4)).toThrow(RangeError);
    expect(() => t.flatten(-5)).toThrow(RangeError);
    expect(() => t.flatten(1.5)).toThrow(TypeError);
  });

  it('add, sub, mul with tensors and numbers', () => {
    const a = at.tensor([1, 2, 3], [3]);
    const b = at.tensor([10, 20, 30], [3]);
    expect(values(a.add(b))).toEqual([11, 22, 33]);
    expect(values(a.sub(b))).toEqual([-9, -18, -27]);
    expect(values(a.mul(b))).toEqual([10, 40, 90]);
    expect(values(a.add(0.5))).toEqual([1.5, 2.5, 3.5]);
    expect(values(a.sub(1))).toEqual([0, 1, 2]);
    expect(values(a.mul(-2))).toEqual([-2, -4, -6]);
    expect(values(a)).toEqual([1, 2, 3]);
  });

  it('sum, mean and relu', () => {
    const t = at.tensor([[1, -2], [3, -4]]);
    const s = t.sum();
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(-2);
    expect(t.mean().shape).toEqual([]);
    expect(t.mean().item()).toBe(-0.5);
    expect(values(t.relu())).toEqual([1, 0, 3, 0]);
    expect(values(at.relu(t))).toEqual([1, 0, 3, 0]);
  });

  it("to('cpu') is the same tensor; to('cuda') without CUDA says why it cannot", () => {
    const t = at.ones([2]);
    expect(t.to('cpu')).toBe(t);
    if (!at.backend().cuda) expect(() => t.to('cuda')).toThrow(/CUDA is not available/);
    expect(() => t.to('gpu' as 'cpu')).toThrow(TypeError);
  });

  it('factories make the shapes and values asked for', () => {
    expect(values(at.ones([2, 2]))).toEqual([1, 1, 1, 1]);
    expect(values(at.zeros([3]))).toEqual([0, 0, 0]);
    expect(at.zeros([2, 0]).numel).toBe(0);
    expect(at.ones([1], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(() => at.zeros([2, -1])).toThrow(RangeError);
    if (!at.backend().cuda) expect(() => at.ones([2], { device: 'cuda' })).toThrow(/CUDA is not available/);
  });
});
