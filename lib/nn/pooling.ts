// MaxPool2d, AvgPool2d (padded zeros count, as PyTorch's default), AdaptiveAvgPool2d, AdaptiveMaxPool2d
// layers, and their 1-d forms over N×C×L.
import {
  adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveMaxPool1d, adaptiveMaxPool2d, avgPool1d, avgPool2d, maxPool1d, maxPool2d,
} from '../ops/pool';
import type { IntOrPair } from '../ops/conv';
import { expectIntPair, expectIntSingle } from '../core/shape-checks';
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

/** The adaptive pools over N×C×H×W: outputSize [oh, ow] (or a number for a square output). */
abstract class AdaptivePool2d extends Module {
  readonly outputSize: [number, number];

  constructor(op: string, outputSize: IntOrPair) {
    super();
    this.outputSize = expectIntPair(op, 'outputSize', outputSize, 1);
  }

  /** A 1×1 output sees the whole map; otherwise windows of about H/oh (exact when it divides). */
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

export class AdaptiveAvgPool2d extends AdaptivePool2d {
  constructor(outputSize: IntOrPair) {
    super('AdaptiveAvgPool2d', outputSize);
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

/** The max over AdaptiveAvgPool2d's windows. CPU only. */
export class AdaptiveMaxPool2d extends AdaptivePool2d {
  constructor(outputSize: IntOrPair) {
    super('AdaptiveMaxPool2d', outputSize);
  }

  override forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize);
  }
}

/** Pools over N×C×L: kernelSize steps every stride (default kernelSize), padding <= kernelSize/2. */
abstract class Pool1d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;

  constructor(op: string, kernelSize: number, stride?: number | null, padding = 0) {
    super();
    this.kernelSize = expectIntSingle(op, 'kernelSize', kernelSize, 1);
    this.stride = stride === undefined || stride === null ? this.kernelSize : expectIntSingle(op, 'stride', stride, 1);
    this.padding = expectIntSingle(op, 'padding', padding, 0);
  }

  override receptiveStep(): ReceptiveStep {
    return { kind: 'window', kernel: [this.kernelSize], stride: [this.stride], dilation: [1], padding: [this.padding] };
  }

  override extraRepr(): string {
    return `kernelSize=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}`;
  }
}

export class MaxPool1d extends Pool1d {
  constructor(kernelSize: number, stride?: number | null, padding = 0) {
    super('MaxPool1d', kernelSize, stride, padding);
  }

  override forward(x: Tensor): Tensor {
    return maxPool1d(x, this.kernelSize, this.stride, this.padding);
  }
}

export class AvgPool1d extends Pool1d {
  constructor(kernelSize: number, stride?: number | null, padding = 0) {
    super('AvgPool1d', kernelSize, stride, padding);
  }

  override forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, this.stride, this.padding);
  }
}

/** The adaptive pools over N×C×L: N×C×L_in to N×C×outputSize. */
abstract class AdaptivePool1d extends Module {
  readonly outputSize: number;

  constructor(op: string, outputSize: number) {
    super();
    this.outputSize = expectIntSingle(op, 'outputSize', outputSize, 1);
  }

  /** Length 1 sees the whole sequence; otherwise windows of about L_in/L. */
  override receptiveStep(inputShape: readonly number[]): ReceptiveStep {
    if (this.outputSize === 1) return { kind: 'global' };
    const l = inputShape[inputShape.length - 1];
    return { kind: 'window', kernel: [Math.ceil(l / this.outputSize)], stride: [Math.max(1, Math.floor(l / this.outputSize))], dilation: [1] };
  }

  override extraRepr(): string {
    return `outputSize=${this.outputSize}`;
  }
}

export class AdaptiveAvgPool1d extends AdaptivePool1d {
  constructor(outputSize: number) {
    super('AdaptiveAvgPool1d', outputSize);
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize);
  }
}

/** The max over AdaptiveAvgPool1d's windows. CPU only. */
export class AdaptiveMaxPool1d extends AdaptivePool1d {
  constructor(outputSize: number) {
    super('AdaptiveMaxPool1d', outputSize);
  }

  override forward(x: Tensor): Tensor {
    return adaptiveMaxPool1d(x, this.outputSize);
  }
}
