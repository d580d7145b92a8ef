// MaxPool2d, AvgPool2d (padded zeros count, as PyTorch's default) and AdaptiveAvgPool2d layers.
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../ops/pool';
import type { IntOrPair } from '../ops/conv';
import { expectIntPair } from '../core/shape-checks';
import type { Tensor } from '../core/tensor';
import { Module } from './module';
import type { ReceptiveStep } from './receptive-field';

abstract class Pool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(op: string, kernelSize: IntOrPair, stride?: IntOrPair | null, padding: IntOrPair = 0) {
    super();
    this.kernelSize = expectIntPair(op, 'kernelSize', kernelSize, 1);
    this.stride = stride === undefined || stride === null ? this.kernelSize : expectIntPair(op, 'stride', stride, 1);
    this.padding = expectIntPair(op, 'padding', padding, 0);
  }

  override receptiveStep(): ReceptiveStep {
    return { kind: 'window', kernel: this.kernelSize, stride: this.stride, dilation: [1, 1], padding: this.padding };
  }

  override extraRepr(): string {
    return `kernelSize=(${this.kernelSize.join(', ')}), stride=(${this.stride.join(', ')}), padding=(${this.padding.join(', ')})`;
  }
}

export class MaxPool2d extends Pool2d {
  constructor(kernelSize: IntOrPair, stride?: IntOrPair | null, padding: IntOrPair = 0) {
    super('MaxPool2d', kernelSize, stride, padding);
  }

  override forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.stride, this.padding);
  }
}

export class AvgPool2d extends Pool2d {
  constructor(kernelSize: IntOrPair, stride?: IntOrPair | null, padding: IntOrPair = 0) {
    super('AvgPool2d', kernelSize, stride, padding);
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.stride, this.padding);
  }
}

/** AdaptiveAvgPool2d([oh, ow]) (or a number for a square output). */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: IntOrPair) {
    super();
    this.outputSize = expectIntPair('AdaptiveAvgPool2d', 'outputSize', outputSize, 1);
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  /** A 1×1 output averages the whole map; otherwise windows of about H/oh (exact when it divides). */
  override receptiveStep(inputShape: readonly number[]): ReceptiveStep {
    const [oh, ow] = this.outputSize;
    if (oh === 1 && ow === 1) return { kind: 'global' };
    const [h, w] = inputShape.slice(-2);
    return { kind: 'window', kernel: [Math.ceil(h / oh), Math.ceil(w / ow)], stride: [Math.floor(h / oh), Math.floor(w / ow)].map((s) => Math.max(1, s)), dilation: [1, 1] };
  }

  override extraRepr(): string {
    return `outputSize=(${this.outputSize.join(', ')})`;
  }
}
