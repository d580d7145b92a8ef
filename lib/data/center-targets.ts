// CenterNet's training targets for a batch of scenes ("Objects as Points", Zhou et al. 2019, and its
// code's gaussian_radius / draw_umich_gaussian): per class a heatmap at 1/stride resolution with a
// Gaussian peak of 1 at each box's centre (the largest value where two overlap), the box's width and
// height in heatmap positions (input pixels / stride, as CenterNet) at the centre, and a mask marking the centres.
import type { SceneBox } from './fashion-scenes';

export interface CenterTargets {
  /** N × classes × h × w, in [0, 1], exactly 1 at the centres. */
  heatmap: Float32Array;
  /** N × 2 × h × w: width and height (in heatmap positions) at the centres, 0 elsewhere. */
  size: Float32Array;
  /** N × 2 × h × w: 1 at the centres (both channels), 0 elsewhere. */
  sizeMask: Float32Array;
  /** Centres (boxes) in the batch. */
  count: number;
}

/**
 * CenterNet's radius for a box of h × w (heatmap positions): the largest corner shift that keeps the
 * IoU with the true box ≥ minOverlap, the smallest over its three cases (both corners moved in, out, one each).
 */
export function gaussianRadius(h: number, w: number, minOverlap = 0.7): number {
  const r1 = (h + w + Math.sqrt((h + w) ** 2 - (4 * w * h * (1 - minOverlap)) / (1 + minOverlap))) / 2;
  const r2 = (2 * (h + w) + Math.sqrt(4 * (h + w) ** 2 - 16 * (1 - minOverlap) * w * h)) / 2;
  const b3 = -2 * minOverlap * (h + w);
  const r3 = (b3 + Math.sqrt(b3 ** 2 - 16 * minOverlap * (minOverlap - 1) * w * h)) / 2;
  return Math.min(r1, r2, r3);
}

export function centerTargets(boxes: SceneBox[][], classes: number, height: number, width: number, stride: number): CenterTargets {
  const [h, w] = [Math.ceil(height / stride), Math.ceil(width / stride)];
  const n = boxes.length;
  const heatmap = new Float32Array(n * classes * h * w);
  const size = new Float32Array(n * 2 * h * w);
  const sizeMask = new Float32Array(n * 2 * h * w);
  let count = 0;
  boxes.forEach((scene, i) => {
    for (const b of scene) {
      const [bw, bh] = [b.x1 - b.x0, b.y1 - b.y0];
      const cx = Math.min(w - 1, Math.floor((b.x0 + b.x1) / 2 / stride));
      const cy = Math.min(h - 1, Math.floor((b.y0 + b.y1) / 2 / stride));
      const radius = Math.max(0, Math.floor(gaussianRadius(Math.ceil(bh / stride), Math.ceil(bw / stride))));
      const sigma = (2 * radius + 1) / 6;
      const plane = (i * classes + b.label) * h * w;
      for (let y = Math.max(0, cy - radius); y <= Math.min(h - 1, cy + radius); y++) {
        for (let x = Math.max(0, cx - radius); x <= Math.min(w - 1, cx + radius); x++) {
          const g = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
          heatmap[plane + y * w + x] = Math.max(heatmap[plane + y * w + x], g);
        }
      }
      const at = i * 2 * h * w + cy * w + cx;
      [size[at], size[at + h * w]] = [bw / stride, bh / stride];
      sizeMask[at] = sizeMask[at + h * w] = 1;
      count++;
    }
  });
  return { heatmap, size, sizeMask, count };
}
