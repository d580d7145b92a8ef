// A plain stack of dilated 3×3 convs, each followed by ReLU (padding = dilation·(k−1)/2 keeps the size):
// the context module of Yu & Koltun (2016) in miniature, for showing which dilation rates grid
// (`atrous summary --dilations 2,2,2 --picture grid.svg`).
import { describeValue, isList } from '../core/shape-checks';
import { Conv2d, ReLU, Sequential } from '../nn';

export interface DilatedStackOptions {
  inChannels?: number;
  channels?: number;
  /** An odd kernel size, so the padding can keep the size. */
  kernel?: number;
}

export class DilatedStack extends Sequential {
  readonly dilations: number[];
  /** The receptive field's side: 1 + Σ dilation·(kernel − 1). */
  readonly fieldSize: number;

  constructor(dilations: readonly number[], opts: DilatedStackOptions = {}) {
    const { inChannels = 1, channels = 8, kernel = 3 } = opts;
    if (!isList(dilations) || dilations.length === 0 || dilations.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new RangeError(`DilatedStack: dilations expects a non-empty list of integers >= 1, but got ${describeValue(dilations)}`);
    }
    if (!Number.isInteger(kernel) || kernel < 1 || kernel % 2 === 0) throw new RangeError(`DilatedStack: kernel expects an odd integer >= 1, but got ${describeValue(kernel)}`);
    super(...dilations.flatMap((d, i) => [new Conv2d(i === 0 ? inChannels : channels, channels, kernel, { padding: (d * (kernel - 1)) / 2, dilation: d }), new ReLU()]));
    this.dilations = [...dilations];
    this.fieldSize = 1 + dilations.reduce((n, d) => n + d * (kernel - 1), 0);
  }
}
