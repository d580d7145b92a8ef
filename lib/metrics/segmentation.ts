// Segmentation scores from a confusion matrix of pixels (rows true labels, columns predicted ones):
// pixel accuracy = right pixels / all pixels; IoU_c = TP / (TP + FP + FN); mIoU = the mean IoU over
// the labels that occur in the truth or the prediction (a label absent from both has no IoU), as the
// usual mIoU of PASCAL VOC and Cityscapes.

export interface SegmentationScores {
  pixelAccuracy: number;
  meanIoU: number;
  /** Per label; NaN for a label absent from truth and prediction. */
  iou: number[];
}

/** Adds one batch of per-pixel labels to a C×C count matrix (counts[true * C + predicted]). */
export function addPixelConfusions(counts: Float64Array, classes: number, truth: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (counts.length !== classes * classes) throw new RangeError(`addPixelConfusions: counts expects ${classes}×${classes} entries, but has ${counts.length}`);
  if (truth.length !== predicted.length) throw new RangeError(`addPixelConfusions: predicted expects ${truth.length} labels (as truth), but has ${predicted.length}`);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = predicted[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes)) throw new RangeError(`addPixelConfusions: pixel ${i} has labels ${t} (true) and ${p} (predicted), outside [0, ${classes})`);
    counts[t * classes + p]++;
  }
}

export function segmentationScores(counts: ArrayLike<number>, classes: number): SegmentationScores {
  let right = 0;
  let total = 0;
  const iou: number[] = [];
  for (let c = 0; c < classes; c++) {
    let rowSum = 0;
    let colSum = 0;
    for (let k = 0; k < classes; k++) {
      rowSum += counts[c * classes + k];
      colSum += counts[k * classes + c];
    }
    const tp = counts[c * classes + c];
    right += tp;
    total += rowSum;
    const union = rowSum + colSum - tp;
    iou.push(union > 0 ? tp / union : NaN);
  }
  const present = iou.filter((v) => !Number.isNaN(v));
  return { pixelAccuracy: total > 0 ? right / total : 0, meanIoU: present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0, iou };
}
