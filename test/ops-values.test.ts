// Forward values of linear, pools and losses on tiny hand-computed cases.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { valuesOf as values } from './helpers/values';
import { expectClose } from './helpers/reference';


describe('linear', () => {
  it('computes x weightᵀ + bias', () => {
    const y = at.linear(at.tensor([[1, 2], [0, -1]]), at.tensor([[1, 1], [2, -1], [0, 3]]), at.tensor([0.5, 0, -1]));
    expect(y.shape).toEqual([2, 3]);
    expect(values(y)).toEqual([3.5, 0, 5, -0.5, 1, -4]);
  });

  it('keeps leading dims, and takes a 1-d input', () => {
    const w = at.tensor([[1, 0, 0], [0, 0, 2]]);
    expect(at.linear(at.zeros([4, 2, 3]), w).shape).toEqual([4, 2, 2]);
    const y = at.linear(at.tensor([1, 2, 3]), w);
    expect(y.shape).toEqual([2]);
    expect(values(y)).toEqual([1, 6]);
  });
});

describe('pooling', () => {
  const x = at.tensor([[[
    [1, 5, 2, 0],
    [3, 4, 8, 1],
    [0, 2, 7, 6],
    [9, 1, 3, 2],
  ]]]);

  it('maxPool2d', () => {
    expect(values(at.maxPool2d(x, 2))).toEqual([5, 8, 9, 7]);
    const y = at.maxPool2d(x, 3, 1);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(values(y)).toEqual([8, 8, 9, 8]);
    // padding is -inf for max: with padding 1, kernel 2, stride 2 the corners are single elements
    expect(values(at.maxPool2d(x, 2, 2, 1))).toEqual([1, 5, 0, 3, 8, 6, 9, 3, 2]);
  });

  it('avgPool2d counts padded zeros', () => {
    expect(values(at.avgPool2d(x, 2))).toEqual([13 / 4, 11 / 4, 12 / 4, 18 / 4]);
    const y = at.avgPool2d(at.ones([1, 1, 2, 2]), 2, 1, 1);
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expect(values(y)).toEqual([0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25]);
  });

  it('adaptiveAvgPool2d uses PyTorch windows [floor(iH/o), ceil((i+1)H/o))', () => {
    const t = at.tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    // 3 → 2: windows [0, 2) and [1, 3) on both axes
    expect(values(at.adaptiveAvgPool2d(t, [2, 2]))).toEqual([3, 4, 6, 7]);
    expect(values(at.adaptiveAvgPool2d(t, [1, 1]))).toEqual([5]);
    expect(values(at.adaptiveAvgPool2d(t, [1, 3]))).toEqual([4, 5, 6]);
  });
});

describe('losses', () => {
  it('crossEntropy is the mean negative log-softmax of the targets', () => {
    const loss = at.crossEntropy(at.tensor([[0, 0], [0, Math.log(3)]]), [0, 1]);
    expect(loss.shape).toEqual([]);
    expectClose([loss.item()], [(Math.log(2) - Math.log(3 / 4)) / 2], 1e-6);
    expectClose([at.crossEntropy(at.tensor([[1000, 0]]), new Int32Array([0])).item()], [0], 1e-6);
  });

  it('mseLoss is the mean squared difference', () => {
    const loss = at.mseLoss(at.tensor([1, 2, -1], [3]), at.tensor([0, 0, 1], [3]));
    expect(loss.shape).toEqual([]);
    expect(loss.item()).toBe(3);
  });
});
