// A WaveNet-style word classifier on raw audio (van den Oord et al. 2016): a causal input conv, stacks
// of residual blocks with the gated activation tanh(W_f∗x)·σ(W_g∗x) (causal kernel-2 convs, dilations
// 1, 2, 4, …, 2^k repeated), 1×1 residual and skip convs, the skips summed, ReLU, a 1×1 conv, ReLU,
// then a readout: 'pool' (mean and max over time, then a linear classifier) or 'steps' (a 1×1 conv to
// class logits at every step, averaged over time). Every conv is causal, so with readout 'steps' the
// per-step part (`net`) streams under at.nn.stream: `atrous listen` pushes audio chunk by chunk.
// Outside a stream or summary() the filter and gate convs of a block run as one conv into gatedTanh, and
// all the skip convs as one conv (gatedUnit, fusedSkipSum): the same parameters and math, fewer passes.
//
// Input: μ-law companded samples as floats in [-1, 1] (muLawInput: the 256-level code c as 2c/255 − 1),
// one channel. WaveNet's 256 codes matter for its output softmax over the next sample; a classifier has
// no such output, and an embedding or one-hot input would make the first layer 256 channels wide at
// every sample (8000 per second) for the same information. The companding itself is kept: it spreads
// quiet speech over as many levels as loud speech.
import { muLawEncode } from '../audio/mulaw';
import { describeValue, isList } from '../core/shape-checks';
import type { Tensor } from '../core/tensor';
import { Conv1d, Linear, Module, ModuleList } from '../nn';
import type { ReceptiveStep, StreamRole } from '../nn';
import { streamQueueOf } from '../nn/stream';
import { gatedTanh } from '../ops/activation';
import { cat } from '../ops/cat';
import { conv1d } from '../ops/conv';
import { adaptiveAvgPool1d, adaptiveMaxPool1d } from '../ops/pool';

export interface WaveNetOptions {
  classes: number;
  residualChannels?: number;
  skipChannels?: number;
  /** Dilations of one stack (default 1, 2, 4, …, 512) and how many times it repeats (default 2). */
  dilations?: number[];
  stacks?: number;
  /** 'pool' (default): mean and max over time, then a linear classifier; 'steps': per-step logits, averaged (streamable). */
  readout?: 'pool' | 'steps';
}

const KERNEL = 2;

/**
 * The gate conv of a gated block reads the same window as its filter conv, beside it: receptiveFieldMap
 * follows one chain of window layers in call order, so this branch reports no widening of its own (the
 * filter conv counts it once; summary()'s row for the product of the two has the full field).
 */
class GateConv1d extends Conv1d {
  override receptiveStep(): ReceptiveStep {
    return { kind: 'window', kernel: [1], stride: [1], dilation: [1] };
  }
}

/**
 * Whether a layer may be bypassed by a fused op over its weights on x: in host memory (gatedTanh is a CPU
 * kernel), not while a stream is open (its causal ring must see its own calls), nor while its forward is
 * shadowed or replaced (summary() records each layer's call that way).
 */
function fusable(layer: Conv1d, x: Tensor): boolean {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- compared by identity
  return x.device === 'cpu' && layer.bias !== null && !streamQueueOf(layer) && layer.forwardIs(Conv1d.prototype.forward);
}

/** One residual block: z = tanh(filter(x))·σ(gate(x)); returns x + residual(z) (the last block: none) and skip(z). */
export class GatedResidualBlock extends Module {
  filter: Conv1d;
  gate: Conv1d;
  residual: Conv1d | null;
  skip: Conv1d;

  constructor(channels: number, skipChannels: number, dilation: number, last: boolean) {
    super();
    this.filter = new Conv1d(channels, channels, KERNEL, { padding: 'causal', dilation });
    this.gate = new GateConv1d(channels, channels, KERNEL, { padding: 'causal', dilation });
    this.residual = last ? null : new Conv1d(channels, channels, 1);
    this.skip = new Conv1d(channels, skipChannels, 1);
  }

  /**
   * z = tanh(filter(x))·σ(gate(x)): one conv over both layers' weights side by side (2C channels out),
   * then gatedTanh, which halves the passes over these full-length tensors; autograd through the cat
   * gives each layer its own gradient.
   */
  gatedUnit(x: Tensor): Tensor {
    const { filter, gate } = this;
    if (!fusable(filter, x) || !fusable(gate, x)) return filter.forward(x).tanh().mul(gate.forward(x).sigmoid());
    const weight = cat([filter.weight, gate.weight], 0);
    const bias = cat([filter.bias!, gate.bias!], 0);
    return gatedTanh(conv1d(x, weight, bias, { padding: 'causal', dilation: filter.dilation[0] }), 1);
  }

  /** The next residual stream from x and this block's z: x + residual(z) (the last block: x itself). */
  next(x: Tensor, z: Tensor): Tensor {
    return this.residual ? x.add(this.residual.forward(z)) : x;
  }

