// A CenterNet-style detector ("Objects as Points", Zhou, Wang & Krähenbühl 2019) on the DRN backbone:
// at 1/4 resolution, one heatmap per class whose peaks are object centres, and a 2-channel map of box
// sizes (width, height in input pixels) read at the peaks. Each head is 3×3 conv → ReLU → 1×1 conv, as
// CenterNet's; the heatmap's last bias starts at -2.19 so that sigmoid(bias) = 0.1, CenterNet's prior
// (the focal loss starts near its optimum for the many background positions).
import { hostView } from '../core/storage';
import type { Tensor } from '../core/tensor';
import { Conv2d, Module, ReLU, Sequential } from '../nn';
import { cat } from '../ops/cat';
import { DrnBackbone, type DrnOptions } from './drn';

const HEATMAP_PRIOR_BIAS = -2.19;

export class CenterNetHead extends Module {
  heatmap: Sequential;
  size: Sequential;
  readonly numClasses: number;

  constructor(inChannels: number, numClasses: number, hidden = 32) {
    super();
    this.heatmap = new Sequential(new Conv2d(inChannels, hidden, 3, { padding: 1 }), new ReLU(), new Conv2d(hidden, numClasses, 1));
    this.size = new Sequential(new Conv2d(inChannels, hidden, 3, { padding: 1 }), new ReLU(), new Conv2d(hidden, 2, 1));
    hostView((this.heatmap.at(2) as Conv2d).bias!.storage).fill(HEATMAP_PRIOR_BIAS); // a new CPU parameter
    this.numClasses = numClasses;
  }

  /** Heatmap logits N×classes×h×w and sizes N×2×h×w. */
  parts(x: Tensor): { heatmap: Tensor; size: Tensor } {
    return { heatmap: this.heatmap.forward(x) as Tensor, size: this.size.forward(x) as Tensor };
  }

  /** Both maps in one tensor, N×(classes + 2)×h×w: heatmap logits first. */
  override forward(x: Tensor): Tensor {
    const { heatmap, size } = this.parts(x);
    return cat([heatmap, size], 1);
  }
}

export interface CenterNetOptions extends DrnOptions {
  /** Object classes (no background). Default 10 (Fashion-MNIST). */
  numClasses?: number;
  headChannels?: number;
}

export class CenterNet extends Module {
  backbone: DrnBackbone;
  head: CenterNetHead;
  private readonly headChannels: number;

  constructor(opts: CenterNetOptions = {}) {
    super();
    const { numClasses = 10, headChannels = 32, ...drn } = opts;
    this.backbone = new DrnBackbone(drn);
    this.headChannels = headChannels;
    this.head = new CenterNetHead(this.backbone.outChannels, numClasses, headChannels);
  }

  get outputStride(): number {
    return this.backbone.outputStride;
  }

  /** A freshly initialised head of the same shape (fine-tuning swaps it in). */
  newHead(): CenterNetHead {
    const device = this.backbone.parameters()[0]?.device ?? 'cpu';
    return new CenterNetHead(this.backbone.outChannels, this.head.numClasses, this.headChannels).to(device);
  }

  parts(x: Tensor): { heatmap: Tensor; size: Tensor } {
    return this.head.parts(this.backbone.forward(x));
  }

  override forward(x: Tensor): Tensor {
    return this.head.forward(this.backbone.forward(x));
  }
}
