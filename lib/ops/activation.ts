// Pointwise activations. relu(x) = max(x, 0); its gradient passes dy where x > 0 (0 at x = 0, as
// PyTorch). tanh and sigmoid save their output, from which their gradients follow (CPU kernels only).
// gatedTanh is WaveNet's gated activation unit in one pass each way (it saves its input).
import { native } from '../native/load-addon';
import { cpuStorage, expectTensor, formatShape } from '../core/shape-checks';
import { allocateForward } from '../core/autograd';
import { allocateLike } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';
import { normalizeDim, splitAtDim } from './shape';

export function relu(x: Tensor): Tensor {
  const op = 'relu';
  expectTensor(op, 'x', x);
  const out = allocateForward(x.storage, x.numel, [x]);
  native().relu(x.storage, out);
  const input = x.storage;
  return opResult(op, out, x.shape, [x], (g) => {
    const dx = allocateLike(g);
    native().reluBackward(input, g, dx);
    return [dx];
  }, [input]);
}

type Forward = (x: Float32Array, out: Float32Array) => void;
type BackwardFromOutput = (y: Float32Array, dy: Float32Array, dx: Float32Array) => void;

/** A pointwise op whose gradient is a function of its output y (saved) and dy. */
function fromOutput(op: string, x: Tensor, forward: Forward, backward: BackwardFromOutput): Tensor {
  expectTensor(op, 'x', x);
  const source = cpuStorage(op, 'x', x);
  const y = allocateForward(source, x.numel, [x]) as Float32Array;
  forward(source, y);
  return opResult(op, y, x.shape, [x], (g) => {
    const dx = allocateLike(g) as Float32Array;
    backward(y, g as Float32Array, dx);
    return [dx];
  }, [y]);
}

export function tanh(x: Tensor): Tensor {
  const n = native();
  return fromOutput('tanh', x, (v, out) => n.tanhForward(v, out), (y, dy, dx) => n.tanhBackward(y, dy, dx));
}

export function sigmoid(x: Tensor): Tensor {
  const n = native();
  return fromOutput('sigmoid', x, (v, out) => n.sigmoidForward(v, out), (y, dy, dx) => n.sigmoidBackward(y, dy, dx));
}

/**
 * tanh(a)·σ(b), a and b the first and second halves of x along dim (its size must be even): WaveNet's
 * gated activation unit on the output of one conv holding the filter and gate channels side by side, as
 * x.narrow(dim, 0, h).tanh() * x.narrow(dim, h, h).sigmoid() but one pass forward and one backward.
 */
export function gatedTanh(x: Tensor, dim = 1): Tensor {
  const op = 'gatedTanh';
  expectTensor(op, 'x', x);
  const d = normalizeDim(op, 'dim', dim, x.shape.length, x.shape);
  if (x.shape[d] % 2 !== 0) {
    throw new RangeError(`${op}: x expects an even size along dim ${d} (the filter and gate halves), but got shape ${formatShape(x.shape)}`);
  }
  const source = cpuStorage(op, 'x', x);
  const [outer, size, inner] = splitAtDim(x.shape, d);
  const half = (size / 2) * inner;
  const shape = x.shape.map((s, i) => (i === d ? s / 2 : s));
  const z = allocateForward(source, outer * half, [x]) as Float32Array;
  native().gatedTanhForward(source, outer, half, z);
  return opResult(op, z, shape, [x], (g) => {
    const dx = allocateLike(g, source.length) as Float32Array;
    native().gatedTanhBackward(source, g as Float32Array, outer, half, dx);
    return [dx];
  }, [source]);
}
