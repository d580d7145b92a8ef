// Shape ops, for float32 and int32 tensors alike: views (a new shape over the same storage:
// unsqueeze, squeeze and, from elementwise.ts, reshape and flatten), permute and transpose (a
// contiguous copy by the addon's permute kernel; CPU only for now), and argmax along a dim.
import { native } from '../native/load-addon';
import { allocateForward } from '../core/autograd';
import { acquirePlainFloat32, acquirePlainInt32 } from '../core/memory';
import { cpuStorage, describeValue, expectAnyTensor, expectTensor, formatShape, isInteger, numelOf } from '../core/shape-checks';
import { allocateLike } from '../core/storage';
import { opResult, Tensor } from '../core/tensor';
import { int32Storage } from '../core/tensor-data';

/** x's storage under a new shape (same element count): in the graph for float32, a plain view for int32. */
export function viewAs(op: string, x: Tensor, shape: readonly number[]): Tensor {
  if (x.dtype === 'int32') return new Tensor(x.storage, shape, null, false, 'int32');
  return opResult(op, x.storage, shape, [x], (g) => [g]);
}

/** dim as an index in [0, rank), from an integer in [-rank, rank) (PyTorch's wrapping of negative dims). */
export function normalizeDim(op: string, arg: string, dim: unknown, rank: number, shape: readonly number[]): number {
  if (!isInteger(dim)) throw new TypeError(`${op}: ${arg} expects an integer, but got ${describeValue(dim)}`);
  const lo = -Math.max(rank, 1);
  const hi = Math.max(rank, 1) - 1;
  if (dim < lo || dim > hi) {
    throw new RangeError(`${op}: ${arg} expects a dim in [${lo}, ${hi}] for shape ${formatShape(shape)}, but got ${dim}`);
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const op = 'Tensor.unsqueeze';
  expectAnyTensor(op, 'this tensor', x);
  const at = normalizeDim(op, 'dim', dim, x.shape.length + 1, x.shape);
  return viewAs(op, x, [...x.shape.slice(0, at), 1, ...x.shape.slice(at)]);
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  const op = 'Tensor.squeeze';
  expectAnyTensor(op, 'this tensor', x);
  if (dim === undefined) return viewAs(op, x, x.shape.filter((d) => d !== 1));
  const at = normalizeDim(op, 'dim', dim, x.shape.length, x.shape);
  if (x.shape.length === 0 || x.shape[at] !== 1) return viewAs(op, x, x.shape);
  return viewAs(op, x, x.shape.filter((_, i) => i !== at));
}

/** A contiguous copy of x with its dims reordered (out dim i = x dim perm[i]); gradient: the inverse permutation. */
function permuted(op: string, x: Tensor, perm: readonly number[]): Tensor {
  const source = cpuStorage(op, 'this tensor', x);
  const shape = perm.map((d) => x.shape[d]);
  if (x.dtype === 'int32') {
    const out = acquirePlainFloat32(x.numel); // int32 bytes: the kernel only moves them
    native().permute(source, [...x.shape], [...perm], out);
    return new Tensor(out, shape, null, false, 'int32');
  }
  const out = allocateForward(source, x.numel, [x]) as Float32Array;
  native().permute(source, [...x.shape], [...perm], out);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return opResult(op, out, shape, [x], (g) => {
    const dx = allocateLike(g) as Float32Array;
    native().permute(g as Float32Array, shape, inverse, dx);
    return [dx];
  });
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const op = 'Tensor.transpose';
  expectAnyTensor(op, 'this tensor', x);
  const rank = x.shape.length;
  const a = normalizeDim(op, 'dim0', dim0, rank, x.shape);
  const b = normalizeDim(op, 'dim1', dim1, rank, x.shape);
  const perm = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permuted(op, x, perm);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const op = 'Tensor.permute';
  expectAnyTensor(op, 'this tensor', x);
  const rank = x.shape.length;
  if (!Array.isArray(dims) || dims.length !== rank) {
    throw new RangeError(`${op}: dims expects a permutation of the ${rank} dims of shape ${formatShape(x.shape)}, but got ${describeValue(dims)}`);
  }
  const perm = dims.map((d, i) => normalizeDim(op, `dims[${i}]`, d, rank, x.shape));
  if (new Set(perm).size !== rank) {
    throw new RangeError(`${op}: dims expects a permutation of the ${rank} dims of shape ${formatShape(x.shape)} (each once), but got ${formatShape(dims)}`);
  }
  return permuted(op, x, perm);
}

/** The index of the largest value along dim (dim removed; over all values when dim is undefined), as int32. */
export function argmax(x: Tensor, dim?: number): Tensor {
  const op = 'Tensor.argmax';
  expectTensor(op, 'this tensor', x);
  if (x.numel === 0) throw new RangeError(`${op}: this tensor expects a non-empty tensor, but got shape ${formatShape(x.shape)}`);
  const source = cpuStorage(op, 'this tensor', x);
  const rank = x.shape.length;
  let outer = 1;
  let size = x.numel;
  let inner = 1;
  let shape: number[] = [];
  if (dim !== undefined) {
    const d = normalizeDim(op, 'dim', dim, rank, x.shape);
    outer = numelOf(x.shape.slice(0, d));
    size = rank === 0 ? 1 : x.shape[d];
    inner = numelOf(x.shape.slice(d + 1));
    shape = x.shape.filter((_, i) => i !== d);
  }
  const out = acquirePlainInt32(outer * inner);
  native().argmaxAlong(source, outer, size, inner, out);
  return new Tensor(int32Storage(out), shape, null, false, 'int32');
}

/** outer, size, inner of x around dim: the block shape of the along-dim kernels (softmax, argmax, cat). */
export function splitAtDim(shape: readonly number[], dim: number): [number, number, number] {
  if (shape.length === 0) return [1, 1, 1];
  return [numelOf(shape.slice(0, dim)), shape[dim], numelOf(shape.slice(dim + 1))];
}
