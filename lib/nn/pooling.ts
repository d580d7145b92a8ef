// MaxPool2d, AvgPool2d (padded zeros count, as PyTorch's default), AdaptiveAvgPool2d, AdaptiveMaxPool2d
// layers, and their 1-d forms over N×C×L: one window pool and one adaptive pool, each over one axis
// (a number per argument) or two (a pair [h, w]).
import {
  adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveMaxPool1d, adaptiveMaxPool2d, avgPool1d, avgPool2d, maxPool1d, maxPool2d,
} from '../ops/pool';
import type { IntOrPair } from '../ops/conv';
import { expectIntPair, expectIntSingle } from '../core/shape-checks';
import type { Tensor } from '../core/tensor';
import { Module } from './module';
import type { ReceptiveStep } from './receptive-field';

/** How a pool's integer arguments are read, listed per axis and printed: a number (1-d) or a pair [h, w] (2-d). */
interface PoolAxes<T> {
  read: (op: string, arg: string, v: unknown, min: number) => T;
  perAxis: (v: T) => number[];
  show: (v: T) => string;
}

const ONE_AXIS: PoolAxes<number> = { read: expectIntSingle, perAxis: (v) => [v], show: (v) => `${v}` };
const TWO_AXES: PoolAxes<[number, number]> = { read: expectIntPair, perAxis: (v) => v, show: (v) => `(${v.join(', ')})` };

type WindowPoolOp<T> = (x: Tensor, kernelSize: T, stride: T, padding: T) => Tensor;

/** A window of kernelSize every stride (default kernelSize), padding <= kernelSize/2, through one pool op. */
abstract class WindowPool<T> extends Module {
  readonly kernelSize: T;
  readonly stride: T;
  readonly padding: T;
  readonly #axes: PoolAxes<T>;
  readonly #pool: WindowPoolOp<T>;

  constructor(op: string, axes: PoolAxes<T>, pool: WindowPoolOp<T>, kernelSize: unknown, stride: unknown, padding: unknown) {
    super();
    this.#axes = axes;
    this.#pool = pool;
    this.kernelSize = axes.read(op, 'kernelSize', kernelSize, 1);
    this.stride = stride === undefined || stride === null ? this.kernelSize : axes.read(op, 'stride', stride, 1);
    this.padding = axes.read(op, 'padding', padding, 0);
  }

  override forward(x: Tensor): Tensor {
    return this.#pool(x, this.kernelSize, this.stride, this.padding);
  }

  override receptiveStep(): ReceptiveStep {
    const kernel = this.#axes.perAxis(this.kernelSize);
    return { kind: 'window', kernel, stride: this.#axes.perAxis(this.stride), dilation: kernel.map(() => 1), padding: this.#axes.perAxis(this.padding) };
  }

  override extraRepr(): string {
    const { show } = this.#axes;
    return `kernelSize=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}`;
  }
}

/** Pools to a fixed outputSize per axis, through one adaptive pool op. */
abstract class AdaptivePool<T> extends Module {
  readonly outputSize: T;
  readonly #axes: PoolAxes<T>;
  readonly #pool: (x: Tensor, outputSize: T) => Tensor;

  constructor(op: string, axes: PoolAxes<T>, pool: (x: Tensor, outputSize: T) => Tensor, outputSize: unknown) {
    super();
    this.#axes = axes;
    this.#pool = pool;
    this.outputSize = axes.read(op, 'outputSize', outputSize, 1);
  }

  override forward(x: Tensor): Tensor {
    return this.#pool(x, this.outputSize);
  }

  /** An output of 1 on every axis sees the whole input; otherwise windows of about in/out (exact when it divides). */
  override receptiveStep(inputShape: readonly number[]): ReceptiveStep {
    const out = this.#axes.perAxis(this.outputSize);
    if (out.every((o) => o === 1)) return { kind: 'global' };
    const sizes = inputShape.slice(-out.length);
    return {
      kind: 'window',
      kernel: sizes.map((n, a) => Math.ceil(n / out[a])),
      stride: sizes.map((n, a) => Math.max(1, Math.floor(n / out[a]))),
      dilation: out.map(() => 1),
    };
  }

  override extraRepr(): string {
    return `outputSize=${this.#axes.show(this.outputSize)}`;
  }
}

export class MaxPool2d extends WindowPool<[number, number]> {
  constructor(kernelSize: IntOrPair, stride?: IntOrPair | null, padding: IntOrPair = 0) {
    super('MaxPool2d', TWO_AXES, maxPool2d, kernelSize, stride, padding);
  }
}

export class AvgPool2d extends WindowPool<[number, number]> {
  constructor(kernelSize: IntOrPair, stride?: IntOrPair | null, padding: IntOrPair = 0) {
    super('AvgPool2d', TWO_AXES, avgPool2d, kernelSize, stride, padding);
  }
}

/** Over N×C×H×W: outputSize [oh, ow] (or a number for a square output). */
export class AdaptiveAvgPool2d extends AdaptivePool<[number, number]> {
  constructor(outputSize: IntOrPair) {
    super('AdaptiveAvgPool2d', TWO_AXES, adaptiveAvgPool2d, outputSize);
  }
}

/** The max over AdaptiveAvgPool2d's windows. CPU only. */
export class AdaptiveMaxPool2d extends AdaptivePool<[number, number]> {
  constructor(outputSize: IntOrPair) {
    super('AdaptiveMaxPool2d', TWO_AXES, adaptiveMaxPool2d, outputSize);
  }
}

/** Over N×C×L: kernelSize steps every stride (default kernelSize), padding <= kernelSize/2. */
export class MaxPool1d extends WindowPool<number> {
  constructor(kernelSize: number, stride?: number | null, padding = 0) {
    super('MaxPool1d', ONE_AXIS, maxPool1d, kernelSize, stride, padding);
  }
}

export class AvgPool1d extends WindowPool<number> {
  constructor(kernelSize: number, stride?: number | null, padding = 0) {
    super('AvgPool1d', ONE_AXIS, avgPool1d, kernelSize, stride, padding);
  }
}

/** N×C×L_in to N×C×outputSize. */
export class AdaptiveAvgPool1d extends AdaptivePool<number> {
  constructor(outputSize: number) {
    super('AdaptiveAvgPool1d', ONE_AXIS, adaptiveAvgPool1d, outputSize);
  }
}

/** The max over AdaptiveAvgPool1d's windows. CPU only. */
export class AdaptiveMaxPool1d extends AdaptivePool<number> {
  constructor(outputSize: number) {
    super('AdaptiveMaxPool1d', ONE_AXIS, adaptiveMaxPool1d, outputSize);
  }
}
