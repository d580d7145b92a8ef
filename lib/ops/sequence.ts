// Two layout ops the sequence models need, in the addon and on either device (with their gradients):
// lastStep (N×C×L → N×C, the output at the final time step) and channelsLast (N×C×L → (N·L)×C, so that
// a per-step classification is one crossEntropy over rows).
import { native } from '../native/load-addon';
import { expectRank, formatShape } from '../core/shape-checks';
import { allocateForward } from '../core/autograd';
import { allocateLike, onDevice } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';

/** x[:, :, -1]: (N·C)×L times the one-hot column e_L. */
export function lastStep(x: Tensor): Tensor {
  const op = 'lastStep';
  expectRank(op, 'x', x, 3, 'N×C×L');
  const [n, c, l] = x.shape;
  if (n * c * l === 0) throw new RangeError(`${op}: x expects a non-empty N×C×L tensor, but got ${formatShape(x.shape)}`);
  const rows = n * c;
  const oneHot = new Float32Array(l);
  oneHot[l - 1] = 1;
  const pick = onDevice(oneHot, x.device, op);
  const y = allocateForward(x.storage, rows, [x]);
  native().gemm(false, false, rows, 1, l, 1, x.storage, l, pick, 1, 0, y, 1);
  return opResult(op, y, [n, c], [x], (g) => {
    // dx = g · e_Lᵀ: zero except the last step.
    const dx = allocateLike(g, rows * l);
    native().gemm(false, false, rows, l, 1, 1, g, 1, pick, l, 0, dx, l);
    return [dx];
  }, [pick]);
}

/** Per sample, the C×L block transposed to L×C. */
export function channelsLast(x: Tensor): Tensor {
  const op = 'channelsLast';
  expectRank(op, 'x', x, 3, 'N×C×L');
  const [n, c, l] = x.shape;
  if (n * c * l === 0) throw new RangeError(`${op}: x expects a non-empty N×C×L tensor, but got ${formatShape(x.shape)}`);
  const y = allocateForward(x.storage, x.numel, [x]);
  native().transposeBatched(x.storage, n, c, l, y);
  return opResult(op, y, [n * l, c], [x], (g) => {
    const dx = allocateLike(g);
    native().transposeBatched(g, n, l, c, dx);
    return [dx];
  });
}
