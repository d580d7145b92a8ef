// at.cat(tensors, dim): float tensors of one device whose shapes agree except along dim, joined along
// it by the addon's strided row copies (CPU only for now); the gradient is split back the same way.
import { native } from '../native/load-addon';
import { allocateForward } from '../core/autograd';
import { describeValue, expectCpu, expectDevice, expectTensor, formatShape, isList } from '../core/shape-checks';
import { allocateLike } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';
import { normalizeDim, splitAtDim } from './shape';

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const op = 'cat';
  if (!isList(tensors) || tensors.length === 0) {
    throw new TypeError(`${op}: tensors expects a non-empty array of Tensors, but got ${describeValue(tensors)}`);
  }
  tensors.forEach((t, i) => expectTensor(op, `tensors[${i}]`, t));
  const first = tensors[0];
  const rank = first.shape.length;
  if (rank === 0) throw new RangeError(`${op}: tensors[0] expects at least 1 dim, but got a 0-d tensor (shape [])`);
  const d = normalizeDim(op, 'dim', dim, rank, first.shape);
  tensors.forEach((t, i) => {
    expectDevice(op, `tensors[${i}]`, t, 'tensors[0]', first);
    const agrees = t.shape.length === rank && t.shape.every((s: number, k: number) => k === d || s === first.shape[k]);
    if (!agrees) {
      throw new RangeError(
        `${op}: tensors[${i}] expects shape ${formatShape(first.shape.map((s: number, k: number) => (k === d ? NaN : s))).replace('NaN', '*')} ` +
          `(tensors[0]'s except along dim ${d}), but got ${formatShape(t.shape)}`,
      );
    }
  });
  expectCpu(op, 'tensors[0]', first);
  const [outer, , inner] = splitAtDim(first.shape, d);
  const sizes = tensors.map((t) => t.shape[d]);
  const total = sizes.reduce((a, b) => a + b, 0);
  const shape = first.shape.map((s: number, k: number) => (k === d ? total : s));
  const outCols = total * inner;
  const out = allocateForward(first.storage, outer * outCols, tensors) as Float32Array;
  let offset = 0;
  for (const t of tensors) {
    const cols = t.shape[d] * inner;
    native().copyStridedRows(t.storage as Float32Array, 0, cols, out, offset, outCols, outer, cols);
    offset += cols;
  }
  return opResult(op, out, shape, tensors, (g, needs) => {
    let at = 0;
    return sizes.map((size, i) => {
      const cols = size * inner;
      const start = at;
      at += cols;
      if (!needs[i]) return null;
      const dx = allocateLike(g, outer * cols) as Float32Array;
      native().copyStridedRows(g as Float32Array, start, outCols, dx, 0, cols, outer, cols);
      return dx;
    });
  });
}
