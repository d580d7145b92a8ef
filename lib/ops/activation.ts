// relu(x) = max(x, 0); its gradient passes dy where x > 0 (0 at x = 0, as PyTorch).
import { native } from '../native/load-addon';
import { expectTensor } from '../core/shape-checks';
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
