// A DRN-style dilated residual backbone (Yu, Koltun & Funkhouser 2017): ResNet BasicBlocks whose last
// stage keeps its resolution and dilates instead of striding, so the features stay at 1/4 of the input
// while the receptive field keeps growing. The last stage takes one block per rate: `dilations`
// [1, 2, 5] (a hybrid schedule without a common factor, which leaves no holes) or [2, 2, 2] (equal
// rates: the gridding the summary warns about). Sized for 64×64 scenes on two CPU cores.
import type { Tensor } from '../core/tensor';
import { BatchNorm2d, Conv2d, Module, ModuleList, ReLU, Sequential } from '../nn';
import { kaimingUniformBound, uniformParameter } from '../nn/init';
import { conv2d } from '../ops/conv';

/**
 * The 1×1 projection (with bias) on a residual shortcut: Conv2d's parameters, names and initialisation,
 * but no receptive step. receptiveFieldMap follows window layers in call order as one chain; a shortcut
 * is a parallel path whose input is the block's, so as a window layer it would break that chain (or
 * stride it twice). Without a step the map follows the main path. (summary() follows the data: the
 * shortcut's row shows its block's input field, and the sum the wider one of the main path.)
 */
export class ShortcutConv2d extends Module {
  weight: Tensor;
  bias: Tensor;
  readonly stride: number;

  constructor(cin: number, cout: number, stride = 1) {
    super();
    this.weight = uniformParameter([cout, cin, 1, 1], kaimingUniformBound(cin));
    this.bias = uniformParameter([cout], 1 / Math.sqrt(cin));
    this.stride = stride;
  }

  override forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride });
  }

  override extraRepr(): string {
    return `${this.weight.shape[1]}, ${this.weight.shape[0]}, kernel_size=(1, 1), stride=(${this.stride}, ${this.stride})`;
  }
}

/** relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); both 3×3 convs dilated by `dilation`. */
export class BasicBlock extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  downsample: ShortcutConv2d | null;

  constructor(cin: number, cout: number, opts: { stride?: number; dilation?: number } = {}) {
    super();
    const { stride = 1, dilation = 1 } = opts;
    // padding = dilation keeps the size of a 3×3 kernel (halved with stride 2).
    this.conv1 = new Conv2d(cin, cout, 3, { stride, padding: dilation, dilation, bias: false });
    this.bn1 = new BatchNorm2d(cout);
    this.conv2 = new Conv2d(cout, cout, 3, { padding: dilation, dilation, bias: false });
    this.bn2 = new BatchNorm2d(cout);
    this.downsample = stride !== 1 || cin !== cout ? new ShortcutConv2d(cin, cout, stride) : null;
  }

  override forward(x: Tensor): Tensor {
    const h = this.bn2.forward(this.conv2.forward(this.bn1.forwardThenRelu(this.conv1.forward(x))));
    const skip = this.downsample ? this.downsample.forward(x) : x;
    return h.add(skip).relu();
  }
}

export interface DrnOptions {
  inChannels?: number;
  /** Channels of the three stages (full, 1/2 and 1/4 resolution). Default [16, 32, 64]. */
  widths?: readonly [number, number, number];
  /** The dilated stage: one BasicBlock per rate, at 1/4 resolution. Default [1, 2, 5]. */
  dilations?: readonly number[];
}

/** stem (3×3 conv, BN, ReLU) → layer1 (stride 1) → layer2 (stride 2) → layer3 (stride 2) → layer4 (dilated, stride 1). */
export class DrnBackbone extends Module {
  stem: Sequential;
  layer1: BasicBlock;
  layer2: BasicBlock;
  layer3: BasicBlock;
  layer4: ModuleList;
  readonly outChannels: number;
  /** Input pixels per output position along each axis. */
  readonly outputStride = 4;
  readonly dilations: number[];

  constructor(opts: DrnOptions = {}) {
    super();
    const { inChannels = 1, widths = [16, 32, 64], dilations = [1, 2, 5] } = opts;
    const [w1, w2, w3] = widths;
    this.stem = new Sequential(new Conv2d(inChannels, w1, 3, { padding: 1, bias: false }), new BatchNorm2d(w1), new ReLU());
    this.layer1 = new BasicBlock(w1, w1);
    this.layer2 = new BasicBlock(w1, w2, { stride: 2 });
    this.layer3 = new BasicBlock(w2, w3, { stride: 2 });
    this.layer4 = new ModuleList(dilations.map((d) => new BasicBlock(w3, w3, { dilation: d })));
    this.outChannels = w3;
    this.dilations = [...dilations];
  }

  override forward(x: Tensor): Tensor {
    let h = this.layer3.forward(this.layer2.forward(this.layer1.forward(this.stem.forward(x) as Tensor)));
    for (const block of this.layer4) h = (block as BasicBlock).forward(h);
    return h;
  }
}
