// Linear(in, out, { bias }): y = x Wᵀ + b over the last dim, PyTorch's default initialisation.
import { linear } from '../ops/linear';
import { describeValue, expectInt } from '../core/shape-checks';
import type { Tensor } from '../core/tensor';
import { kaimingUniformBound, uniformParameter } from './init';
import { Module } from './module';
import type { ReceptiveStep } from './receptive-field';
import type { StreamRole } from './stream';

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts?: { bias?: boolean }) {
    super();
    const op = 'Linear';
    this.inFeatures = expectInt(op, 'inFeatures', inFeatures, 1);
    this.outFeatures = expectInt(op, 'outFeatures', outFeatures, 1);
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new TypeError(`${op}: opts expects { bias? }, but got ${describeValue(opts)}`);
    const bias = opts?.bias ?? true;
    if (typeof bias !== 'boolean') throw new TypeError(`${op}: opts.bias expects a boolean, but got ${describeValue(bias)}`);
    this.weight = uniformParameter([this.outFeatures, this.inFeatures], kaimingUniformBound(this.inFeatures));
    this.bias = bias ? uniformParameter([this.outFeatures], 1 / Math.sqrt(this.inFeatures)) : null;
  }

  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** Every output mixes every input feature: after a flatten, that is the whole input. */
  override receptiveStep(): ReceptiveStep {
    return { kind: 'global' };
  }

  /** It maps each row's features: on a stream its rows are time steps (after channelsLast), so it acts per step. */
  override streamRole(): StreamRole {
    return { kind: 'pointwise' };
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}${this.bias ? '' : ', bias=false'}`;
  }
}
