// Upsample: at.interpolate as a layer (PyTorch's nn.Upsample), its options checked when built.
import { checkInterpolateOptions, interpolate, type InterpolateOptions } from '../ops/interpolate';
import type { Tensor } from '../core/tensor';
import { Module } from './module';
import type { StreamRole } from './stream';

export class Upsample extends Module {
  readonly options: Readonly<InterpolateOptions>;

  /** Exactly one of size / scaleFactor; mode 'nearest' (default), 'linear' or 'bilinear'. */
  constructor(opts: InterpolateOptions) {
    super();
    this.options = Object.freeze(checkInterpolateOptions('Upsample', opts));
  }

  override forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }

  /** Resizing changes the number of steps: it needs the whole sequence. */
  override streamRole(): StreamRole {
    return { kind: 'refuse', why: 'it resizes the time axis' };
  }

  override extraRepr(): string {
    const { size, scaleFactor, mode, alignCorners } = this.options;
    const what = size !== undefined ? `size=${JSON.stringify(size)}` : `scaleFactor=${JSON.stringify(scaleFactor)}`;
    return `${what}, mode='${mode}'${alignCorners === undefined ? '' : `, alignCorners=${alignCorners}`}`;
  }
}
