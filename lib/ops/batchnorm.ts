// Batch norm over N×C×H×W, the functional form under nn.BatchNorm2d (PyTorch's F.batch_norm);
// batchNorm1d, the same over N×C or N×C×L (the kernel sees N×C×1×1 or N×C×L×1); and batchNormRelu2d:
// relu(batchNorm2d(x)) as one op, which nn.Sequential runs for a [BatchNorm2d, ReLU] pair.
import { native } from '../native/load-addon';
import { expectDevice, expectRank, expectTensor, formatShape } from '../core/shape-checks';
import { allocateForward } from '../core/autograd';
import { allocateLike } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';
import { relu } from './activation';

/** The running statistics: required in eval; in training moved by factor when given. */
export interface BatchNormStats {
  runningMean: Tensor | null;
  runningVar: Tensor | null;
}

/**
 * The functional form: batch statistics when training (moving runningMean/runningVar by factor, if
 * given), else the running statistics (required).
 */
export function batchNorm2d(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, stats: BatchNormStats, training: boolean, factor: number, eps: number,
): Tensor {
  expectRank('batchNorm2d', 'x', x, 4, 'N×C×H×W');
  return batchNormOp('batchNorm2d', x, [...x.shape], weight, bias, stats, training, factor, eps, false);
}

/** batchNorm2d's form for N×C (one value per channel and sample) or N×C×L (a sequence per channel). */
export function batchNorm1d(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, stats: BatchNormStats, training: boolean, factor: number, eps: number,
): Tensor {
  const op = 'batchNorm1d';
  expectTensor(op, 'x', x);
  if (x.shape.length !== 2 && x.shape.length !== 3) {
    throw new RangeError(`${op}: x expects 2 dims (N×C) or 3 (N×C×L), but got shape ${formatShape(x.shape)}`);
  }
  const [n, c, l = 1] = x.shape;
  return batchNormOp(op, x, [n, c, l, 1], weight, bias, stats, training, factor, eps, false);
}

/**
 * Internal: relu(batchNorm2d(...)) with the same values, gradients and statistics, in one forward
 * pass and one backward pass that never writes the batch-norm output or the masked gradient (CPU).
 * On CUDA it runs the two ops in turn (no fused kernel there).
 */
export function batchNormRelu2d(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, stats: BatchNormStats, training: boolean, factor: number, eps: number,
): Tensor {
  expectRank('batchNormRelu2d', 'x', x, 4, 'N×C×H×W');
  return batchNormOp('batchNormRelu2d', x, [...x.shape], weight, bias, stats, training, factor, eps, true);
}

/** xShape: x's shape as the kernel's N×C×H×W (the same elements). */
function batchNormOp(
  op: string, x: Tensor, xShape: number[], weight: Tensor | null, bias: Tensor | null, stats: BatchNormStats,
  training: boolean, factor: number, eps: number, withRelu: boolean,
): Tensor {
  const [n, c, h, w] = xShape;
  const channels = weight?.numel ?? stats.runningMean?.numel ?? c;
  if (c !== channels) throw new RangeError(`${op}: x expects ${channels} channels (dim 1), but got shape ${formatShape(x.shape)}`);
  if (n * h * w === 0 || c === 0) throw new RangeError(`${op}: x expects a non-empty tensor, but got shape ${formatShape(x.shape)}`);
  if (training && n * h * w < 2) {
    throw new RangeError(`${op}: expects more than 1 value per channel when training, but got x of shape ${formatShape(x.shape)}`);
  }
  if (!training && (stats.runningMean === null || stats.runningVar === null)) {
    throw new Error(`${op}: eval mode needs running statistics, but this layer does not track them (trackRunningStats: false)`);
  }
  // Every parameter and statistic next to x (Module.to moves them together).
  const on = (arg: string, t: Tensor | null) => {
    if (t === null) return null;
    expectDevice(op, arg, t, 'x', x);
    return t.storage;
  };
  const gamma = on('weight', weight);
  const beta = on('bias', bias);
  const runningMean = on('runningMean', stats.runningMean);
  const runningVar = on('runningVar', stats.runningVar);
  const fused = withRelu && x.device === 'cpu';
  const inputs = [x, weight, bias];
  const y = allocateForward(x.storage, x.numel, inputs);
  const saveMean = allocateForward(x.storage, c, inputs);
  const saveInvStd = allocateForward(x.storage, c, inputs);
  native().batchNormForward(x.storage, xShape, gamma, beta, runningMean, runningVar, training, eps, factor, y, saveMean,
    saveInvStd, fused);
  // The closure holds tensors (x, weight, its own output) and reads their storage when it runs.
  const out: Tensor = opResult(op, y, x.shape, [x, weight, bias], (g, needs) => {
    const dx = needs[0] ? allocateLike(g, x.numel) : null;
    const dgamma = needs[1] ? allocateLike(g, c) : null;
    const dbeta = needs[2] ? allocateLike(g, c) : null;
    native().batchNormBackward(x.storage, xShape, g, weight?.storage ?? null, saveMean, saveInvStd, training, dx, dgamma,
      dbeta, fused ? out.storage : null);
    return [dx, dgamma, dbeta];
  }, [x.storage, gamma, saveMean, saveInvStd, fused ? y : null]);
  return withRelu && !fused ? relu(out) : out;
}
