// Pointwise activations. relu(x) = max(x, 0); its gradient passes dy where x > 0 (0 at x = 0, as
// PyTorch). tanh and sigmoid save their output, from which their gradients follow (CPU kernels only).
import { native } from '../native/load-addon';
import { cpuStorage, expectTensor } from '../core/shape-checks';
import { allocateForward } from '../core/autograd';
import { allocateLike } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';

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
