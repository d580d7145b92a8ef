// at.nn.stream(model): cached causal inference, as the Fast-WaveNet algorithm. While a stream is open,
// each causal Conv1d keeps a ring of its last (k-1)·dilation inputs per sample (native
// conv/causal_stream), so pushing one step costs one output column per layer — O(layers) — instead
// of recomputing the receptive field; pushes of any chunk size concatenate to the full forward.
// Layers that need the whole sequence refuse by name (Module.streamRole).
import { native } from '../native/load-addon';
import { noGrad } from '../core/autograd';
import { acquirePlainFloat32 } from '../core/memory';
import { describeValue, expectAnyTensor, expectTensor, formatShape, isInteger } from '../core/shape-checks';
import { opResult, type Tensor } from '../core/tensor';
import type { Module } from './module';

/** How a layer takes part in a stream: per step ('pointwise'), with a ring of past inputs ('causal'), through its children ('container'), or not at all. */
export type StreamRole =
  | { kind: 'pointwise' }
  | { kind: 'causal' }
  | { kind: 'container' }
  | { kind: 'refuse'; why: string };

export interface StreamOptions {
  /** Samples pushed side by side (every chunk's N). Default 1. */
  batch?: number;
}

/** What a causal conv layer exposes to its queue. */
export interface CausalConvLayer {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly dilation: number[];
  readonly groups: number;
  weight: Tensor;
  bias: Tensor | null;
}

/** One causal conv's ring of past inputs while its stream is open. */
class CausalConvQueue {
  readonly history: Float32Array;
  readonly steps: number;
  head = 0;

  constructor(readonly layer: CausalConvLayer, readonly name: string, readonly batch: number) {
    this.steps = (layer.kernelSize[0] - 1) * layer.dilation[0];
    this.history = new Float32Array(batch * layer.inChannels * this.steps);
  }

  push(x: Tensor): Tensor {
    const op = `stream.push (${this.name})`;
    expectTensor(op, 'x', x);
    const { inChannels, outChannels, kernelSize, dilation, groups, weight, bias } = this.layer;
    if (x.device !== 'cpu') throw new Error(`${op}: streaming runs on the CPU, but x is on '${x.device}' (move the model with .to('cpu'))`);
    if (x.shape.length !== 3 || x.shape[0] !== this.batch || x.shape[1] !== inChannels) {
      throw new RangeError(`${op}: x expects N×C×T = ${this.batch}×${inChannels}×T (the stream's batch × the layer's inChannels), but got shape ${formatShape(x.shape)}`);
    }
    const steps = x.shape[2];
    const out = acquirePlainFloat32(this.batch * outChannels * steps);
    native().causalConvStream(
      { batch: this.batch, inChannels, outChannels, kernel: kernelSize[0], dilation: dilation[0], groups, steps },
      x.storage as Float32Array, weight.storage as Float32Array, (bias?.storage as Float32Array | undefined) ?? null,
      this.history, this.head, out);
    if (this.steps > 0) this.head = (this.head + steps) % this.steps;
    return opResult('stream.push', out, [this.batch, outChannels, steps], [], () => []);
  }

  reset(): void {
    this.history.fill(0);
    this.head = 0;
  }
}

const openQueues = new WeakMap<object, CausalConvQueue>();

/** Internal (Conv1d.forward): the open stream's queue for this layer, if any. */
export function streamQueueOf(layer: object): CausalConvQueue | undefined {
  return openQueues.get(layer);
}

/** An open stream over a model: push chunks of time steps, get their outputs. */
export class ModelStream {
  readonly #model: Module;
  readonly #batch: number;
  readonly #queues: CausalConvQueue[] = [];
  #open = true;
  #steps = 0;

  constructor(model: Module, batch: number) {
    this.#model = model;
    this.#batch = batch;
    for (const [name, m] of model.namedModules()) {
      if (m.streamRole().kind !== 'causal') continue;
      if (openQueues.has(m)) throw new Error(`stream: layer '${name || m.constructor.name}' is already open in another stream (close it first)`);
      const q = new CausalConvQueue(m as unknown as CausalConvLayer, name || m.constructor.name, batch);
      this.#queues.push(q);
    }
    for (const q of this.#queues) openQueues.set(q.layer, q);
  }

  /** Time steps pushed since the stream opened or was last reset. */
  get steps(): number {
    return this.#steps;
  }

  /** Runs model.forward on the next chunk (N×C×T, or N×T token ids; T ≥ 1) with each causal conv's left context taken from earlier pushes. */
  push(chunk: Tensor): Tensor {
    const op = 'stream.push';
    if (!this.#open) throw new Error(`${op}: the stream is closed`);
    expectAnyTensor(op, 'chunk', chunk);
    const rank = chunk.shape.length;
    if (rank < 2 || chunk.shape[0] !== this.#batch || chunk.shape[rank - 1] < 1) {
      throw new RangeError(`${op}: chunk expects N×C×T (or N×T token ids) with N = ${this.#batch} (the stream's batch) and T ≥ 1, but got shape ${formatShape(chunk.shape)}`);
    }
    for (const [name, m] of this.#model.namedModules()) {
      const role = m.streamRole();
      if (role.kind === 'refuse') throw new Error(`${op}: layer '${name || m.constructor.name}' (${m.constructor.name}) cannot stream: ${role.why}`);
    }
    const out = noGrad(() => this.#model.forward(chunk) as Tensor);
    this.#steps += chunk.shape[rank - 1];
    return out;
  }

  /** Forgets the history: the next push starts a new sequence. */
  reset(): void {
    for (const q of this.#queues) q.reset();
    this.#steps = 0;
  }

  /** Returns the model to ordinary use (its causal convs pad with zeros again). */
  close(): void {
    if (!this.#open) return;
    for (const q of this.#queues) openQueues.delete(q.layer);
    this.#open = false;
  }
}

/** at.nn.stream(model, { batch = 1 }): see API.md "Streaming". */
export function stream(model: Module, opts?: StreamOptions): ModelStream {
  const op = 'stream';
  if (model === null || typeof model !== 'object' || typeof (model).namedModules !== 'function') {
    throw new TypeError(`${op}: model expects an nn.Module, but got ${describeValue(model)}`);
  }
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new TypeError(`${op}: opts expects { batch? }, but got ${describeValue(opts)}`);
  const batch = opts?.batch ?? 1;
  if (!isInteger(batch) || batch < 1) throw new RangeError(`${op}: opts.batch expects an integer >= 1, but got ${describeValue(batch)}`);
  return new ModelStream(model, batch);
}
