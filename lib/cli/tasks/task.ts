// What every CLI task is (a model, its batches, its evaluation) and the helpers tasks share.
import { noGrad } from '../../core/autograd';
import { hostView } from '../../core/storage';
import type { Device, Tensor } from '../../core/tensor';
import type { ImageLoader } from '../../data/loader';
import { native } from '../../native/load-addon';
import type { Module } from '../../nn';
import { crossEntropy } from '../../ops/loss';
import type { TaskName } from './index';
import type { SequenceOptions } from './sequence-spec';

export interface TaskOptions {
  data?: string;
  batchSize: number;
  seed: number;
  augment: boolean;
  /** At most this many training batches per epoch. */
  maxBatches?: number;
  /** Where the model runs; batches are moved there (default 'cpu'). */
  device?: Device;
  /** speech: the causal WaveNet (per-step readout) that `atrous listen` streams. */
  causal?: boolean;
  /** 'auto': weight the loss per label by classWeights(labelCounts) (segmentation). */
  classWeights?: 'auto';
  /** The TCN tasks' length and model as the command line asks (each unset: the task's default or the checkpoint's). */
  sequence?: SequenceOptions;
}

export interface TrainBatch {
  index: number;
  size: number;
  loss(model: Module): Tensor;
}

export interface Evaluation {
  loss: number;
  /** 'accuracy', 'mIoU', 'mAP@0.5' in [0, 1] (higher is better), 'mse' or 'bits/char' (lower is better). */
  metric: number;
  metricName: 'accuracy' | 'mse' | 'bits/char' | 'mIoU' | 'mAP@0.5';
  /** Further scores in [0, 1] shown beside the metric (e.g. 'pixel accuracy'). */
  extra?: Record<string, number>;
}

export interface Task {
  name: TaskName;
  /** Shown at start: where the data came from. */
  description: string;
  model: Module;
  /** One sample with its batch dimension, for model.summary(). */
  summaryShape: number[];
  /** What one training sample is called in progress and throughput ('images', 'texts', 'characters'; default by task). */
  unit?: string;
  /** The summary input's dtype: 'int32' for token ids (default float32). */
  summaryDtype?: 'int32';
  batchesPerEpoch: number;
  batches(epoch: number, start: number): Iterable<TrainBatch>;
  evaluate(model: Module): Evaluation;
  /** What the checkpoint must keep to rebuild this task's model and encoding (vocabulary, label names). */
  spec?: object;
  /** Where the task has pictures: some test images (count × height × width bytes), for TensorBoard. */
  sampleImages?: { images: Uint8Array; count: number; height: number; width: number };
  /** Pictures of the last evaluation, written beside plot.svg (e.g. a confusion matrix); epoch: 1-based, for per-epoch names. */
  pictures?(epoch?: number): { file: string; svg: string }[];
}

export const limitBatches = (n: number, max?: number) => (max === undefined ? n : Math.min(n, max));

/** Mean loss and accuracy over a loader's images, in eval mode without a graph. */
export function evaluateClassifier(model: Module, loader: ImageLoader, device: Device = 'cpu'): Evaluation {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let correct = 0;
  try {
    noGrad(() => {
      for (const b of loader.epoch(0)) {
        const logits = model.forward(b.x.to(device)) as Tensor;
        lossSum += crossEntropy(logits, b.targets).item() * b.targets.length;
        correct += countCorrect(logits, b.targets);
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return { loss: lossSum / loader.size, metric: correct / loader.size, metricName: 'accuracy' };
}

/** Rows of logits whose largest entry is the target. */
export function countCorrect(logits: Tensor, targets: Int32Array): number {
  const [rows, cols] = logits.shape;
  const predicted = new Int32Array(rows);
  native().argmaxRows(hostView(logits.storage), rows, cols, predicted);
  let correct = 0;
  for (let i = 0; i < rows; i++) if (predicted[i] === targets[i]) correct++;
  return correct;
}

export function seedOf(seed: number, epoch: number, batch: number): number {
  return seed * 1_000_003 + epoch * 10_007 + batch;
}

export function inEval<T>(model: Module, fn: () => T): T {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(fn);
  } finally {
    model.train(wasTraining);
  }
}

/** Metrics that are fractions in [0, 1] (shown as percentages). */
export function isFractionMetric(name: Evaluation['metricName']): boolean {
  return name === 'accuracy' || name === 'mIoU' || name === 'mAP@0.5';
}

/** "test accuracy 91.20%", "test MSE 0.00123", "test 2.105 bits/char", "test mIoU 45.10% (pixel accuracy 93.02%)". */
export function formatMetric(e: Pick<Evaluation, 'metric' | 'metricName' | 'extra'>): string {
  const extra = e.extra ? Object.entries(e.extra).map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`).join(', ') : '';
  const main = isFractionMetric(e.metricName) ? `test ${e.metricName} ${(100 * e.metric).toFixed(2)}%`
    : e.metricName === 'mse' ? `test MSE ${e.metric.toFixed(5)}` : `test ${e.metric.toFixed(3)} bits/char`;
  return extra ? `${main} (${extra})` : main;
}
