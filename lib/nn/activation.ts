// Parameter-free layers: ReLU, Tanh, Sigmoid, Identity, Flatten, Dropout.
import { dropout } from '../ops/dropout';
import { relu, sigmoid, tanh } from '../ops/activation';
import { describeValue, isInteger } from '../core/shape-checks';
import type { Tensor } from '../core/tensor';
import { Module } from './module';
import type { StreamRole } from './stream';

export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** Identity(): returns its input (a placeholder layer; constructor arguments are ignored, as PyTorch). */
export class Identity extends Module {
   
  constructor(..._args: unknown[]) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flatten(startDim = 1): merges dims startDim..end (the batch dim stays). */
export class Flatten extends Module {
  readonly startDim: number;

  constructor(startDim = 1) {
    super();
    if (!isInteger(startDim)) throw new TypeError(`Flatten: startDim expects an integer, but got ${describeValue(startDim)}`);
    this.startDim = startDim;
  }

  override forward(x: Tensor): Tensor {
    return x.flatten(this.startDim);
  }

  /** Merging the time axis into features needs the whole sequence. */
  override streamRole(): StreamRole {
    return { kind: 'refuse', why: 'it merges the time axis into features' };
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}`;
  }
}

/** Dropout(p): zeroes elements with probability p in training (scaling the rest by 1/(1-p)); identity in eval. */
export class Dropout extends Module {
  readonly p: number;

  constructor(p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p expects a probability in [0, 1], but got ${describeValue(p)}`);
    this.p = p;
  }

  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
