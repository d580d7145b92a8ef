// A temporal convolutional network (Bai, Kolter & Koltun 2018) for the synthetic sequence tasks:
// residual blocks of two causal dilated Conv1d (dilation 2^i at level i), ReLU and a 1×1 conv on the
// skip path where the channel count changes. Causal padding: the output at t sees inputs ≤ t only.
import type { Tensor } from '../core/tensor';
import { Conv1d, Module } from '../nn';
import { Linear } from '../nn';
import { channelsLast, lastStep } from '../ops/sequence';

export class TemporalBlock extends Module {
  conv1: Conv1d;
  conv2: Conv1d;
  downsample: Conv1d | null;

  constructor(cin: number, cout: number, kernel: number, dilation: number) {
    super();
    this.conv1 = new Conv1d(cin, cout, kernel, { padding: 'causal', dilation });
    this.conv2 = new Conv1d(cout, cout, kernel, { padding: 'causal', dilation });
    this.downsample = cin !== cout ? new Conv1d(cin, cout, 1) : null;
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
}

export class Tcn extends Module {
  blocks: TemporalBlock[];
  head: Linear;
  readonly readout: 'last' | 'each';
  readonly receptiveField: number;

  constructor(opts: TcnOptions) {
    super();
    const { inChannels, hidden, levels, kernel = 7, outputs, readout } = opts;
    this.blocks = Array.from({ length: levels }, (_, i) => new TemporalBlock(i === 0 ? inChannels : hidden, hidden, kernel, 2 ** i));
    this.head = new Linear(hidden, outputs);
    this.readout = readout;
    // Each block adds 2·(k-1)·d steps of history.
    this.receptiveField = 1 + this.blocks.reduce((r, _, i) => r + 2 * (kernel - 1) * 2 ** i, 0);
  }

  override forward(x: Tensor): Tensor {
    let h = x;
    for (const b of this.blocks) h = b.forward(h);
    return this.head.forward(this.readout === 'last' ? lastStep(h) : channelsLast(h));
  }
}
