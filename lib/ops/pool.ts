// Pools over N×C×H×W and N×C×L, PyTorch semantics (floor mode): maxPool, avgPool (padded zeros count
// in the average), adaptiveAvgPool, adaptiveMaxPool. The windows are the addon's 2-d kernels; a 1-d
// pool is a 2-d pool over N×C×1×L. This file checks and records grads.
import { native } from '../native/load-addon';
import type { IndexBuffer, PoolParams } from '../native/addon-api';
import {
  describeValue, expectCpu, expectElementCount, expectIntPair, expectIntSingle, expectRank, formatShape, numelOf,
} from '../core/shape-checks';
import { allocateForward, allocateForwardIndices } from '../core/autograd';
import { allocateLike, type Storage } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';
import type { IntOrPair } from './conv-args';

/** A 1-d op's x (N×C×L) or a 2-d op's x (N×C×H×W), and the N×C×H×W the 2-d kernels see. */
interface PoolInput {
  x: Tensor;
  xShape: number[];
  /** 1 or 2: how many trailing dims the op's arguments and its output have. */
  dims: 1 | 2;
}

function poolInput(op: string, x: unknown, dims: 1 | 2): PoolInput {
  expectRank(op, 'x', x, dims + 2, dims === 2 ? 'N×C×H×W' : 'N×C×L');
  if (x.shape.some((d) => d < 1)) throw new RangeError(`${op}: x expects every dim >= 1, but got shape ${formatShape(x.shape)}`);
  const xShape = dims === 2 ? [...x.shape] : [x.shape[0], x.shape[1], 1, x.shape[2]];
  return { x, xShape, dims };
}

/** An argument as its [h, w] pair: 1-d ops take an integer (or [n]) for w, with h fixed at `h`. */
function pairArg(op: string, arg: string, v: unknown, min: number, dims: 1 | 2, h: number): [number, number] {
  return dims === 2 ? expectIntPair(op, arg, v, min) : [h, expectIntSingle(op, arg, v, min)];
}

/** The output shape the op returns, from the kernels' N×C×OH×OW. */
function outputShape(input: PoolInput, yShape: readonly number[]): number[] {
  return input.dims === 2 ? [...yShape] : [yShape[0], yShape[1], yShape[3]];
}

function planWindow(
  op: string, input: PoolInput, kernel: unknown, stride: unknown, padding: unknown,
): { params: PoolParams; yShape: number[] } {
  const { dims, xShape } = input;
  const k = pairArg(op, 'kernel', kernel, 1, dims, 1);
  const s = stride === undefined || stride === null ? k : pairArg(op, 'stride', stride, 1, dims, 1);
  const p = pairArg(op, 'padding', padding, 0, dims, 0);
  const shown = (pair: readonly number[]) => formatShape(pair.slice(2 - dims));
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) {
    throw new RangeError(`${op}: padding expects at most half the kernel (kernel ${shown(k)}), but got ${shown(p)}`);
  }
  const [n, c, h, w] = xShape;
  if (h + 2 * p[0] < k[0] || w + 2 * p[1] < k[1]) {
    throw new RangeError(
      `${op}: output would be empty: x ${formatShape(input.x.shape)} with padding ${shown(p)} is smaller than kernel ${shown(k)}`,
    );
  }
  const yShape = [n, c, Math.floor((h + 2 * p[0] - k[0]) / s[0]) + 1, Math.floor((w + 2 * p[1] - k[1]) / s[1]) + 1];
  expectElementCount(op, 'output', yShape);
  return { params: { kernel: k, stride: s, padding: p }, yShape };
}

function planAdaptive(op: string, input: PoolInput, outputSize: unknown): { outHW: [number, number]; yShape: number[] } {
  if (outputSize === undefined) {
    throw new TypeError(`${op}: outputSize expects ${input.dims === 2 ? '[oh, ow]' : 'an integer >= 1'}, but got ${describeValue(outputSize)}`);
  }
  const outHW = pairArg(op, 'outputSize', outputSize, 1, input.dims, 1);
  const yShape = [input.xShape[0], input.xShape[1], outHW[0], outHW[1]];
  expectElementCount(op, 'output', yShape);
  return { outHW, yShape };
}

function maxPool(op: string, input: PoolInput, kernel: unknown, stride: unknown, padding: unknown): Tensor {
  const { params, yShape } = planWindow(op, input, kernel, stride, padding);
  const { x, xShape } = input;
  const y = allocateForward(x.storage, numelOf(yShape), [x]);
  const argmax = allocateForwardIndices(x.device, y.length, [x]);
  native().maxPool2dForward(x.storage, xShape, params, y, argmax);
  return maxResult(op, input, y, argmax, yShape);
}

