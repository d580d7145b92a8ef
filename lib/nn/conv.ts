// Conv1d and Conv2d layers over at.conv1d/at.conv2d: weight Cout × (Cin/groups) × k (× k), optional
// bias, PyTorch's default initialisation.
import { conv1d, conv1dAsync, conv2d, conv2dAsync, type ConvPadding, type IntOrPair } from '../ops/conv';
import { describeValue, expectInt, expectIntPair, expectIntSingle } from '../core/shape-checks';
import type { Tensor } from '../core/tensor';
import { kaimingUniformBound, uniformParameter } from './init';
import { Module } from './module';
import type { ReceptiveStep } from './receptive-field';
import { streamQueueOf, type StreamRole } from './stream';

export interface ConvLayerOptions {
  stride?: IntOrPair;
  padding?: ConvPadding;
  dilation?: IntOrPair;
  groups?: number;
  bias?: boolean;
}

const OPTIONS = ['stride', 'padding', 'dilation', 'groups', 'bias'];

function checkLayerOptions(op: string, opts: unknown): ConvLayerOptions {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${op}: opts expects an object { ${OPTIONS.join(', ')} }, but got ${describeValue(opts)}`);
  }
  for (const key of Object.keys(opts)) {
    if (!OPTIONS.includes(key)) throw new TypeError(`${op}: opts.${key} is not an option (expected one of ${OPTIONS.join(', ')})`);
  }
  const { bias } = opts as ConvLayerOptions;
  if (bias !== undefined && typeof bias !== 'boolean') throw new TypeError(`${op}: opts.bias expects a boolean, but got ${describeValue(bias)}`);
  return opts;
}

abstract class ConvNd extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: ConvPadding;
  readonly dilation: number[];
  readonly groups: number;

  constructor(op: string, inChannels: number, outChannels: number, kernelSize: IntOrPair, opts: ConvLayerOptions | undefined, is2d: boolean) {
    super();
    const o = checkLayerOptions(op, opts);
    this.inChannels = expectInt(op, 'inChannels', inChannels, 1);
    this.outChannels = expectInt(op, 'outChannels', outChannels, 1);
    const pair = (arg: string, v: unknown, min: number) => (is2d ? expectIntPair(op, arg, v, min) : [expectIntSingle(op, arg, v, min)]);
    this.kernelSize = pair('kernelSize', kernelSize, 1);
    this.stride = pair('stride', o.stride ?? 1, 1);
    this.dilation = pair('dilation', o.dilation ?? 1, 1);
    this.padding = o.padding ?? 0;
    this.groups = expectInt(op, 'groups', o.groups ?? 1, 1);
    if (this.inChannels % this.groups !== 0 || this.outChannels % this.groups !== 0) {
      throw new RangeError(`${op}: groups=${this.groups} must divide inChannels (${this.inChannels}) and outChannels (${this.outChannels})`);
    }
    const perGroup = this.inChannels / this.groups;
    const fanIn = perGroup * this.kernelSize.reduce((a, b) => a * b, 1);
    const bound = kaimingUniformBound(fanIn);
    this.weight = uniformParameter([this.outChannels, perGroup, ...this.kernelSize], bound);
    this.bias = o.bias === false ? null : uniformParameter([this.outChannels], 1 / Math.sqrt(fanIn));
  }

  override receptiveStep(): ReceptiveStep {
    return { kind: 'window', kernel: this.kernelSize, stride: this.stride, dilation: this.dilation, padding: this.paddingBefore() };
  }

  /** Zeros before the first input per axis, as planConv resolves padding ('same' puts an odd extra after). */
  private paddingBefore(): number[] {
    const total = this.kernelSize.map((k, a) => this.dilation[a] * (k - 1));
    const p = this.padding;
    if (p === 'valid') return total.map(() => 0);
    if (p === 'same') return total.map((t) => Math.floor(t / 2));
    if (p === 'causal') return total;
    return typeof p === 'number' ? total.map(() => p) : [...p];
  }

  override extraRepr(): string {
    const ks = this.kernelSize.join(', ');
    const extra = [
      this.stride.some((s) => s !== 1) ? `stride=(${this.stride.join(', ')})` : '',
      this.padding !== 0 ? `padding=${typeof this.padding === 'string' ? `'${this.padding}'` : JSON.stringify(this.padding)}` : '',
      this.dilation.some((d) => d !== 1) ? `dilation=(${this.dilation.join(', ')})` : '',
      this.groups !== 1 ? `groups=${this.groups}` : '',
      this.bias === null ? 'bias=false' : '',
    ].filter(Boolean);
    return [`${this.inChannels}, ${this.outChannels}, kernelSize=(${ks})`, ...extra].join(', ');
  }
}

/** Conv1d(in, out, k, { stride, padding, dilation, groups, bias }) over N×C×L. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number], opts?: ConvLayerOptions) {
    super('Conv1d', inChannels, outChannels, kernelSize as IntOrPair, opts, false);
  }

  override forward(x: Tensor): Tensor {
    const queue = streamQueueOf(this);
    if (queue) return queue.push(x);
    return conv1d(x, this.weight, this.bias, this.conv1dOptions());
  }

  /** Causal convs stream with a ring of past inputs; a 1-tap conv acts per step; any other window needs the whole sequence. */
  override streamRole(): StreamRole {
    if (this.stride[0] !== 1) return { kind: 'refuse', why: `stride ${this.stride[0]} drops steps (streaming needs stride 1)` };
    if (this.padding === 'causal') return { kind: 'causal' };
    const noPadding = this.padding === 0 || this.padding === 'valid' || (Array.isArray(this.padding) && this.padding.every((p) => p === 0));
    if (this.kernelSize[0] === 1 && noPadding) return { kind: 'pointwise' };
    return { kind: 'refuse', why: `a non-causal conv over time (padding ${JSON.stringify(this.padding)}) sees future steps; use padding 'causal'` };
  }

  /** The convolution on a worker thread, without a graph. */
  override forwardAsync(x: Tensor): Promise<Tensor> {
    return conv1dAsync(x, this.weight, this.bias, this.conv1dOptions());
  }

  private conv1dOptions() {
    return { stride: this.stride[0], padding: this.padding, dilation: this.dilation[0], groups: this.groups };
  }
}

/** Conv2d(in, out, k, { stride, padding, dilation, groups, bias }) over N×C×H×W. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrPair, opts?: ConvLayerOptions) {
    super('Conv2d', inChannels, outChannels, kernelSize, opts, true);
  }

  override forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.conv2dOptions());
  }

  /** The convolution on a worker thread, without a graph. */
  override forwardAsync(x: Tensor): Promise<Tensor> {
    return conv2dAsync(x, this.weight, this.bias, this.conv2dOptions());
  }

  private conv2dOptions() {
    const [s, d] = [this.stride, this.dilation];
    return { stride: [s[0], s[1]] as [number, number], padding: this.padding, dilation: [d[0], d[1]] as [number, number], groups: this.groups };
  }
}
