// adding and copy-memory: the synthetic sequence tasks of the TCN paper, on a causal TCN.
import { hostView } from '../../core/storage';
import type { Tensor } from '../../core/tensor';
import { addingProblem, copyMemory, COPY_DIGITS, COPY_SYMBOLS } from '../../data/synthetic-tasks';
import { Tcn } from '../../models/tcn';
import { native } from '../../native/load-addon';
import { crossEntropy, mseLoss } from '../../ops/loss';
import { inEval, limitBatches, seedOf, type Task, type TaskOptions } from './task';

export const ADDING_T = 200;
export const COPY_T = 40;

export function addingModel(): Tcn {
  return new Tcn({ inChannels: 2, hidden: 24, levels: 5, kernel: 7, outputs: 1, readout: 'last' });
}

export function copyMemoryModel(): Tcn {
  return new Tcn({ inChannels: COPY_SYMBOLS, hidden: 24, levels: 3, kernel: 7, outputs: COPY_SYMBOLS, readout: 'each' });
}

const SYNTHETIC_BATCHES = 200;
const SYNTHETIC_TEST = 1000;
// Test sets use seeds far from the training ones.
const TEST_SEED = 2 ** 40;

export function addingTask(opts: TaskOptions): Task {
  const device = opts.device ?? 'cpu';
  const test = addingProblem(SYNTHETIC_TEST, ADDING_T, TEST_SEED);
  const batchesPerEpoch = limitBatches(SYNTHETIC_BATCHES, opts.maxBatches);
  return {
    name: 'adding',
    description: `the adding problem, T=${ADDING_T}: ${batchesPerEpoch} fresh batches of ${opts.batchSize} per epoch, ${SYNTHETIC_TEST} test sequences (predicting 1 always: MSE about 0.167)`,
    model: addingModel(),
    summaryShape: [1, 2, ADDING_T],
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

export function copyMemoryTask(opts: TaskOptions): Task {
  const device = opts.device ?? 'cpu';
  const test = copyMemory(SYNTHETIC_TEST, COPY_T, TEST_SEED);
  const batchesPerEpoch = limitBatches(SYNTHETIC_BATCHES, opts.maxBatches);
  return {
    name: 'copy-memory',
    description: `copy memory, T=${COPY_T}: ${batchesPerEpoch} fresh batches of ${opts.batchSize} per epoch, ${SYNTHETIC_TEST} test sequences; accuracy over the ${COPY_DIGITS} recalled digits`,
    model: copyMemoryModel(),
    summaryShape: [1, COPY_SYMBOLS, COPY_T + 2 * COPY_DIGITS],
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

