// Argument checks shared by every op. Each failure names the op, the argument, what was expected and
// what was given (with real shapes), and is thrown before any allocation or native call.
import { releaseReason } from './memory';
import { Tensor } from './tensor';

/** The most elements one tensor may hold: the addon indexes with 32-bit signed sizes. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A short description of any value, for "but got ..." in messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (v instanceof Tensor) return `a Tensor of shape ${formatShape(v.shape)}`;
  if (Array.isArray(v)) return v.length <= 8 ? `[${v.map(describeValue).join(', ')}]` : `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n (a bigint)`;
  if (typeof v === 'function') return 'a function';
  return `a ${typeof v}`;
}

/** A live float32 Tensor: what every float op takes (an int32 tensor of indices is refused, naming op and arg). */
export function expectTensor(op: string, arg: string, v: unknown): asserts v is Tensor {
  expectAnyTensor(op, arg, v);
  if (v.dtype !== 'float32') {
    throw new TypeError(`${op}: ${arg} expects a float32 tensor, but got an ${v.dtype} tensor of shape ${formatShape(v.shape)} (int32 tensors hold indices)`);
  }
}

/** A live Tensor of any dtype (shape ops, which move values without reading them as numbers). */
export function expectAnyTensor(op: string, arg: string, v: unknown): asserts v is Tensor {
  if (!(v instanceof Tensor)) throw new TypeError(`${op}: ${arg} expects a Tensor, but got ${describeValue(v)}`);
  if (v.storage.length !== v.numel) {
    throw new Error(`${op}: ${arg} (shape ${formatShape(v.shape)}) has no values any more: it was ${releaseReason(v.storage) ?? 'released'}`);
  }
}

/** A live int32 Tensor (class targets, token ids). */
export function expectIndexTensor(op: string, arg: string, v: unknown): asserts v is Tensor {
  expectAnyTensor(op, arg, v);
  if (v.dtype !== 'int32') {
    throw new TypeError(`${op}: ${arg} expects an int32 tensor of indices, but got a ${v.dtype} tensor of shape ${formatShape(v.shape)}`);
  }
}

/** For ops with CPU kernels only: t must be on the CPU (a CUDA tensor gets told how to move). */
export function expectCpu(op: string, arg: string, t: Tensor): void {
  if (t.device !== 'cpu') {
    throw new TypeError(
      `${op}: ${arg} expects a tensor on 'cpu', but it is on '${t.device}' (${op} has no CUDA kernel in this version of atrous; move it with .to('cpu'))`,
    );
  }
}

/** t's values for an op with CPU kernels only (see expectCpu). */
export function cpuStorage(op: string, arg: string, t: Tensor): Float32Array {
  expectCpu(op, arg, t);
  return t.storage as Float32Array;
}

/** Every tensor of one op on one device: t (named arg) must be where ref (named refArg) is. */
export function expectDevice(op: string, arg: string, t: Tensor, refArg: string, ref: Tensor): void {
  if (t.device !== ref.device) {
    throw new TypeError(
      `${op}: ${arg} is on '${t.device}' but ${refArg} is on '${ref.device}': the tensors of one op must be on one device (move one with .to())`,
    );
  }
}

/** A Tensor of the given rank (on any device); `layout` (e.g. 'N×C×H×W') makes the message readable. */
export function expectRank(op: string, arg: string, v: unknown, rank: number, layout: string): asserts v is Tensor {
  expectTensor(op, arg, v);
  if (v.shape.length !== rank) {
    throw new RangeError(`${op}: ${arg} expects ${rank} dims (${layout}), but got shape ${formatShape(v.shape)}`);
  }
}

export function expectSameShape(op: string, arg: string, t: Tensor, shape: readonly number[], whose: string): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${op}: ${arg} expects shape ${formatShape(shape)} (${whose}), but got ${formatShape(t.shape)}`);
  }
}

export function expectNonEmpty(op: string, arg: string, t: Tensor): void {
  if (t.numel === 0) throw new RangeError(`${op}: ${arg} expects a non-empty tensor, but got shape ${formatShape(t.shape)}`);
}

/** Array.isArray without narrowing a typed parameter to any[] (user input may be anything). */
export function isList(v: unknown): v is readonly unknown[] {
  return Array.isArray(v);
}

export function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** An integer >= min (1 for sizes, strides and dilations; 0 for paddings). */
export function expectInt(op: string, arg: string, v: unknown, min: number): number {
  if (typeof v !== 'number') throw new TypeError(`${op}: ${arg} expects an integer >= ${min}, but got ${describeValue(v)}`);
  if (!Number.isInteger(v) || v < min || v > MAX_ELEMENTS) {
    throw new RangeError(`${op}: ${arg} expects an integer >= ${min}, but got ${describeValue(v)}`);
  }
  return v;
}

/** A number or an [h, w] pair of integers >= min, as [h, w]. */
export function expectIntPair(op: string, arg: string, v: unknown, min: number): [number, number] {
  if (typeof v === 'number') {
    const n = expectInt(op, arg, v, min);
    return [n, n];
  }
  if (!Array.isArray(v) || v.length !== 2) {
    throw new TypeError(`${op}: ${arg} expects an integer >= ${min} or a pair [h, w] of them, but got ${describeValue(v)}`);
  }
  return [expectInt(op, `${arg}[0]`, v[0], min), expectInt(op, `${arg}[1]`, v[1], min)];
}

/** A number or a one-element array (conv1d accepts PyTorch's 1-tuples). */
export function expectIntSingle(op: string, arg: string, v: unknown, min: number): number {
  if (Array.isArray(v)) {
    if (v.length !== 1) throw new TypeError(`${op}: ${arg} expects an integer >= ${min} or [n], but got ${describeValue(v)}`);
    return expectInt(op, `${arg}[0]`, v[0], min);
  }
  return expectInt(op, arg, v, min);
}

/** Checks a shape given by the user: an array of non-negative integer dims, at most MAX_ELEMENTS in all. */
export function expectShape(op: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: ${arg} expects an array of dims, but got ${describeValue(shape)}`);
  shape.forEach((d, i) => {
    if (typeof d !== 'number') throw new TypeError(`${op}: ${arg}[${i}] expects an integer >= 0, but got ${describeValue(d)}`);
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: ${arg}[${i}] expects an integer >= 0, but got ${d} (shape ${formatShape(shape)})`);
    }
  });
  expectElementCount(op, arg, shape);
  return [...(shape as number[])];
}

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Throws when a shape holds more than MAX_ELEMENTS elements (float64 products stay exact enough to tell). */
export function expectElementCount(op: string, arg: string, shape: readonly number[]): void {
  const n = numelOf(shape);
  if (n > MAX_ELEMENTS) {
    throw new RangeError(`${op}: ${arg} ${formatShape(shape)} has ${n} elements, more than the 2^31-1 a tensor can hold`);
  }
}
