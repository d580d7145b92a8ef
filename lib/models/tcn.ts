// A temporal convolutional network (Bai, Kolter & Koltun 2018) for the synthetic sequence tasks:
// residual blocks of two causal dilated Conv1d (dilation 2^i at level i), ReLU and a 1×1 conv on the
// skip path where the channel count changes. Causal padding: the output at t sees inputs ≤ t only.
// Options as the paper's code (locuslab/TCN, TCN/tcn.py): weight normalisation on the two dilated convs
// of each block, and its initialisation (see TcnInit).
import { fillNormalSeeded } from '../core/random';
import { hostView } from '../core/storage';
import type { Tensor } from '../core/tensor';
import { Conv1d, Module } from '../nn';
import { Linear } from '../nn';
import { weightNorm } from '../nn/weight-norm';
import { channelsLast, lastStep } from '../ops/sequence';

/**
 * 'default': PyTorch's layer defaults. 'paper': what locuslab/TCN's code does in effect: N(0, 0.01) on the
 * 1×1 downsample convs and the head's weight; its N(0, 0.01) on conv1/conv2 is written to the weight that
 * weight_norm recomputes from g and v at the next forward, so with weight norm those keep their default
 * draws (without it, they take N(0, 0.01) too). 'normal': N(0, 0.01) on every conv and the head weight,
 * applied before weight norm so that it holds (what the paper's text describes).
 */
export type TcnInit = 'default' | 'paper' | 'normal';
export const TCN_INITS: readonly TcnInit[] = ['default', 'paper', 'normal'];

const PAPER_STD = 0.01;

function normalInit(t: Tensor): void {
  fillNormalSeeded(hostView(t.storage), 0, PAPER_STD); // parameters are built on the host
}

export class TemporalBlock extends Module {
  conv1: Conv1d;
  conv2: Conv1d;
  downsample: Conv1d | null;

  constructor(cin: number, cout: number, kernel: number, dilation: number, opts: { weightNorm?: boolean; init?: TcnInit } = {}) {
    super();
    const { weightNorm: normed = false, init = 'default' } = opts;
    this.conv1 = new Conv1d(cin, cout, kernel, { padding: 'causal', dilation });
    this.conv2 = new Conv1d(cout, cout, kernel, { padding: 'causal', dilation });
    this.downsample = cin !== cout ? new Conv1d(cin, cout, 1) : null;
    if (init === 'normal' || (init === 'paper' && !normed)) for (const c of [this.conv1, this.conv2]) normalInit(c.weight);
    if (init !== 'default' && this.downsample) normalInit(this.downsample.weight);
    if (normed) for (const c of [this.conv1, this.conv2]) weightNorm(c);
  }

  override forward(x: Tensor): Tensor {
    const h = this.conv2.forward(this.conv1.forward(x).relu()).relu();
    const skip = this.downsample ? this.downsample.forward(x) : x;
    return h.add(skip).relu();
  }
}

export interface TcnOptions {
  inChannels: number;
  hidden: number;
  levels: number;
  kernel?: number;
  outputs: number;
  /** 'last': one output per sequence (N×outputs); 'each': one per step ((N·L)×outputs, step-major per sample). */
  readout: 'last' | 'each';
  /** Weight normalisation on each block's two dilated convs (state dict: conv1.weight_g, conv1.weight_v). */
  weightNorm?: boolean;
  /** The initialisation (default 'default'): see TcnInit. */
  init?: TcnInit;
}

export class Tcn extends Module {
  blocks: TemporalBlock[];
  head: Linear;
  readonly readout: 'last' | 'each';
  readonly receptiveField: number;

  constructor(opts: TcnOptions) {
    super();
    const { inChannels, hidden, levels, kernel = 7, outputs, readout, weightNorm: normed = false, init = 'default' } = opts;
    if (!TCN_INITS.includes(init)) throw new RangeError(`Tcn: init expects one of ${TCN_INITS.join(', ')}, but got '${String(init)}'`);
    this.blocks = Array.from({ length: levels }, (_, i) => new TemporalBlock(i === 0 ? inChannels : hidden, hidden, kernel, 2 ** i, { weightNorm: normed, init }));
    this.head = new Linear(hidden, outputs);
    if (init !== 'default') normalInit(this.head.weight);
    this.readout = readout;
    // Each block adds 2·(k-1)·d steps of history.
    this.receptiveField = 1 + this.blocks.reduce((r, _, i) => r + 2 * (kernel - 1) * 2 ** i, 0);
  }

  /** x: N×C×L; an N×C×H×W image is read in raster order as N×C×(H·W) (a view). */
  override forward(x: Tensor): Tensor {
    let h = x.shape.length === 4 ? x.flatten(2) : x;
    for (const b of this.blocks) h = b.forward(h);
    return this.head.forward(this.readout === 'last' ? lastStep(h) : channelsLast(h));
  }
}
