// Shape ops: views (a new shape over the same storage: unsqueeze, squeeze and, from elementwise.ts,
// reshape and flatten), for float32 and int32 tensors alike.
import { describeValue, expectAnyTensor, formatShape, isInteger } from '../core/shape-checks';
import { opResult, Tensor } from '../core/tensor';

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
