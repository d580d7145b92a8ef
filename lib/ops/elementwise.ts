// Views (reshape, flatten), same-shape arithmetic with a tensor or a number, and full reductions.
// Reductions return 0-d tensors (shape []), as PyTorch does.
import { native } from '../native/load-addon';
import { describeValue, expectAnyTensor, expectDevice, expectSameShape, expectTensor, formatShape, isInteger, numelOf } from '../core/shape-checks';
import { allocateForward } from '../core/autograd';
import { allocateLike, filledLike, scalarLike, scalarOf, type Storage } from '../core/storage';
import { opResult, Tensor } from '../core/tensor';
import { viewAs } from './shape';

/** A view with a new shape (same storage, any dtype); one dim may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const op = 'Tensor.reshape';
  expectAnyTensor(op, 'this tensor', x);
  return viewAs(op, x, resolveReshape(op, x, shape));
}

function resolveReshape(op: string, x: Tensor, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape expects an array of dims, but got ${describeValue(shape)}`);
  let inferAt = -1;
  shape.forEach((d, i) => {
    if (!isInteger(d)) throw new TypeError(`${op}: shape[${i}] expects an integer, but got ${describeValue(d)}`);
    if (d === -1) {
      if (inferAt >= 0) throw new RangeError(`${op}: shape ${formatShape(shape)} has more than one -1 (only one dim can be inferred)`);
      inferAt = i;
    } else if (d < 0) {
      throw new RangeError(`${op}: shape[${i}] expects an integer >= 0 or -1, but got ${d}`);
    }
  });
  const dims = [...(shape as number[])];
  if (inferAt >= 0) {
    const known = numelOf(dims.filter((_, i) => i !== inferAt));
    if (known === 0 || x.numel % known !== 0) {
      throw new RangeError(`${op}: shape ${formatShape(shape)} is invalid for a tensor of ${x.numel} elements (shape ${formatShape(x.shape)})`);
    }
    dims[inferAt] = x.numel / known;
  }
  if (numelOf(dims) !== x.numel) {
    throw new RangeError(`${op}: shape ${formatShape(shape)} is invalid for a tensor of ${x.numel} elements (shape ${formatShape(x.shape)})`);
  }
  return dims;
}

/** Merges dims startDim..end into one (a view). A 0-d tensor flattens to shape [1]. */
export function flatten(x: Tensor, startDim = 1): Tensor {
  const op = 'Tensor.flatten';
  expectAnyTensor(op, 'this tensor', x);
  const rank = x.shape.length;
  const lo = rank === 0 ? -1 : -rank;
  const hi = rank === 0 ? 0 : rank - 1;
  if (!isInteger(startDim)) throw new TypeError(`${op}: startDim expects an integer, but got ${describeValue(startDim)}`);
  if (startDim < lo || startDim > hi) {
    throw new RangeError(`${op}: startDim expects an integer in [${lo}, ${hi}] for shape ${formatShape(x.shape)}, but got ${startDim}`);
  }
  const start = startDim < 0 ? Math.max(0, startDim + rank) : startDim;
  const target = rank === 0 ? [1] : [...x.shape.slice(0, start), numelOf(x.shape.slice(start))];
  return viewAs(op, x, target);
}

type Operand = Tensor | number;

/** Checks `other` for a binary method: a number, or a tensor of x's shape on x's device. */
function checkOperand(op: string, x: Tensor, other: unknown): asserts other is Operand {
  if (typeof other === 'number') return;
  expectTensor(op, 'other', other);
  expectDevice(op, 'other', other, 'this tensor', x);
  expectSameShape(op, 'other', other, x.shape, 'same as this tensor');
}

function scaled(g: Storage, factor: number): Storage {
  const out = allocateLike(g);
  native().axpby(g, factor, null, 0, out);
  return out;
}

function product(a: Storage, b: Storage): Storage {
  const out = allocateLike(a);
  native().mul(a, b, out);
  return out;
}

export function add(x: Tensor, other: Operand): Tensor {
  const op = 'Tensor.add';
  expectTensor(op, 'this tensor', x);
  checkOperand(op, x, other);
  const out = allocateForward(x.storage, x.numel, [x, typeof other === 'number' ? null : other]);
  if (typeof other === 'number') {
    native().axpby(x.storage, 1, null, other, out);
    return opResult(op, out, x.shape, [x], (g) => [g]);
  }
  native().add(x.storage, other.storage, out);
  return opResult(op, out, x.shape, [x, other], (g) => [g, g]);
}

export function sub(x: Tensor, other: Operand): Tensor {
  const op = 'Tensor.sub';
  expectTensor(op, 'this tensor', x);
  checkOperand(op, x, other);
  const out = allocateForward(x.storage, x.numel, [x, typeof other === 'number' ? null : other]);
  if (typeof other === 'number') {
    native().axpby(x.storage, 1, null, -other, out);
    return opResult(op, out, x.shape, [x], (g) => [g]);
  }
  native().sub(x.storage, other.storage, out);
  return opResult(op, out, x.shape, [x, other], (g, needs) => [g, needs[1] ? scaled(g, -1) : null]);
}

export function mul(x: Tensor, other: Operand): Tensor {
  const op = 'Tensor.mul';
  expectTensor(op, 'this tensor', x);
  checkOperand(op, x, other);
  const out = allocateForward(x.storage, x.numel, [x, typeof other === 'number' ? null : other]);
  if (typeof other === 'number') {
    native().axpby(x.storage, other, null, 0, out);
    return opResult(op, out, x.shape, [x], (g) => [scaled(g, other)]);
  }
  const a = x.storage;
  const b = other.storage;
  native().mul(a, b, out);
  return opResult(op, out, x.shape, [x, other], (g, needs) => [needs[0] ? product(g, b) : null, needs[1] ? product(g, a) : null], [a, b]);
}

/** Sum of all elements (accumulated in float64 by the addon), as a 0-d tensor. */
export function sum(x: Tensor): Tensor {
  const op = 'Tensor.sum';
  expectTensor(op, 'this tensor', x);
  const total = native().sum(x.storage);
  return opResult(op, scalarLike(x.storage, total), [], [x], (g) => [filledLike(g, x.numel, scalarOf(g))]);
}

/** Mean of all elements, as a 0-d tensor (NaN for an empty tensor, as PyTorch). */
export function mean(x: Tensor): Tensor {
  const op = 'Tensor.mean';
  expectTensor(op, 'this tensor', x);
  const n = x.numel;
  const total = native().sum(x.storage);
  return opResult(op, scalarLike(x.storage, total / n), [], [x], (g) => [filledLike(g, n, scalarOf(g) / n)]);
}
