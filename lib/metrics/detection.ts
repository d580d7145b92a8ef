// Detection: boxes from CenterNet heatmaps and mean average precision at IoU 0.5.
//
// Decoding (CenterNet): a position is a detection of class c when its heatmap score is the largest in
// its 3×3 neighbourhood (a 3×3 max-pool with stride 1 leaves it unchanged: the NMS CenterNet uses
// instead of box NMS) and above a floor; its box is centred on the position's centre in input pixels,
// with the width and height the size map predicts there (in heatmap positions, so × stride). Each image keeps its `topK` best.
//
// mAP@0.5 (PASCAL VOC, all-point interpolation): per class, detections of all images sorted by score;
// each one is a true positive when its IoU with a not-yet-matched true box of its class and image is
// ≥ 0.5 (the best-overlapping one), else a false positive; AP is the area under the precision-recall
// curve made monotone (precision at recall r = the best precision at any recall ≥ r). mAP is the mean
// AP over the classes that have at least one true box.

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Detection extends Box {
  label: number;
  score: number;
}

export interface LabelledBox extends Box {
  label: number;
}

export function boxIoU(a: Box, b: Box): number {
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const area = (r: Box) => (r.x1 - r.x0) * (r.y1 - r.y0);
  return inter / (area(a) + area(b) - inter);
}

export interface DecodeOptions {
  /** Input pixels per heatmap position. */
  stride: number;
  /** Scores below this are not detections. Default 0.01. */
  threshold?: number;
  /** Detections kept per image, best first. Default 20. */
  topK?: number;
}

/**
 * Detections of one image from its class scores (probabilities, classes × h × w), the same scores after
 * a 3×3 max-pool with stride 1 and padding 1 (at.maxPool2d), and its size map (2 × h × w: width, height in positions).
 */
export function decodeCenters(scores: ArrayLike<number>, pooled: ArrayLike<number>, size: ArrayLike<number>, shape: readonly [number, number, number], opts: DecodeOptions): Detection[] {
  const [classes, h, w] = shape;
  const { stride, threshold = 0.01, topK = 20 } = opts;
  const found: Detection[] = [];
  for (let c = 0; c < classes; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (c * h + y) * w + x;
        const s = scores[i];
        if (s < threshold || s !== pooled[i]) continue;
        const [cx, cy] = [(x + 0.5) * stride, (y + 0.5) * stride];
        const [bw, bh] = [stride * Math.max(0, size[y * w + x]), stride * Math.max(0, size[(h + y) * w + x])];
        found.push({ label: c, score: s, x0: cx - bw / 2, y0: cy - bh / 2, x1: cx + bw / 2, y1: cy + bh / 2 });
      }
    }
  }
  return found.sort((a, b) => b.score - a.score).slice(0, topK);
}

/** AP per class (NaN for a class without true boxes) and their mean over the classes that have some. */
export function meanAveragePrecision(detections: Detection[][], truths: LabelledBox[][], classes: number, iouThreshold = 0.5): { mAP: number; ap: number[] } {
  if (detections.length !== truths.length) throw new RangeError(`meanAveragePrecision: detections expects one list per image (${truths.length}), but has ${detections.length}`);
  const ap: number[] = [];
  for (let c = 0; c < classes; c++) {
    const positives = truths.reduce((n, boxes) => n + boxes.filter((b) => b.label === c).length, 0);
    if (positives === 0) {
      ap.push(NaN);
      continue;
    }
    const ranked = detections.flatMap((ds, image) => ds.filter((d) => d.label === c).map((d) => ({ d, image }))).sort((a, b) => b.d.score - a.d.score);
    const matched = truths.map((boxes) => boxes.map(() => false));
    const precision: number[] = [];
    const recall: number[] = [];
    let tp = 0;
    ranked.forEach(({ d, image }, k) => {
      let best = -1;
      let bestIoU = iouThreshold;
      truths[image].forEach((t, j) => {
        if (t.label !== c || matched[image][j]) return;
        const iou = boxIoU(d, t);
        if (iou >= bestIoU) [best, bestIoU] = [j, iou];
      });
      if (best >= 0) {
        matched[image][best] = true;
        tp++;
      }
      precision.push(tp / (k + 1));
      recall.push(tp / positives);
    });
    ap.push(areaUnderMonotonePR(precision, recall));
  }
  const present = ap.filter((v) => !Number.isNaN(v));
  return { mAP: present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0, ap };
}

/** VOC's all-point AP: Σ over recall steps of the step times the best precision at that recall or beyond. */
function areaUnderMonotonePR(precision: number[], recall: number[]): number {
  let area = 0;
  let best = 0;
  for (let k = precision.length - 1; k >= 0; k--) {
    best = Math.max(best, precision[k]);
    const previous = k > 0 ? recall[k - 1] : 0;
    area += (recall[k] - previous) * best;
  }
  return area;
}
