// maxPool2d, avgPool2d (padded zeros count in the average) and adaptiveAvgPool2d over N×C×H×W,
// PyTorch semantics (floor mode). The windows are the addon's; this file checks and records grads.
import { native } from '../native/load-addon';
import type { PoolParams } from '../native/addon-api';
import { describeValue, expectElementCount, expectIntPair, expectRank, formatShape, numelOf } from '../core/shape-checks';
import { allocateForward, allocateForwardIndices } from '../core/autograd';
import { allocateLike } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';
import type { IntOrPair } from './conv-args';

function planPool(op: string, x: unknown, kernel: unknown, stride: unknown, padding: unknown): { params: PoolParams; yShape: number[] } {
  expectRank(op, 'x', x, 4, 'N×C×H×W');
  const k = expectIntPair(op, 'kernel', kernel, 1);
  const s = stride === undefined || stride === null ? k : expectIntPair(op, 'stride', stride, 1);
  const p = expectIntPair(op, 'padding', padding, 0);
  const [n, c, h, w] = x.shape;
  if (n < 1 || c < 1 || h < 1 || w < 1) throw new RangeError(`${op}: x expects every dim >= 1, but got shape ${formatShape(x.shape)}`);
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) {
    throw new RangeError(`${op}: padding expects at most half the kernel (kernel ${formatShape(k)}), but got ${formatShape(p)}`);
  }
  const oh = Math.floor((h + 2 * p[0] - k[0]) / s[0]) + 1;
  const ow = Math.floor((w + 2 * p[1] - k[1]) / s[1]) + 1;
  if (h + 2 * p[0] < k[0] || w + 2 * p[1] < k[1]) {
    throw new RangeError(
      `${op}: output would be empty: x ${formatShape(x.shape)} with padding ${formatShape(p)} is smaller than kernel ${formatShape(k)}`,
    );
  }
  const yShape = [n, c, oh, ow];
  expectElementCount(op, 'output', yShape);
  return { params: { kernel: k, stride: s, padding: p }, yShape };
}

export function maxPool2d(x: Tensor, kernel: IntOrPair, stride?: IntOrPair | null, padding: IntOrPair = 0): Tensor {
  const op = 'maxPool2d';
  const { params, yShape } = planPool(op, x, kernel, stride, padding);
  const xShape = [...x.shape];
  const y = allocateForward(x.storage, numelOf(yShape), [x]);
  const argmax = allocateForwardIndices(x.device, y.length, [x]);
  native().maxPool2dForward(x.storage, xShape, params, y, argmax);
  return opResult(op, y, yShape, [x], (g) => {
    const dx = allocateLike(g, x.numel);
    native().maxPool2dBackward(g, argmax, xShape, yShape, dx);
    return [dx];
  }, [argmax]);
}

export function avgPool2d(x: Tensor, kernel: IntOrPair, stride?: IntOrPair | null, padding: IntOrPair = 0): Tensor {
  const op = 'avgPool2d';
  const { params, yShape } = planPool(op, x, kernel, stride, padding);
  const xShape = [...x.shape];
  const y = allocateForward(x.storage, numelOf(yShape), [x]);
  native().avgPool2dForward(x.storage, xShape, params, y);
  return opResult(op, y, yShape, [x], (g) => {
    const dx = allocateLike(g, x.numel);
    native().avgPool2dBackward(g, xShape, params, dx);
    return [dx];
  });
}

/** Averages over PyTorch's adaptive windows: rows [floor(i·H/oh), ceil((i+1)·H/oh)). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: IntOrPair): Tensor {
  const op = 'adaptiveAvgPool2d';
  expectRank(op, 'x', x, 4, 'N×C×H×W');
  if (outputSize === undefined) throw new TypeError(`${op}: outputSize expects [oh, ow], but got ${describeValue(outputSize)}`);
  const outHW = expectIntPair(op, 'outputSize', outputSize, 1);
  const [n, c, h, w] = x.shape;
  if (n < 1 || c < 1 || h < 1 || w < 1) throw new RangeError(`${op}: x expects every dim >= 1, but got shape ${formatShape(x.shape)}`);
  const yShape = [n, c, outHW[0], outHW[1]];
  expectElementCount(op, 'output', yShape);
  const xShape = [...x.shape];
  const y = allocateForward(x.storage, numelOf(yShape), [x]);
  native().adaptiveAvgPool2dForward(x.storage, xShape, outHW, y);
  return opResult(op, y, yShape, [x], (g) => {
    const dx = allocateLike(g, x.numel);
    native().adaptiveAvgPool2dBackward(g, xShape, outHW, dx);
    return [dx];
  });
}
