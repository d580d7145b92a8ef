// Atrous spatial pyramid pooling (DeepLab v3, Chen et al. 2017) and a DeepLab-lite segmenter on the DRN
// backbone. ASPP looks at the same features through parallel branches: a 1×1 conv, 3×3 convs at several
// dilation rates, and an image-level branch (global average pool, 1×1 conv, upsampled back), then
// concatenates them (at.cat) and projects with a 1×1 conv. The decoder is DeepLab's simplest: a 1×1
// classifier at 1/4 resolution, upsampled bilinearly to the input size.
import type { Tensor } from '../core/tensor';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Module, ModuleList, ReLU, Sequential } from '../nn';
import { cat } from '../ops/cat';
import { interpolate } from '../ops/interpolate';
import { DrnBackbone, type DrnOptions } from './drn';

function convBnRelu(cin: number, cout: number, kernel: number, dilation = 1): Sequential {
  return new Sequential(new Conv2d(cin, cout, kernel, { padding: kernel === 1 ? 0 : dilation, dilation, bias: false }), new BatchNorm2d(cout), new ReLU());
}

const ASPP_CHANNELS = 32;

export interface AsppOptions {
  inChannels: number;
  /** Channels of each branch and of the projection. Default 32. */
  channels?: number;
  /** Rates of the 3×3 branches. Default [2, 4, 6] (at 16×16 features; DeepLab's 6, 12, 18 are for 65×65). */
  rates?: readonly number[];
}

export class Aspp extends Module {
  /** branches[0] the 1×1 conv, then one 3×3 conv per rate; each with BatchNorm and ReLU. */
  branches: ModuleList;
  /** The image-level branch: global average pool, 1×1 conv (bias, no BatchNorm: one value per channel), ReLU. */
  pool: Sequential;
  project: Sequential;
  readonly rates: number[];

  constructor(opts: AsppOptions) {
    super();
    const { inChannels, channels = ASPP_CHANNELS, rates = [2, 4, 6] } = opts;
    this.branches = new ModuleList([convBnRelu(inChannels, channels, 1), ...rates.map((r) => convBnRelu(inChannels, channels, 3, r))]);
    this.pool = new Sequential(new AdaptiveAvgPool2d(1), new Conv2d(inChannels, channels, 1), new ReLU());
    this.project = convBnRelu(channels * (rates.length + 2), channels, 1);
    this.rates = [...rates];
  }

  override forward(x: Tensor): Tensor {
    const [h, w] = x.shape.slice(2);
    // The image-level branch runs first so that receptiveFieldMap, which follows window layers in call
    // order up to the first global one, ends with the backbone instead of chaining the branches.
    // (summary() follows the data: it shows the branches side by side in either order.)
    const pooled = interpolate(this.pool.forward(x) as Tensor, { size: [h, w], mode: 'bilinear', alignCorners: false });
    const outs = [...this.branches].map((b) => b.forward(x) as Tensor);
    return this.project.forward(cat([...outs, pooled], 1)) as Tensor;
  }
}

/** ASPP and a 1×1 classifier: everything after the backbone (fine-tuning replaces it). */
export class AsppHead extends Module {
  aspp: Aspp;
  classifier: Conv2d;

  constructor(inChannels: number, numClasses: number, opts: Omit<AsppOptions, 'inChannels'> = {}) {
    super();
    this.aspp = new Aspp({ inChannels, ...opts });
    this.classifier = new Conv2d(opts.channels ?? ASPP_CHANNELS, numClasses, 1);
  }

  override forward(x: Tensor): Tensor {
    return this.classifier.forward(this.aspp.forward(x));
  }
}

export interface DeepLabLiteOptions extends DrnOptions {
  /** Labels per pixel (background included). Default 11 (Fashion-MNIST scenes). */
  numClasses?: number;
  asppChannels?: number;
  asppRates?: readonly number[];
}

/** DRN backbone → ASPP head → bilinear upsampling to the input size: N×1×H×W → N×classes×H×W logits. */
export class DeepLabLite extends Module {
  backbone: DrnBackbone;
  head: AsppHead;
  readonly numClasses: number;
  private readonly headOptions: Omit<AsppOptions, 'inChannels'>;

  constructor(opts: DeepLabLiteOptions = {}) {
    super();
    const { numClasses = 11, asppChannels = ASPP_CHANNELS, asppRates = [2, 4, 6], ...drn } = opts;
    this.backbone = new DrnBackbone(drn);
    this.numClasses = numClasses;
    this.headOptions = { channels: asppChannels, rates: asppRates };
    this.head = new AsppHead(this.backbone.outChannels, numClasses, this.headOptions);
  }

  /** A freshly initialised head of the same shape (fine-tuning swaps it in). */
  newHead(): AsppHead {
    const device = this.backbone.parameters()[0]?.device ?? 'cpu';
    return new AsppHead(this.backbone.outChannels, this.numClasses, this.headOptions).to(device);
  }

  override forward(x: Tensor): Tensor {
    const [h, w] = x.shape.slice(2);
    return interpolate(this.head.forward(this.backbone.forward(x)), { size: [h, w], mode: 'bilinear', alignCorners: false });
  }
}
