// int32 tensors (API.md "Wave 2"): indices that never require grad, refused by float ops.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';

describe("at.tensor(..., { dtype: 'int32' })", () => {
  it('uses an Int32Array as given, without a copy', () => {
    const data = new Int32Array([3, -1, 7, 2_000_000_001]);
    const t = at.tensor(data, [2, 2], { dtype: 'int32' });
    expect(t.dtype).toBe('int32');
    data[1] = 5;
    expect(Array.from(t.toInt32Array())).toEqual([3, 5, 7, 2_000_000_001]);
    expect(t.requiresGrad).toBe(false);
    expect(t.toString()).toBe('Tensor(shape=[2, 2], dtype=int32, device=cpu)');
  });

  it('copies integer numbers from number[], nested arrays and other typed arrays, beyond float32 precision', () => {
    const list = [1, 2, 16_777_217];
    const t = at.tensor(list, [3], { dtype: 'int32' });
    list[0] = 9;
    expect(Array.from(t.toInt32Array())).toEqual([1, 2, 16_777_217]);
    const nested = at.tensor([[1, 2], [3, -4]], null, { dtype: 'int32' });
    expect(nested.shape).toEqual([2, 2]);
    expect(nested.tolist()).toEqual([[1, 2], [3, -4]]);
    expect(at.tensor(new Float64Array([4, 5]), [2], { dtype: 'int32' }).tolist()).toEqual([4, 5]);
    expect(at.tensor(7, null, { dtype: 'int32' }).item()).toBe(7);
    expect(at.tensor(7, null, { dtype: 'int32' }).shape).toEqual([]);
  });

  it('reads values with item, toFloat32Array (converted), toInt32Array and tolist', () => {
    const t = at.tensor(new Int32Array([-2, 0, 5, 9, 1, 4]), [2, 3], { dtype: 'int32' });
    expect(t.toFloat32Array()).toEqual(new Float32Array([-2, 0, 5, 9, 1, 4]));
    expect(t.tolist()).toEqual([[-2, 0, 5], [9, 1, 4]]);
    expect(t.reshape([6]).squeeze().tolist()).toEqual([-2, 0, 5, 9, 1, 4]);
    expect(t.flatten(0).dtype).toBe('int32');
    expect(t.unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(t.detach().dtype).toBe('int32');
    expect(at.tensor([1.5, 2.5], [2]).tolist()).toEqual([1.5, 2.5]);
    expect(() => at.tensor([1.5], [1]).toInt32Array()).toThrow(/toInt32Array: expects an int32 tensor/);
  });

  it('refuses non-integer values, values outside int32, and requiresGrad', () => {
    expect(() => at.tensor([1, 2.5], [2], { dtype: 'int32' })).toThrow(/tensor: data \(dtype 'int32'\) expects integers.*element 1.*2\.5/);
    expect(() => at.tensor([2 ** 31], [1], { dtype: 'int32' })).toThrow(/expects integers/);
    expect(() => at.tensor([NaN], [1], { dtype: 'int32' })).toThrow(/expects integers/);
    expect(() => at.tensor([1], [1], { dtype: 'int32', requiresGrad: true })).toThrow(/requiresGrad expects false for dtype 'int32'/);
    expect(() => at.tensor([1], [1], { dtype: 'int64' as never })).toThrow(/opts.dtype expects 'float32' or 'int32'/);
    expect(() => at.tensor(new Int32Array(3), [2, 2], { dtype: 'int32' })).toThrow(/shape \[2, 2\] needs 4 values, but data has 3/);
    const t = at.tensor([1], [1], { dtype: 'int32' });
    expect(() => { t.requiresGrad = true; }).toThrow(/only float32 tensors can require grad/);
  });

  it('is refused by float ops, naming the op and the argument', () => {
    const idx = at.tensor([0, 1], [2], { dtype: 'int32' });
    const x = at.tensor([1, 2], [2]);
    expect(() => at.relu(idx)).toThrow(/relu: x expects a float32 tensor, but got an int32 tensor of shape \[2\]/);
    expect(() => x.add(idx)).toThrow(/Tensor.add: other expects a float32 tensor/);
    expect(() => idx.sum()).toThrow(/Tensor.sum: this tensor expects a float32 tensor/);
    expect(() => at.mseLoss(x, idx)).toThrow(/mseLoss: b expects a float32 tensor/);
  });

  it('stays float32 by default', () => {
    expect(at.tensor([1, 2], [2]).dtype).toBe('float32');
    expect(at.tensor(new Int32Array([1, 2]), [2]).dtype).toBe('float32');
    expect(at.zeros([2]).dtype).toBe('float32');
  });
});
