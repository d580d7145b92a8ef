// relu(x) = max(x, 0); its gradient passes dy where x > 0 (0 at x = 0, as PyTorch).
import { native } from '../binding';
import { expectCpu, expectTensor } from '../shape-checks';
import { opResult, type Tensor } from '../tensor';

export function relu(x: Tensor): Tensor {
  const op = 'relu';
  expectTensor(op, 'x', x);
  expectCpu(op, 'x', x);
  const out = new Float32Array(x.numel);
  native().relu(x.storage, out);
  const input = x.storage;
  return opResult(op, out, x.shape, [x], (g) => {
    const dx = new Float32Array(g.length);
    native().reluBackward(input, g, dx);
    return [dx];
  });
}