  /** Returns [next residual stream (x itself after the last block), skip contribution]. */
  step(x: Tensor): [Tensor, Tensor] {
    const z = this.gatedUnit(x);
    return [this.next(x, z), this.skip.forward(z)];
  }

  override forward(x: Tensor): Tensor {
    return this.step(x)[0];
  }
}

/**
 * Σ_i skip_i(z_i) over the blocks as one 1×1 conv of all the z side by side with all the skip weights
 * side by side (and the biases summed): one GEMM with K = blocks·C instead of one with K = C and a full
 * add per block.
 */
function fusedSkipSum(blocks: GatedResidualBlock[], zs: Tensor[]): Tensor {
  const weight = cat(blocks.map((b) => b.skip.weight), 1);
  const bias = blocks.map((b) => b.skip.bias!).reduce((sum, b) => sum.add(b));
  return conv1d(cat(zs, 1), weight, bias);
}

/** The per-step part: N×1×T μ-law input → N×C×T (C = skipChannels for 'pool', classes for 'steps'); causal throughout. */
export class WaveNetBody extends Module {
  input: Conv1d;
  blocks: ModuleList;
  post: Conv1d;
  logits: Conv1d | null;

  constructor(opts: Required<WaveNetOptions>) {
    super();
    const { residualChannels, skipChannels, dilations, stacks, classes, readout } = opts;
    const all = Array.from({ length: stacks }, () => dilations).flat();
    this.input = new Conv1d(1, residualChannels, KERNEL, { padding: 'causal' });
    this.blocks = new ModuleList(all.map((d, i) => new GatedResidualBlock(residualChannels, skipChannels, d, i === all.length - 1)));
    this.post = new Conv1d(skipChannels, skipChannels, 1);
    this.logits = readout === 'steps' ? new Conv1d(skipChannels, classes, 1) : null;
  }

  override forward(x: Tensor): Tensor {
    let h = this.input.forward(x);
    const blocks = [...this.blocks] as GatedResidualBlock[];
    const fuseSkips = blocks.every((b) => fusable(b.skip, h)); // else layer by layer, each skip layer called
    const zs: Tensor[] = [];
    let skips: Tensor | null = null;
    for (const block of blocks) {
      const z = block.gatedUnit(h);
      h = block.next(h, z);
      if (fuseSkips) zs.push(z);
      else skips = skips ? skips.add(block.skip.forward(z)) : block.skip.forward(z);
    }
    if (fuseSkips) skips = fusedSkipSum(blocks, zs);
    const features = this.post.forward(skips!.relu()).relu();
    return this.logits ? this.logits.forward(features) : features;
  }
}

export class WaveNetClassifier extends Module {
  net: WaveNetBody;
  classify: Linear | null;
  readonly options: Required<WaveNetOptions>;
  /** Samples one output step sees: 1 + Σ (kernel − 1)·dilation over the input conv and every block. */
  readonly receptiveField: number;

  constructor(opts: WaveNetOptions) {
    super();
    const o: Required<WaveNetOptions> = {
      residualChannels: 16, skipChannels: 32, dilations: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], stacks: 2, readout: 'pool', ...opts,
    };
    const op = 'WaveNetClassifier';
    for (const key of ['classes', 'residualChannels', 'skipChannels', 'stacks'] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 1) throw new RangeError(`${op}: ${key} expects an integer >= 1, but got ${describeValue(o[key])}`);
    }
    if (!isList(o.dilations) || o.dilations.length === 0 || o.dilations.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new RangeError(`${op}: dilations expects a non-empty list of integers >= 1, but got ${describeValue(o.dilations)}`);
    }
    if (o.readout !== 'pool' && o.readout !== 'steps') throw new RangeError(`${op}: readout expects 'pool' or 'steps', but got ${describeValue(o.readout)}`);
    this.options = o;
    this.net = new WaveNetBody(o);
    this.classify = o.readout === 'pool' ? new Linear(2 * o.skipChannels, o.classes) : null;
    this.receptiveField = 1 + (KERNEL - 1) * (1 + o.stacks * o.dilations.reduce((a, b) => a + b, 0));
  }

  /** Its forward pools over the whole clip; the per-step part (net, readout 'steps') is what streams. */
  override streamRole(): StreamRole {
    return { kind: 'refuse', why: `its forward pools over the whole clip: stream its per-step part, model.net${this.classify ? ', of a model with readout \'steps\'' : ''}` };
  }

  /** x: N×1×T μ-law input (muLawInput) → N×classes logits. */
  override forward(x: Tensor): Tensor {
    const h = this.net.forward(x);
    if (!this.classify) return adaptiveAvgPool1d(h, 1).squeeze(2); // the mean of the per-step logits
    return this.classify.forward(cat([adaptiveAvgPool1d(h, 1), adaptiveMaxPool1d(h, 1)], 1).squeeze(2));
  }
}

/** Samples in [-1, 1] → the model's input: each 256-level μ-law code c as 2c/255 − 1. */
export function muLawInput(samples: Float32Array): Float32Array {
  const codes = muLawEncode(samples);
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = (2 * codes[i]) / 255 - 1;
  return out;
}