/** The max pools' output: the backward scatters dy through argmax (maxPool2dBackward). */
function maxResult(op: string, input: PoolInput, y: Storage, argmax: IndexBuffer, yShape: number[]): Tensor {
  const { x, xShape } = input;
  return opResult(op, y, outputShape(input, yShape), [x], (g) => {
    const dx = allocateLike(g, x.numel);
    native().maxPool2dBackward(g, argmax, xShape, yShape, dx);
    return [dx];
  }, [argmax]);
}

function avgPool(op: string, input: PoolInput, kernel: unknown, stride: unknown, padding: unknown): Tensor {
  const { params, yShape } = planWindow(op, input, kernel, stride, padding);
  const { x, xShape } = input;
  const y = allocateForward(x.storage, numelOf(yShape), [x]);
  native().avgPool2dForward(x.storage, xShape, params, y);
  return opResult(op, y, outputShape(input, yShape), [x], (g) => {
    const dx = allocateLike(g, x.numel);
    native().avgPool2dBackward(g, xShape, params, dx);
    return [dx];
  });
}

function adaptiveAvgPool(op: string, input: PoolInput, outputSize: unknown): Tensor {
  const { outHW, yShape } = planAdaptive(op, input, outputSize);
  const { x, xShape } = input;
  const y = allocateForward(x.storage, numelOf(yShape), [x]);
  native().adaptiveAvgPool2dForward(x.storage, xShape, outHW, y);
  return opResult(op, y, outputShape(input, yShape), [x], (g) => {
    const dx = allocateLike(g, x.numel);
    native().adaptiveAvgPool2dBackward(g, xShape, outHW, dx);
    return [dx];
  });
}

/** CPU only: no CUDA kernel for the adaptive max. */
function adaptiveMaxPool(op: string, input: PoolInput, outputSize: unknown): Tensor {
  expectCpu(op, 'x', input.x);
  const { outHW, yShape } = planAdaptive(op, input, outputSize);
  const { x, xShape } = input;
  const y = allocateForward(x.storage, numelOf(yShape), [x]) as Float32Array;
  const argmax = allocateForwardIndices(x.device, y.length, [x]) as Int32Array;
  native().adaptiveMaxPool2dForward(x.storage as Float32Array, xShape, outHW, y, argmax);
  return maxResult(op, input, y, argmax, yShape);
}

export function maxPool2d(x: Tensor, kernel: IntOrPair, stride?: IntOrPair | null, padding: IntOrPair = 0): Tensor {
  return maxPool('maxPool2d', poolInput('maxPool2d', x, 2), kernel, stride, padding);
}

export function avgPool2d(x: Tensor, kernel: IntOrPair, stride?: IntOrPair | null, padding: IntOrPair = 0): Tensor {
  return avgPool('avgPool2d', poolInput('avgPool2d', x, 2), kernel, stride, padding);
}

/** Averages over PyTorch's adaptive windows: rows [floor(i·H/oh), ceil((i+1)·H/oh)). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: IntOrPair): Tensor {
  return adaptiveAvgPool('adaptiveAvgPool2d', poolInput('adaptiveAvgPool2d', x, 2), outputSize);
}

/** The max over adaptiveAvgPool2d's windows (ties: the first; a NaN wins). CPU only. */
export function adaptiveMaxPool2d(x: Tensor, outputSize: IntOrPair): Tensor {
  return adaptiveMaxPool('adaptiveMaxPool2d', poolInput('adaptiveMaxPool2d', x, 2), outputSize);
}

/** Over N×C×L: windows of k steps every `stride` (default k), `padding` (<= k/2) steps of -inf each side. */
export function maxPool1d(x: Tensor, kernel: number, stride?: number | null, padding = 0): Tensor {
  return maxPool('maxPool1d', poolInput('maxPool1d', x, 1), kernel, stride, padding);
}

/** Over N×C×L; padded zeros count in the average (count_include_pad). */
export function avgPool1d(x: Tensor, kernel: number, stride?: number | null, padding = 0): Tensor {
  return avgPool('avgPool1d', poolInput('avgPool1d', x, 1), kernel, stride, padding);
}

/** Over N×C×L to N×C×outputSize: windows [floor(i·L/out), ceil((i+1)·L/out)). */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor {
  return adaptiveAvgPool('adaptiveAvgPool1d', poolInput('adaptiveAvgPool1d', x, 1), outputSize);
}

/** The max over adaptiveAvgPool1d's windows. CPU only. */
export function adaptiveMaxPool1d(x: Tensor, outputSize: number): Tensor {
  return adaptiveMaxPool('adaptiveMaxPool1d', poolInput('adaptiveMaxPool1d', x, 1), outputSize);
}
