// The training tasks of the CLI, each as a model, its batches and its evaluation:
// fashion-mnist (the dilated CNN on 28×28 images), adding and copy-memory (a causal TCN).
import { noGrad } from '../core/autograd';
import { native } from '../native/load-addon';
import { addingProblem, copyMemory, COPY_DIGITS, COPY_SYMBOLS } from '../data/synthetic-tasks';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadSplit, locateFashionMnist, type DataLocation } from '../data/fashion-mnist';
import { ImageLoader } from '../data/loader';
import { DilatedCnn } from '../models/dilated-cnn';
import { Tcn } from '../models/tcn';
import type { Module } from '../nn';
import { crossEntropy, mseLoss } from '../ops/loss';
import { hostView } from '../core/storage';
import type { Device, Tensor } from '../core/tensor';

export const TASKS = ['fashion-mnist', 'adding', 'copy-memory'] as const;
export type TaskName = (typeof TASKS)[number];

export interface TaskOptions {
  data?: string;
  batchSize: number;
  seed: number;
  augment: boolean;
  /** At most this many training batches per epoch. */
  maxBatches?: number;
  /** Where the model runs; batches are moved there (default 'cpu'). */
  device?: Device;
}

export interface TrainBatch {
  index: number;
  size: number;
  loss(model: Module): Tensor;
}

export interface Evaluation {
  loss: number;
  /** 'accuracy' in [0, 1] (higher is better) or 'mse' (lower is better). */
  metric: number;
  metricName: 'accuracy' | 'mse';
}

export interface Task {
  name: TaskName;
  /** Shown at start: where the data came from. */
  description: string;
  model: Module;
  /** One sample with its batch dimension, for model.summary(). */
  summaryShape: number[];
  batchesPerEpoch: number;
  batches(epoch: number, start: number): Iterable<TrainBatch>;
  evaluate(model: Module): Evaluation;
  /** Where the task has pictures: some test images (count × height × width bytes), for TensorBoard. */
  pictures?: { images: Uint8Array; count: number; height: number; width: number };
}

export function makeTask(name: TaskName, opts: TaskOptions): Task {
  switch (name) {
    case 'fashion-mnist':
      return fashionMnistTask(opts);
    case 'adding':
      return addingTask(opts);
    case 'copy-memory':
      return copyMemoryTask(opts);
    default:
      throw new RangeError(`--task expects one of ${TASKS.join(', ')}, but got '${String(name)}'`);
  }
}

/** The model of a task alone (for summary and for loading a checkpoint). */
export function makeModel(name: TaskName): Module {
  switch (name) {
    case 'fashion-mnist':
      return new DilatedCnn();
    case 'adding':
      return new Tcn({ inChannels: 2, hidden: 24, levels: 5, kernel: 7, outputs: 1, readout: 'last' });
    case 'copy-memory':
      return new Tcn({ inChannels: COPY_SYMBOLS, hidden: 24, levels: 3, kernel: 7, outputs: COPY_SYMBOLS, readout: 'each' });
    default:
      throw new RangeError(`--task expects one of ${TASKS.join(', ')}, but got '${String(name)}'`);
  }
}

const ADDING_T = 200;
const COPY_T = 40;

/** One sample with its batch dimension, per task (for model.summary()). */
export const SUMMARY_SHAPES: Record<TaskName, number[]> = {
  'fashion-mnist': [1, 1, 28, 28],
  adding: [1, 2, ADDING_T],
  'copy-memory': [1, COPY_SYMBOLS, COPY_T + 2 * COPY_DIGITS],
};

const limitBatches = (n: number, max?: number) => (max === undefined ? n : Math.min(n, max));

function describeLocation(loc: DataLocation): string {
  const from = { option: '--data', env: '$ATROUS_DATA', debian: "Debian's dataset-fashion-mnist", embedded: 'the embedded subset' }[loc.source];
  return `${loc.dir} (${from})`;
}

