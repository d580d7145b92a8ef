// embedding(indices, weight): rows of weight picked by int32 indices of any shape (token ids →
// vectors). Its gradient flows to weight only, accumulating repeated indices natively and
// deterministically; the row paddingIdx gets none. CPU kernels (native/kernels/cpu/embedding).
import { allocateForward } from '../core/autograd';
import { acquireFloat32 } from '../core/memory';
import { cpuStorage, describeValue, expectIndexTensor, expectTensor, formatShape, isInteger } from '../core/shape-checks';
import { int32View } from '../core/tensor-data';
import { opResult, type Tensor } from '../core/tensor';
import { native } from '../native/load-addon';

export interface EmbeddingOptions {
  /** A row (negative: counted from the end, as PyTorch) whose lookups get no gradient. */
  paddingIdx?: number | null;
}

export function embedding(indices: Tensor, weight: Tensor, opts?: EmbeddingOptions): Tensor {
  const op = 'embedding';
  expectIndexTensor(op, 'indices', indices);
  expectTensor(op, 'weight', weight);
  if (weight.shape.length !== 2) throw new RangeError(`${op}: weight expects a 2-d tensor V×D (one row per index), but got shape ${formatShape(weight.shape)}`);
  const [vocab, dim] = weight.shape;
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new TypeError(`${op}: opts expects { paddingIdx? }, but got ${describeValue(opts)}`);
  const paddingIdx = resolvePaddingIdx(op, opts?.paddingIdx, vocab);
  const ids = int32View(cpuStorage(op, 'indices', indices));
  const table = cpuStorage(op, 'weight', weight);
  const out = allocateForward(table, indices.numel * dim, [weight]) as Float32Array;
  native().embeddingForward(ids, table, vocab, dim, out); // throws, naming the first index outside [0, V)
  const kept = ids.slice(); // the graph keeps its own copy: later edits to indices cannot change the gradient
  return opResult(op, out, [...indices.shape, dim], [weight], (g) => {
    const dw = acquireFloat32(vocab * dim);
    native().embeddingBackward(kept, g as Float32Array, vocab, dim, paddingIdx, dw);
    return [dw];
  });
}

/** paddingIdx in [-V, V) as a row in [0, V), or -1 for none. */
export function resolvePaddingIdx(op: string, paddingIdx: unknown, vocab: number): number {
  if (paddingIdx === undefined || paddingIdx === null) return -1;
  if (!isInteger(paddingIdx) || paddingIdx < -vocab || paddingIdx >= vocab) {
    throw new RangeError(`${op}: paddingIdx expects an integer in [${-vocab}, ${vocab}) (a row of the ${vocab}-row weight), but got ${describeValue(paddingIdx)}`);
  }
  return paddingIdx < 0 ? paddingIdx + vocab : paddingIdx;
}
