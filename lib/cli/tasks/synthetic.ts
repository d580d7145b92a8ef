// adding and copy-memory: the synthetic sequence tasks of the TCN paper, on a causal TCN. The length
// (--seq-len) and the TCN's shape come from the command line or the checkpoint (sequence-spec.ts).
import { hostView } from '../../core/storage';
import type { Device, Tensor } from '../../core/tensor';
import { addingProblem, copyMemory, COPY_DIGITS, COPY_SYMBOLS, type AddingBatch, type CopyMemoryBatch } from '../../data/synthetic-tasks';
import type { Tcn } from '../../models/tcn';
import type { Module } from '../../nn';
import { native } from '../../native/load-addon';
import { crossEntropy, mseLoss } from '../../ops/loss';
import { describeTcn, resolveSequenceSpec, tcnOf, type SequenceRules, type SequenceSpec } from './sequence-spec';
import { inEval, limitBatches, seedOf, type Evaluation, type Task, type TaskOptions } from './task';

export const ADDING_T = 200;
export const COPY_T = 40;

const TCN_DEFAULTS = { weightNorm: false, init: 'default' } as const;

export const ADDING_RULES: SequenceRules = {
  task: 'adding',
  defaults: { seqLen: ADDING_T, levels: 5, channels: 24, kernelSize: 7, ...TCN_DEFAULTS },
  minSeqLen: { value: 2, why: 'one marked value in each half' },
  refuses: ['permute'],
};

export const COPY_RULES: SequenceRules = {
  task: 'copy-memory',
  defaults: { seqLen: COPY_T, levels: 3, channels: 24, kernelSize: 7, ...TCN_DEFAULTS },
  // The sequence is the 10 digits, T − 1 blanks, then 11 markers (10 to recall the digits over): T is the delay.
  minSeqLen: { value: 1, why: `T is the delay between the ${COPY_DIGITS} digits and their recall; the input is T + ${2 * COPY_DIGITS} steps` },
  refuses: ['permute'],
};

export function addingModel(spec: SequenceSpec = ADDING_RULES.defaults): Tcn {
  return tcnOf(spec, { inChannels: 2, outputs: 1, readout: 'last' });
}

export function copyMemoryModel(spec: SequenceSpec = COPY_RULES.defaults): Tcn {
  return tcnOf(spec, { inChannels: COPY_SYMBOLS, outputs: COPY_SYMBOLS, readout: 'each' });
}

const SYNTHETIC_BATCHES = 200;
const SYNTHETIC_TEST = 1000;
// Test sets use seeds far from the training ones.
const TEST_SEED = 2 ** 40;

/** What sets one synthetic task apart; the rest (fresh seeded batches, a fixed test set) is syntheticTask's. */
interface SyntheticKind<B> {
  name: 'adding' | 'copy-memory';
  rules: SequenceRules;
  model(spec: SequenceSpec): Tcn;
  generate(n: number, T: number, seed: number): B;
  /** The summary input [1, channels, steps] for T; the receptive field should cover its steps. */
  inputShape(T: number): [number, number, number];
  loss(model: Module, batch: B, device: Device): Tensor;
  evaluate(model: Module, test: B, device: Device): Evaluation;
  /** The description: the task's title, what the test set reports, and the warning when the receptive field is short. */
  title: string;
  testNote: string;
  tooShort: string;
}

function syntheticTask<B>(kind: SyntheticKind<B>, opts: TaskOptions, saved?: Partial<SequenceSpec>): Task {
  const device = opts.device ?? 'cpu';
  const spec = resolveSequenceSpec(kind.rules, opts.sequence, saved);
  const T = spec.seqLen;
  const test = kind.generate(SYNTHETIC_TEST, T, TEST_SEED);
  const batchesPerEpoch = limitBatches(SYNTHETIC_BATCHES, opts.maxBatches);
  const model = kind.model(spec);
  const summaryShape = kind.inputShape(T);
  return {
    name: kind.name,
    description: `${kind.title}, T=${T}: ${batchesPerEpoch} fresh batches of ${opts.batchSize} per epoch, ${SYNTHETIC_TEST} test sequences${kind.testNote}; ${describeTcn(spec, model)}${model.receptiveField < summaryShape[2] ? kind.tooShort : ''}`,
    model,
    summaryShape,
    batchesPerEpoch,
    spec,
    *batches(epoch, start) {
      for (let i = start; i < batchesPerEpoch; i++) {
        const b = kind.generate(opts.batchSize, T, seedOf(opts.seed, epoch, i));
        yield { index: i, size: opts.batchSize, loss: (m) => kind.loss(m, b, device) };
      }
    },
    evaluate(m) {
      return kind.evaluate(m, test, device);
    },
  };
}

const addingLoss = (model: Module, b: AddingBatch, device: Device) => mseLoss(model.forward(b.x.to(device)) as Tensor, b.y.to(device));

export function addingTask(opts: TaskOptions, saved?: Partial<SequenceSpec>): Task {
  return syntheticTask<AddingBatch>({
    name: 'adding',
    rules: ADDING_RULES,
    model: addingModel,
    generate: addingProblem,
    inputShape: (T) => [1, 2, T],
    loss: addingLoss,
    evaluate(model, test, device) {
      const loss = inEval(model, () => addingLoss(model, test, device).item());
      return { loss, metric: loss, metricName: 'mse' };
    },
    title: 'the adding problem',
    testNote: ' (predicting 1 always: MSE about 0.167)',
    tooShort: ' (shorter than T: the first marked value can fall outside it)',
  }, opts, saved);
}

export function copyMemoryTask(opts: TaskOptions, saved?: Partial<SequenceSpec>): Task {
  return syntheticTask<CopyMemoryBatch>({
    name: 'copy-memory',
    rules: COPY_RULES,
    model: copyMemoryModel,
    generate: copyMemory,
    inputShape: (T) => [1, COPY_SYMBOLS, T + 2 * COPY_DIGITS],
    loss: (model, b, device) => crossEntropy(model.forward(b.x.to(device)) as Tensor, b.targets),
    evaluate(model, test, device) {
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
    title: 'copy memory',
    testNote: `; accuracy over the ${COPY_DIGITS} recalled digits`,
    tooShort: ' (shorter than the sequence: the digits can fall outside it)',
  }, opts, saved);
}