function fashionMnistTask(opts: TaskOptions): Task {
  const device = opts.device ?? 'cpu';
  const loc = locateFashionMnist(opts.data);
  const train = loadSplit(loc.dir, 'train');
  const test = loadSplit(loc.dir, 'test');
  const norm = { mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD };
  const trainLoader = new ImageLoader(train, {
    batchSize: opts.batchSize, shuffle: true, seed: opts.seed, ...norm, augment: opts.augment ? { pad: 2, flip: true } : {},
  });
  const testLoader = new ImageLoader(test, { batchSize: 500, ...norm });
  const batchesPerEpoch = limitBatches(trainLoader.numBatches, opts.maxBatches);
  return {
    name: 'fashion-mnist',
    description: `Fashion-MNIST from ${describeLocation(loc)}: ${train.count} training and ${test.count} test images of ${train.height}x${train.width}`,
    model: new DilatedCnn({ imageSize: [train.height, train.width] }),
    summaryShape: [1, 1, train.height, train.width],
    batchesPerEpoch,
    *batches(epoch, start) {
      for (const b of trainLoader.epoch(epoch, start)) {
        if (b.index >= batchesPerEpoch) return;
        yield { index: b.index, size: b.targets.length, loss: (model) => crossEntropy(model.forward(b.x.to(device)) as Tensor, b.targets) };
      }
    },
    evaluate(model) {
      return evaluateClassifier(model, testLoader, device);
    },
    pictures: { images: test.images, count: test.count, height: test.height, width: test.width },
  };
}

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

const SYNTHETIC_BATCHES = 200;
const SYNTHETIC_TEST = 1000;
// Test sets use seeds far from the training ones.
const TEST_SEED = 2 ** 40;

function addingTask(opts: TaskOptions): Task {
  const device = opts.device ?? 'cpu';
  const test = addingProblem(SYNTHETIC_TEST, ADDING_T, TEST_SEED);
  const batchesPerEpoch = limitBatches(SYNTHETIC_BATCHES, opts.maxBatches);
  return {
    name: 'adding',
    description: `the adding problem, T=${ADDING_T}: ${batchesPerEpoch} fresh batches of ${opts.batchSize} per epoch, ${SYNTHETIC_TEST} test sequences (predicting 1 always: MSE about 0.167)`,
    model: makeModel('adding'),
    summaryShape: SUMMARY_SHAPES.adding,
    batchesPerEpoch,
    *batches(epoch, start) {
      for (let i = start; i < batchesPerEpoch; i++) {
        const b = addingProblem(opts.batchSize, ADDING_T, seedOf(opts.seed, epoch, i));
        yield { index: i, size: opts.batchSize, loss: (model) => mseLoss(model.forward(b.x.to(device)) as Tensor, b.y.to(device)) };
      }
    },
    evaluate(model) {
      const loss = inEval(model, () => mseLoss(model.forward(test.x.to(device)) as Tensor, test.y.to(device)).item());
      return { loss, metric: loss, metricName: 'mse' };
    },
  };
}

function copyMemoryTask(opts: TaskOptions): Task {
  const device = opts.device ?? 'cpu';
  const test = copyMemory(SYNTHETIC_TEST, COPY_T, TEST_SEED);
  const batchesPerEpoch = limitBatches(SYNTHETIC_BATCHES, opts.maxBatches);
  return {
    name: 'copy-memory',
    description: `copy memory, T=${COPY_T}: ${batchesPerEpoch} fresh batches of ${opts.batchSize} per epoch, ${SYNTHETIC_TEST} test sequences; accuracy over the ${COPY_DIGITS} recalled digits`,
    model: makeModel('copy-memory'),
    summaryShape: SUMMARY_SHAPES['copy-memory'],
    batchesPerEpoch,
    *batches(epoch, start) {
      for (let i = start; i < batchesPerEpoch; i++) {
        const b = copyMemory(opts.batchSize, COPY_T, seedOf(opts.seed, epoch, i));
        yield { index: i, size: opts.batchSize, loss: (model) => crossEntropy(model.forward(b.x.to(device)) as Tensor, b.targets) };
      }
    },
    evaluate(model) {
      return inEval(model, () => {
        const logits = model.forward(test.x.to(device)) as Tensor;
        const loss = crossEntropy(logits, test.targets).item();
        const predicted = new Int32Array(logits.shape[0]);
        native().argmaxRows(hostView(logits.storage), logits.shape[0], COPY_SYMBOLS, predicted);
        let correct = 0;
        for (let s = 0; s < SYNTHETIC_TEST; s++) {
          for (let t = test.length - COPY_DIGITS; t < test.length; t++) if (predicted[s * test.length + t] === test.targets[s * test.length + t]) correct++;
        }
        return { loss, metric: correct / (SYNTHETIC_TEST * COPY_DIGITS), metricName: 'accuracy' as const };
      });
    },
  };
}

function seedOf(seed: number, epoch: number, batch: number): number {
  return seed * 1_000_003 + epoch * 10_007 + batch;
}

function inEval<T>(model: Module, fn: () => T): T {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(fn);
  } finally {
    model.train(wasTraining);
  }
}
