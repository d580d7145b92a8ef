// softmax and logSoftmax along a dim (negative counts from the end), by the addon's softmax kernels
// (CPU only for now); each saves its output, from which its gradient follows.
import { native } from '../native/load-addon';
import { cpuStorage, expectTensor } from '../core/shape-checks';
import { allocateForward } from '../core/autograd';
import { allocateLike } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';
import { normalizeDim, splitAtDim } from './shape';

function alongDim(op: string, x: Tensor, dim: number, log: boolean): Tensor {
  expectTensor(op, 'x', x);
  const d = normalizeDim(op, 'dim', dim, x.shape.length, x.shape);
  const source = cpuStorage(op, 'x', x);
  const [outer, size, inner] = splitAtDim(x.shape, d);
  const y = allocateForward(source, x.numel, [x]) as Float32Array;
  if (x.numel > 0) native().softmaxForward(source, outer, size, inner, log, y);
  return opResult(op, y, x.shape, [x], (g) => {
    const dx = allocateLike(g) as Float32Array;
    if (x.numel > 0) native().softmaxBackward(y, g as Float32Array, outer, size, inner, log, dx);
    return [dx];
  }, [y]);
}

export function softmax(x: Tensor, dim: number): Tensor {
  return alongDim('softmax', x, dim, false);
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  return alongDim('logSoftmax', x, dim, true);
}
