// mIoU / pixel accuracy and mAP@0.5 against hand-computed cases, box decoding from a hand-made heatmap,
// and CenterNet's targets against hand-worked radii.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { centerTargets, gaussianRadius } from '../lib/data/center-targets';
import { boxIoU, decodeCenters, meanAveragePrecision, type Detection } from '../lib/metrics/detection';
import { addPixelConfusions, segmentationScores } from '../lib/metrics/segmentation';

describe('segmentation scores', () => {
  // truth     predicted   per label: TP, pixels true, pixels predicted → IoU
  // 0 0 1     0 1 1       0: 1, 2, 2 → 1/3
  // 1 2 2     1 2 0       1: 2, 2, 3 → 2/3      2: 1, 2, 1 → 1/2
  const truth = [0, 0, 1, 1, 2, 2];
  const predicted = [0, 1, 1, 1, 2, 0];
  it('a 2×3 mask by hand: IoU 1/3, 2/3, 1/2, mIoU 1/2, pixel accuracy 4/6', () => {
    const counts = new Float64Array(9);
    addPixelConfusions(counts, 3, truth, predicted);
    const s = segmentationScores(counts, 3);
    expect(s.iou[0]).toBeCloseTo(1 / 3, 12);
    expect(s.iou[1]).toBeCloseTo(2 / 3, 12);
    expect(s.iou[2]).toBeCloseTo(1 / 2, 12);
    expect(s.meanIoU).toBeCloseTo(1 / 2, 12);
    expect(s.pixelAccuracy).toBeCloseTo(4 / 6, 12);
  });

  it('a label absent from truth and prediction is left out of the mean; batches accumulate', () => {
    const counts = new Float64Array(16);
    addPixelConfusions(counts, 4, truth.slice(0, 3), predicted.slice(0, 3));
    addPixelConfusions(counts, 4, truth.slice(3), predicted.slice(3));
    const s = segmentationScores(counts, 4);
    expect(s.iou[3]).toBeNaN();
    expect(s.meanIoU).toBeCloseTo(1 / 2, 12);
  });

  it('a perfect prediction scores 1; a label out of range throws naming the pixel', () => {
    const counts = new Float64Array(9);
    addPixelConfusions(counts, 3, truth, truth);
    expect(segmentationScores(counts, 3)).toMatchObject({ meanIoU: 1, pixelAccuracy: 1 });
    expect(() => addPixelConfusions(counts, 3, [0, 3], [0, 0])).toThrow(/pixel 1 has labels 3 \(true\)/);
  });
});

describe('mAP@0.5', () => {
  const box = (x0: number, y0: number, x1: number, y1: number, label = 0) => ({ x0, y0, x1, y1, label });
  const det = (b: ReturnType<typeof box>, score: number): Detection => ({ ...b, score });

  it('box IoU: overlapping squares 1/7, disjoint 0, identical 1', () => {
    expect(boxIoU(box(0, 0, 2, 2), box(1, 1, 3, 3))).toBeCloseTo(1 / 7, 12);
    expect(boxIoU(box(0, 0, 1, 1), box(1, 0, 2, 1))).toBe(0);
    expect(boxIoU(box(0, 0, 4, 5), box(0, 0, 4, 5))).toBe(1);
  });

  it('a hand-worked ranking: TP, FP, duplicate, TP over 3 true boxes → AP 1/2; a class never found → 0', () => {
    // Image A: true boxes a1, a2 of class 0 and one of class 1; image B: b1 of class 0. Class 2 has none.
    const a1 = box(0, 0, 10, 10);
    const a2 = box(20, 20, 30, 30);
    const b1 = box(5, 5, 15, 15);
    const truths = [[a1, a2, box(40, 40, 50, 50, 1)], [b1]];
    const detections = [
      [det(box(0, 0, 10, 9), 0.9), det(box(60, 60, 70, 70), 0.8), det(box(1, 1, 10, 10), 0.7), det(box(0, 0, 10, 10, 2), 0.95)],
      [det(box(5, 5, 15, 14), 0.6)],
    ];
    // Class 0 by score: TP (a1), FP, FP (a1 again), TP (b1): precision 1, 1/2, 1/3, 1/2 at recall 1/3, 1/3, 1/3, 2/3.
    // Monotone: 1 up to recall 1/3, then 1/2 up to 2/3: AP = 1/3 · 1 + 1/3 · 1/2 = 1/2.
    const { ap, mAP } = meanAveragePrecision(detections, truths, 3);
    expect(ap[0]).toBeCloseTo(1 / 2, 12);
    expect(ap[1]).toBe(0);
    expect(ap[2]).toBeNaN();
    expect(mAP).toBeCloseTo(1 / 4, 12);
  });

  it('an IoU just under 0.5 is a miss; perfect detections score 1', () => {
    const t = box(0, 0, 10, 10);
    const under = box(0, 0, 10, 4.9); // IoU 0.49
    expect(meanAveragePrecision([[det(under, 0.9)]], [[t]], 1).mAP).toBe(0);
    expect(meanAveragePrecision([[det(t, 0.9)], [det(box(1, 1, 4, 4), 0.2)]], [[t], [box(1, 1, 4, 4)]], 1).mAP).toBe(1);
  });
});

