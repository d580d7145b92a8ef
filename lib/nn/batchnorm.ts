// BatchNorm2d: per-channel normalisation of N×C×H×W with learned scale (weight) and shift (bias).
// Training normalises with the batch's statistics and moves the running ones (running_mean,
// running_var, num_batches_tracked: PyTorch's state_dict names); eval normalises with the running ones.
import { native } from '../binding';
import { describeValue, expectDevice, expectInt, expectRank, formatShape } from '../shape-checks';
import { allocateLike, scalarOf } from '../storage';
import { opResult, Tensor } from '../tensor';
import { filledParameter } from './init';
import { Module } from './module';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch in the running statistics; null: a cumulative average over batches. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

interface BatchNormState {
  runningMean: Tensor | null;
  runningVar: Tensor | null;
}

/**
 * The functional form: batch statistics when training (moving runningMean/runningVar by factor, if
 * given), else the running statistics (required).
 */
export function batchNorm2d(
  x: Tensor, weight: Tensor | null, bias: Tensor | null, stats: BatchNormState, training: boolean, factor: number, eps: number,
): Tensor {
  const op = 'batchNorm2d';
  expectRank(op, 'x', x, 4, 'N×C×H×W');
  const [n, c, h, w] = x.shape;
  const channels = weight?.numel ?? stats.runningMean?.numel ?? c;
  if (c !== channels) throw new RangeError(`${op}: x expects ${channels} channels (dim 1), but got shape ${formatShape(x.shape)}`);
  if (n * h * w === 0 || c === 0) throw new RangeError(`${op}: x expects a non-empty tensor, but got shape ${formatShape(x.shape)}`);
  if (training && n * h * w < 2) {
    throw new RangeError(`${op}: expects more than 1 value per channel when training, but got x of shape ${formatShape(x.shape)}`);
  }
  if (!training && (stats.runningMean === null || stats.runningVar === null)) {
    throw new Error(`${op}: eval mode needs running statistics, but this layer does not track them (trackRunningStats: false)`);
  }
  const xShape = [n, c, h, w];
  // Every parameter and statistic next to x (Module.to moves them together).
  const on = (arg: string, t: Tensor | null) => {
    if (t === null) return null;
    expectDevice(op, arg, t, 'x', x);
    return t.storage;
  };
  const input = x.storage;
  const gamma = on('weight', weight);
  const beta = on('bias', bias);
  const runningMean = on('runningMean', stats.runningMean);
  const runningVar = on('runningVar', stats.runningVar);
  const y = allocateLike(input);
  const saveMean = allocateLike(input, c);
  const saveInvStd = allocateLike(input, c);
  native().batchNormForward(input, xShape, gamma, beta, runningMean, runningVar, training, eps, factor, y, saveMean, saveInvStd);
  return opResult(op, y, x.shape, [x, weight, bias], (g, needs) => {
    const dx = needs[0] ? allocateLike(g, input.length) : null;
    const dgamma = needs[1] ? allocateLike(g, c) : null;
    const dbeta = needs[2] ? allocateLike(g, c) : null;
    native().batchNormBackward(input, xShape, g, gamma, saveMean, saveInvStd, training, dx, dgamma, dbeta);
    return [dx, dgamma, dbeta];
  }, [input, gamma, saveMean, saveInvStd]);
}

export class BatchNorm2d extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly trackRunningStats: boolean;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    const op = 'BatchNorm2d';
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: opts expects { eps?, momentum?, affine?, trackRunningStats? }, but got ${describeValue(opts)}`);
    this.numFeatures = expectInt(op, 'numFeatures', numFeatures, 1);
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = opts;
    if (typeof eps !== 'number' || !(eps > 0)) throw new RangeError(`${op}: opts.eps expects a number > 0, but got ${describeValue(eps)}`);
    if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) {
      throw new RangeError(`${op}: opts.momentum expects a number in [0, 1] or null, but got ${describeValue(momentum)}`);
    }
    if (typeof affine !== 'boolean') throw new TypeError(`${op}: opts.affine expects a boolean, but got ${describeValue(affine)}`);
    if (typeof trackRunningStats !== 'boolean') throw new TypeError(`${op}: opts.trackRunningStats expects a boolean, but got ${describeValue(trackRunningStats)}`);
    this.eps = eps;
    this.momentum = momentum;
    this.trackRunningStats = trackRunningStats;
    this.weight = affine ? filledParameter([numFeatures], 1) : null;
    this.bias = affine ? filledParameter([numFeatures], 0) : null;
    this.runningMean = trackRunningStats ? new Tensor(new Float32Array(numFeatures), [numFeatures]) : null;
    this.runningVar = trackRunningStats ? new Tensor(new Float32Array(numFeatures), [numFeatures]) : null;
    this.numBatchesTracked = trackRunningStats ? new Tensor(new Float32Array(1), []) : null;
    if (this.runningVar) native().fill(this.runningVar.storage, 1);
    if (this.runningMean && this.runningVar && this.numBatchesTracked) {
      this.registerBuffer('running_mean', this.runningMean);
      this.registerBuffer('running_var', this.runningVar);
      this.registerBuffer('num_batches_tracked', this.numBatchesTracked);
    }
  }

  /** The parameters are the affine weight and bias only: the running statistics are buffers. */
  protected override ownParameters(): [string, Tensor][] {
    return super.ownParameters().filter(([, t]) => t === this.weight || t === this.bias);
  }

  override forward(x: Tensor): Tensor {
    const useBatchStats = this.training || !this.trackRunningStats;
    const counter = this.training ? this.numBatchesTracked : null;
    const tracked = counter ? scalarOf(counter.storage) : 0;
    const factor = counter ? (this.momentum ?? 1 / (tracked + 1)) : 0;
    const stats = useBatchStats && !this.training ? { runningMean: null, runningVar: null } : this;
    const y = batchNorm2d(x, this.weight, this.bias, stats, useBatchStats, factor, this.eps);
    if (counter) native().fill(counter.storage, tracked + 1); // only after a forward that ran
    return y;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}${this.weight ? '' : ', affine=false'}${this.trackRunningStats ? '' : ', trackRunningStats=false'}`;
  }
}
