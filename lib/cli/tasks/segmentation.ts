// segmentation on Fashion-MNIST scenes (64×64 canvases of 1-4 items, lib/data/fashion-scenes.ts): the
// DeepLab-lite segmenter (DRN backbone + ASPP) with per-pixel crossEntropy, optionally weighted by label
// frequency, scored by mIoU and pixel accuracy. Each epoch's picture shows a few test scenes with their
// true and predicted masks. The scene data and pictures' inputs are shared with detection.ts.
import { tensor, type Device, type Tensor } from '../../core/tensor';
import { FASHION_MNIST_CLASSES, locateFashionMnist } from '../../data/fashion-mnist';
import { classWeights, labelCounts, loadFashionScenes, SceneLoader, SCENE_LABELS, type FashionScenes, type SceneBatch } from '../../data/fashion-scenes';
import { addPixelConfusions, segmentationScores } from '../../metrics/segmentation';
import { DeepLabLite } from '../../models/aspp';
import type { Module } from '../../nn';
import { crossEntropy } from '../../ops/loss';
import { argmax } from '../../ops/shape';
import { renderSegmentationSamples } from '../../plot/scene-svg';
import { inEval, limitBatches, type Evaluation, type Task, type TaskOptions } from './task';

export const SCENE_SIZE = 64;
/** Test scenes scored per evaluation (the full test split would make each epoch's evaluation long). */
const TEST_SCENES = 500;
/** Test scenes drawn in each epoch's picture. */
const PICTURE_SCENES = 4;
export const SCENE_LABEL_NAMES = ['background', ...FASHION_MNIST_CLASSES];

export interface SceneData {
  train: FashionScenes;
  trainLoader: SceneLoader;
  testLoader: SceneLoader;
  description: string;
  batchesPerEpoch: number;
}

export function sceneData(opts: TaskOptions): SceneData {
  const loc = locateFashionMnist(opts.data);
  const train = loadFashionScenes('train', { data: opts.data, size: SCENE_SIZE, seed: opts.seed });
  const test = loadFashionScenes('test', { data: opts.data, size: SCENE_SIZE, seed: opts.seed });
  const trainLoader = new SceneLoader(train, { batchSize: opts.batchSize, shuffle: true, seed: opts.seed });
  const testLoader = new SceneLoader(test, { batchSize: 50, limit: TEST_SCENES });
  return {
    train, trainLoader, testLoader, batchesPerEpoch: limitBatches(trainLoader.numBatches, opts.maxBatches),
    description: `Fashion-MNIST scenes from ${loc.dir} (${loc.source}): ${train.count} training and ${testLoader.size} test scenes of ${SCENE_SIZE}x${SCENE_SIZE}, 1-4 items each`,
  };
}

/** The batch's first PICTURE_SCENES images as bytes, for the picture. */
export function pictureSamples(b: SceneBatch): { image: Uint8Array; height: number; width: number }[] {
  const [, , h, w] = b.images.shape;
  const pixels = b.images.toFloat32Array();
  return Array.from({ length: Math.min(PICTURE_SCENES, b.images.shape[0]) }, (_, i) => ({
    image: Uint8Array.from(pixels.subarray(i * h * w, (i + 1) * h * w), (v) => Math.round(255 * Math.min(1, Math.max(0, v)))),
    height: h,
    width: w,
  }));
}

export function segmentationTask(opts: TaskOptions): Task {
  const device: Device = opts.device ?? 'cpu';
  const data = sceneData(opts);
  const weight = opts.classWeights === 'auto' ? tensor(classWeights(labelCounts(data.train)), [SCENE_LABELS]).to(device) : undefined;
  let picture: Parameters<typeof renderSegmentationSamples>[0] = [];
  let lastScores = '';
  const lossOf = (model: Module, b: SceneBatch) => crossEntropy(model.forward(b.images.to(device)) as Tensor, b.masks, { weight });
  return {
    name: 'segmentation',
    description: data.description + (weight ? `; class weights (median frequency): ${Array.from(weight.toFloat32Array(), (v) => v.toFixed(2)).join(' ')}` : ''),
    model: new DeepLabLite(),
    summaryShape: [1, 1, SCENE_SIZE, SCENE_SIZE],
    batchesPerEpoch: data.batchesPerEpoch,
    *batches(epoch, start) {
      for (const b of data.trainLoader.epoch(epoch, start)) {
        if (b.index >= data.batchesPerEpoch) return;
        yield { index: b.index, size: b.images.shape[0], loss: (model) => lossOf(model, b) };
      }
    },
    evaluate(model): Evaluation {
      const counts = new Float64Array(SCENE_LABELS * SCENE_LABELS);
      let lossSum = 0;
      let pixels = 0;
      inEval(model, () => {
        for (const b of data.testLoader.epoch(0)) {
          const logits = model.forward(b.images.to(device)) as Tensor;
          lossSum += crossEntropy(logits, b.masks, { reduction: 'sum' }).item(); // unweighted: comparable across runs
          pixels += b.masks.length;
          const predicted = argmax(logits, 1).toInt32Array();
          addPixelConfusions(counts, SCENE_LABELS, b.masks, predicted);
          if (b.index === 0) {
            const [, , h, w] = b.images.shape;
            picture = pictureSamples(b).map((s, i) => ({ ...s, truth: b.masks.subarray(i * h * w, (i + 1) * h * w), predicted: predicted.subarray(i * h * w, (i + 1) * h * w) }));
          }
        }
      });
      const scores = segmentationScores(counts, SCENE_LABELS);
      lastScores = `mIoU ${(100 * scores.meanIoU).toFixed(1)}%, pixel accuracy ${(100 * scores.pixelAccuracy).toFixed(1)}%`;
      return { loss: lossSum / pixels, metric: scores.meanIoU, metricName: 'mIoU', extra: { 'pixel accuracy': scores.pixelAccuracy } };
    },
    pictures(epoch) {
      if (picture.length === 0) return [];
      const file = epoch === undefined ? 'masks.svg' : `masks-epoch-${epoch}.svg`;
      return [{ file, svg: renderSegmentationSamples(picture, SCENE_LABEL_NAMES, `segmentation${epoch === undefined ? '' : `, epoch ${epoch}`}: ${lastScores}`) }];
    },
  };
}
