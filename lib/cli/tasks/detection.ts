// detection on Fashion-MNIST scenes: a CenterNet-style detector on the DRN backbone (focal loss on
// per-class centre heatmaps + L1 on box sizes), decoded by 3×3 max-pool peak picking and scored by
// mAP@0.5. Each epoch's picture shows a few test scenes with true (dashed) and predicted boxes.
import type { Device } from '../../core/tensor';
import { centerTargets } from '../../data/center-targets';
import { FASHION_MNIST_CLASSES } from '../../data/fashion-mnist';
import type { SceneBatch } from '../../data/fashion-scenes';
import { decodeCenters, meanAveragePrecision, type Detection, type LabelledBox } from '../../metrics/detection';
import { CenterNet, centerNetLoss } from '../../models/centernet-head';
import type { Module } from '../../nn';
import { sigmoid } from '../../ops/activation';
import { maxPool2d } from '../../ops/pool';
import { renderDetectionSamples } from '../../plot/scene-svg';
import { pictureSamples, SCENE_SIZE, sceneData } from './segmentation';
import { inEval, type Evaluation, type Task, type TaskOptions } from './task';

export function detectionTask(opts: TaskOptions): Task {
  const device: Device = opts.device ?? 'cpu';
  const data = sceneData(opts);
  const model = new CenterNet();
  const stride = model.outputStride;
  const classes = FASHION_MNIST_CLASSES.length;
  let picture: Parameters<typeof renderDetectionSamples>[0] = [];
  let lastScore = '';
  const lossOf = (m: Module, b: SceneBatch) => centerNetLoss((m as CenterNet).parts(b.images.to(device)), centerTargets(b.boxes, classes, SCENE_SIZE, SCENE_SIZE, stride));
  return {
    name: 'detection',
    description: data.description,
    model,
    summaryShape: [1, 1, SCENE_SIZE, SCENE_SIZE],
    batchesPerEpoch: data.batchesPerEpoch,
    *batches(epoch, start) {
      for (const b of data.trainLoader.epoch(epoch, start)) {
        if (b.index >= data.batchesPerEpoch) return;
        yield { index: b.index, size: b.images.shape[0], loss: (m) => lossOf(m, b) };
      }
    },
    evaluate(m): Evaluation {
      const detections: Detection[][] = [];
      const truths: LabelledBox[][] = [];
      let lossSum = 0;
      inEval(m, () => {
        for (const b of data.testLoader.epoch(0)) {
          const parts = (m as CenterNet).parts(b.images.to(device));
          lossSum += centerNetLoss(parts, centerTargets(b.boxes, classes, SCENE_SIZE, SCENE_SIZE, stride)).item() * b.boxes.length;
          const scores = sigmoid(parts.heatmap);
          const pooled = maxPool2d(scores, 3, 1, 1).toFloat32Array();
          const [n, c, h, w] = scores.shape;
          const [s, size] = [scores.toFloat32Array(), parts.size.toFloat32Array()];
          for (let i = 0; i < n; i++) {
            const plane = c * h * w;
            detections.push(decodeCenters(s.subarray(i * plane, (i + 1) * plane), pooled.subarray(i * plane, (i + 1) * plane), size.subarray(i * 2 * h * w, (i + 1) * 2 * h * w), [c, h, w], { stride }));
            truths.push(b.boxes[i]);
          }
          if (b.index === 0) {
            picture = pictureSamples(b).map((sample, i) => ({ ...sample, truth: b.boxes[i], predicted: detections[i].slice(0, b.boxes[i].length) }));
          }
        }
      });
      const { mAP } = meanAveragePrecision(detections, truths, classes);
      lastScore = `mAP@0.5 ${(100 * mAP).toFixed(1)}%`;
      return { loss: lossSum / truths.length, metric: mAP, metricName: 'mAP@0.5' };
    },
    pictures(epoch) {
      if (picture.length === 0) return [];
      const file = epoch === undefined ? 'boxes.svg' : `boxes-epoch-${epoch}.svg`;
      return [{ file, svg: renderDetectionSamples(picture, FASHION_MNIST_CLASSES, `detection${epoch === undefined ? '' : `, epoch ${epoch}`}: ${lastScore} (predicted: each scene's best, as many as it has items)`) }];
    },
  };
}
