// A small dilated CNN over log-mel spectrograms (N × nMels × frames): Conv1d over time with the mel bands
// as channels ('same' padding, kernel 3, dilations 1, 2, 4, 8), each followed by BatchNorm1d and ReLU,
// then mean and max over time and a linear classifier. With 10 ms hops the field of 31 frames spans
// about a third of a second, a word's worth.
import { describeValue, isList } from '../core/shape-checks';
import type { Tensor } from '../core/tensor';
import { BatchNorm1d, Conv1d, Linear, Module, ReLU, Sequential, type StreamRole } from '../nn';
import { cat } from '../ops/cat';
import { adaptiveAvgPool1d, adaptiveMaxPool1d } from '../ops/pool';

export interface MelCnnOptions {
  classes: number;
  nMels?: number;
  channels?: number;
  kernel?: number;
  dilations?: number[];
}

export class MelCnn extends Module {
  features: Sequential;
  classify: Linear;
  /** Frames one output step sees: 1 + Σ (kernel − 1)·dilation. */
  readonly receptiveField: number;

  constructor(opts: MelCnnOptions) {
    super();
    const { classes, nMels = 40, channels = 64, kernel = 3, dilations = [1, 2, 4, 8] } = opts;
    const op = 'MelCnn';
    for (const [key, v] of Object.entries({ classes, nMels, channels, kernel })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${op}: ${key} expects an integer >= 1, but got ${describeValue(v)}`);
    }
    if (!isList(dilations) || dilations.length === 0 || dilations.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new RangeError(`${op}: dilations expects a non-empty list of integers >= 1, but got ${describeValue(dilations)}`);
    }
    this.features = new Sequential(
      ...dilations.flatMap((d, i) => [new Conv1d(i === 0 ? nMels : channels, channels, kernel, { padding: 'same', dilation: d }), new BatchNorm1d(channels), new ReLU()]),
    );
    this.classify = new Linear(2 * channels, classes);
    this.receptiveField = 1 + dilations.reduce((n, d) => n + (kernel - 1) * d, 0);
  }

  /** Its forward pools over the whole clip (and its convs see both sides). */
  override streamRole(): StreamRole {
    return { kind: 'refuse', why: 'its forward pools over the whole clip' };
  }

  /** x: N×nMels×frames → N×classes logits. */
  override forward(x: Tensor): Tensor {
    const h = this.features.forward(x) as Tensor;
    return this.classify.forward(cat([adaptiveAvgPool1d(h, 1), adaptiveMaxPool1d(h, 1)], 1).squeeze(2));
  }
}
