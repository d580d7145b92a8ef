// A CenterNet-style detector ("Objects as Points", Zhou, Wang & Krähenbühl 2019) on the DRN backbone:
// at 1/4 resolution, one heatmap per class whose peaks are object centres, and a 2-channel map of box
// sizes (width, height in heatmap positions) read at the peaks. Each head is 3×3 conv → ReLU → 1×1 conv, as
// CenterNet's; the heatmap's last bias starts at -2.19 so that sigmoid(bias) = 0.1, CenterNet's prior
// (the focal loss starts near its optimum for the many background positions). centerNetLoss is its loss.
import { hostView } from '../core/storage';
import { Tensor } from '../core/tensor';
import { zeros } from '../core/random';
import type { CenterTargets } from '../data/center-targets';
import { Conv2d, Module, ReLU, Sequential } from '../nn';
import { cat } from '../ops/cat';
import { crossEntropy } from '../ops/loss';
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

/** CenterNet's weights: focal exponent β = 4 (α = 2 is written as products below), and 0.1 on the size loss. */
const FOCAL_BETA = 4;
const SIZE_WEIGHT = 0.1;

/**
 * CenterNet's loss: the penalty-reduced focal loss over the heatmaps,
 *   −1/P Σ { (1−p)^α log p            where the target is 1 (the P centres)
 *          { (1−y)^β p^α log(1−p)     elsewhere,
 * plus 0.1 × the L1 error of the sizes at the centres divided by the 2P masked size entries (CenterNet's RegL1Loss). log p and log(1−p) come from
 * crossEntropy over the pair of logits (z, 0) (softmax of (z, 0) is (σ(z), 1−σ(z))), which stays finite
 * where σ saturates.
 */
export function centerNetLoss(parts: { heatmap: Tensor; size: Tensor }, targets: CenterTargets): Tensor {
  const { heatmap: z, size } = parts;
  const positive = new Float32Array(targets.heatmap.length);
  const negativeWeight = new Float32Array(targets.heatmap.length);
  let centres = 0;
  targets.heatmap.forEach((y, i) => {
    if (y === 1) {
      positive[i] = 1;
      centres++;
    } else {
      negativeWeight[i] = (1 - y) ** FOCAL_BETA;
    }
  });
  const device = z.device;
  const pair = cat([z.unsqueeze(1), zeros([z.shape[0], 1, ...z.shape.slice(1)], { device })], 1);
  const negLogP = crossEntropy(pair, new Int32Array(z.numel), { reduction: 'none' });
  const negLog1mP = crossEntropy(pair, new Int32Array(z.numel).fill(1), { reduction: 'none' });
  const p = z.sigmoid();
  const q = p.mul(-1).add(1);
  const onPositives = q.mul(q).mul(negLogP).mul(new Tensor(positive, z.shape).to(device));
  const onNegatives = p.mul(p).mul(negLog1mP).mul(new Tensor(negativeWeight, z.shape).to(device));
  const diff = size.sub(new Tensor(targets.size, size.shape).to(device)).mul(new Tensor(targets.sizeMask, size.shape).to(device));
  const l1 = diff.relu().add(diff.mul(-1).relu()); // |d| from the ops at hand
  const focal = onPositives.add(onNegatives).sum();
  const masked = targets.sizeMask.reduce((a, b) => a + b, 0);
  return focal.mul(1 / Math.max(1, centres)).add(l1.sum().mul(SIZE_WEIGHT / (masked + 1e-4)));
}
