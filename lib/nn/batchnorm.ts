// BatchNorm2d (N×C×H×W) and BatchNorm1d (N×C or N×C×L): per-channel normalisation with learned scale
// (weight) and shift (bias). Training normalises with the batch's statistics and moves the running
// ones (running_mean, running_var, num_batches_tracked: PyTorch's state_dict names); eval normalises
// with the running ones.
import { native } from '../native/load-addon';
import { batchNorm1d, batchNorm2d, batchNormRelu2d } from '../ops/batchnorm';
import { describeValue, expectInt } from '../core/shape-checks';
import { scalarOf } from '../core/storage';
import { Tensor } from '../core/tensor';
import { filledParameter } from './init';
import { Module } from './module';
import type { StreamRole } from './stream';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch in the running statistics; null: a cumulative average over batches. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** What BatchNorm1d and BatchNorm2d share: parameters, running statistics, their update. */
abstract class BatchNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly trackRunningStats: boolean;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;

  constructor(op: string, numFeatures: number, opts: BatchNormOptions) {
    super();
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

  protected normalise(x: Tensor, op: typeof batchNorm2d): Tensor {
    const useBatchStats = this.training || !this.trackRunningStats;
    const counter = this.training ? this.numBatchesTracked : null;
    const tracked = counter ? scalarOf(counter.storage) : 0;
    const factor = counter ? (this.momentum ?? 1 / (tracked + 1)) : 0;
    const stats = useBatchStats && !this.training ? { runningMean: null, runningVar: null } : this;
    const y = op(x, this.weight, this.bias, stats, useBatchStats, factor, this.eps);
    if (counter) native().fill(counter.storage, tracked + 1); // only after a forward that ran
    return y;
  }

  /** In eval mode it is a per-channel affine map (per step); in training it needs the whole batch's statistics. */
  override streamRole(): StreamRole {
    return this.training ? { kind: 'refuse', why: 'batch norm in training mode normalises over the whole sequence (call model.eval())' } : { kind: 'pointwise' };
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}${this.weight ? '' : ', affine=false'}${this.trackRunningStats ? '' : ', trackRunningStats=false'}`;
  }
}

export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm2d', numFeatures, opts);
  }

  override forward(x: Tensor): Tensor {
    return this.normalise(x, batchNorm2d);
  }

  /** Internal (nn.Sequential): relu(this.forward(x)) as one op, with the same statistics' updates. */
  forwardRelu(x: Tensor): Tensor {
    return this.normalise(x, batchNormRelu2d);
  }

  /**
   * Internal: whether forwardRelu may stand for relu(this.forward(x)): this instance runs BatchNorm2d's
   * own forward (not a subclass's, nor one shadowed as summary() does) on a tensor in host memory.
   */
  fusesRelu(x: unknown): boolean {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared by identity
    return Object.getPrototypeOf(this) === BatchNorm2d.prototype && this.forwardIs(BatchNorm2d.prototype.forward) &&
      x instanceof Tensor && x.device === 'cpu';
  }

  /** relu(this.forward(x)) for a model's block: one op where fusesRelu(x), else the two. */
  forwardThenRelu(x: Tensor): Tensor {
    return this.fusesRelu(x) ? this.forwardRelu(x) : this.forward(x).relu();
  }
}

/** Over N×C (a value per channel and sample) or N×C×L (statistics over N and L), as PyTorch's. */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm1d', numFeatures, opts);
  }

  override forward(x: Tensor): Tensor {
    return this.normalise(x, batchNorm1d);
  }
}