describe('CenterNet decoding and targets', () => {
  it('decodeCenters keeps 3×3 maxima above the floor, with boxes centred on the position', () => {
    // One class, 4×4 map: peaks 0.9 at (y 1, x 1) and 0.5 at (3, 3); 0.6 at (1, 2) is beside the 0.9.
    const scores = at.tensor([0.1, 0.2, 0.1, 0, 0.3, 0.9, 0.6, 0, 0, 0.1, 0.2, 0.1, 0, 0, 0.1, 0.5], [1, 1, 4, 4]);
    const pooled = at.maxPool2d(scores, 3, 1, 1).toFloat32Array();
    const size = new Float32Array(32);
    size[1 * 4 + 1] = 2; // width at (1, 1): 2 positions, 8 pixels
    size[16 + 1 * 4 + 1] = 1.5; // height at (1, 1): 6 pixels
    const found = decodeCenters(scores.toFloat32Array(), pooled, size, [1, 4, 4], { stride: 4, threshold: 0.4 });
    expect(found).toHaveLength(2);
    expect(found[0]).toEqual({ label: 0, score: expect.closeTo(0.9, 6) as number, x0: 2, y0: 3, x1: 10, y1: 9 });
    expect(found[1]).toMatchObject({ x0: 14, y0: 14, x1: 14, y1: 14 });
  });

  it("gaussianRadius: CenterNet's three cases by hand for a 4×4 box at IoU 0.7", () => {
    // r1 = (8 + √(64 − 4·16·0.3/1.7)) / 2; r2 = (16 + √(256 − 16·0.3·16)) / 2; r3 = (−11.2 + √(125.44 + 16·0.21·16)) / 2.
    const r1 = (8 + Math.sqrt(64 - (4 * 16 * 0.3) / 1.7)) / 2;
    const r2 = (16 + Math.sqrt(256 - 16 * 0.3 * 16)) / 2;
    const r3 = (-11.2 + Math.sqrt(125.44 + 16 * 0.21 * 16)) / 2;
    expect(gaussianRadius(4, 4)).toBeCloseTo(Math.min(r1, r2, r3), 12);
    expect(Math.min(r1, r2, r3)).toBeCloseTo(r3, 12);
  });

  it('centerTargets: a peak of 1 at the centre, a Gaussian around it, the size at the centre only', () => {
    // A 32×24 box at (0, 0)-(32, 24) with stride 4: centre (16, 12) → position (x 4, y 3); 8×6 positions:
    // r3 = (−19.6 + √(384.16 + 16·0.21·48)) / 2 = 1.88 is the smallest, so radius 1 and σ = 3/6.
    const t = centerTargets([[{ x0: 0, y0: 0, x1: 32, y1: 24, label: 1 }]], 2, 32, 32, 4);
    expect(Math.floor(gaussianRadius(6, 8))).toBe(1);
    const at8 = (c: number, y: number, x: number) => t.heatmap[(c * 8 + y) * 8 + x];
    expect(at8(1, 3, 4)).toBe(1);
    const sigma = 3 / 6;
    expect(at8(1, 3, 5)).toBeCloseTo(Math.exp(-1 / (2 * sigma * sigma)), 6);
    expect(at8(1, 4, 5)).toBeCloseTo(Math.exp(-2 / (2 * sigma * sigma)), 6);
    expect(at8(1, 3, 6)).toBe(0); // outside the radius
    expect(t.heatmap.subarray(0, 64).every((v) => v === 0)).toBe(true); // class 0 untouched
    expect([t.size[3 * 8 + 4], t.size[64 + 3 * 8 + 4]]).toEqual([8, 6]); // in positions
    expect(t.sizeMask.reduce((a, b) => a + b, 0)).toBe(2);
    expect(t.count).toBe(1);
  });
});
