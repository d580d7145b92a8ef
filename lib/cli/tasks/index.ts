// The training tasks of the CLI, one file each: fashion-mnist (the dilated CNN on 28×28 images),
// adding and copy-memory (a causal TCN), text and fortunes (a dilated text classifier), char-lm (a
// causal character model), seq-fashion-mnist (a causal TCN over 784 pixels), speech and speech-mel, segmentation
// and detection (DRN backbone on Fashion-MNIST scenes). This file is the registry: names, models, summary shapes.
import { COPY_DIGITS, COPY_SYMBOLS } from '../../data/synthetic-tasks';
import { DilatedCnn } from '../../models/dilated-cnn';
import type { Module } from '../../nn';
import { fashionMnistTask } from './fashion-mnist';
import { ADDING_RULES, ADDING_T, addingModel, COPY_RULES, addingTask, COPY_T, copyMemoryModel, copyMemoryTask } from './synthetic';
import { PIXELS, SEQ_FASHION_RULES, seqFashionMnistTask, seqFashionModel } from './seq-fashion-mnist';
import { SEQUENCE_FLAGS, type SequenceOptions } from './sequence-spec';
import type { Task, TaskOptions } from './task';
import { charLmTask, textClassificationTask, type TextSpec } from './text';
import { CharLm, type CharLmOptions } from '../../models/char-lm';
import { TextCnn, type TextCnnOptions } from '../../models/text-cnn';
import { SPEECH_SUMMARY_SHAPES, speechModel, speechTask, type SpeechSpec } from './speech';
import { DeepLabLite } from '../../models/aspp';
import { CenterNet } from '../../models/centernet-head';
import { detectionTask } from './detection';
import { SCENE_SIZE, segmentationTask } from './segmentation';

export type { Evaluation, Task, TaskOptions, TrainBatch } from './task';
export { countCorrect, evaluateClassifier, formatMetric, isFractionMetric } from './task';

export const TASKS = ['fashion-mnist', 'adding', 'copy-memory', 'seq-fashion-mnist', 'text', 'fortunes', 'char-lm', 'speech', 'speech-mel', 'segmentation', 'detection'] as const;
export type TaskName = (typeof TASKS)[number];
export type { SequenceOptions, SequenceSpec } from './sequence-spec';

/** Tasks on a TCN, whose length and model the sequence options set. */
export const SEQUENCE_TASKS: readonly TaskName[] = ['adding', 'copy-memory', 'seq-fashion-mnist'];

/** Throws where sequence options are given to a task without a TCN (they would be ignored). */
function refuseSequenceOptions(name: TaskName, opts?: SequenceOptions): void {
  const given = Object.entries(opts ?? {}).find(([, v]) => v !== undefined);
  if (given) throw new RangeError(`${SEQUENCE_FLAGS[given[0] as keyof SequenceOptions]} applies to --task ${SEQUENCE_TASKS.join(', ')}, but --task is ${name}`);
}

/** The task; spec: what a checkpoint of it kept (Task.spec), to rebuild its model and encoding. */
export function makeTask(name: TaskName, opts: TaskOptions, spec?: object): Task {
  if (!SEQUENCE_TASKS.includes(name)) refuseSequenceOptions(name, opts.sequence);
  switch (name) {
    case 'fashion-mnist':
      return fashionMnistTask(opts);
    case 'adding':
      return addingTask(opts, spec);
    case 'copy-memory':
      return copyMemoryTask(opts, spec);
    case 'seq-fashion-mnist':
      return seqFashionMnistTask(opts, spec);
    case 'text':
    case 'fortunes':
      return textClassificationTask(name, opts, spec as TextSpec | undefined);
    case 'char-lm':
      return charLmTask(opts, spec as TextSpec | undefined);
    case 'speech':
    case 'speech-mel':
      return speechTask(name, opts, spec as SpeechSpec | undefined);
    case 'segmentation':
      return segmentationTask(opts);
    case 'detection':
      return detectionTask(opts);
    default:
      throw new RangeError(`--task expects one of ${TASKS.join(', ')}, but got '${String(name)}'`);
  }
}

/** The model of a task alone (for summary and for loading a checkpoint); text tasks need their spec. */
export function makeModel(name: TaskName, spec?: object): Module {
  switch (name) {
    case 'fashion-mnist':
      return new DilatedCnn();
    case 'adding':
      return addingModel(spec ? { ...ADDING_RULES.defaults, ...spec } : undefined);
    case 'copy-memory':
      return copyMemoryModel(spec ? { ...COPY_RULES.defaults, ...spec } : undefined);
    case 'seq-fashion-mnist':
      return seqFashionModel(spec ? { ...SEQ_FASHION_RULES.defaults, ...spec } : undefined);
    case 'text':
    case 'fortunes':
      return new TextCnn((spec as TextSpec | undefined)?.model as TextCnnOptions ?? { vocabSize: 20000, classes: 10 });
    case 'char-lm':
      return new CharLm((spec as TextSpec | undefined)?.model as CharLmOptions ?? { vocabSize: 100 });
    case 'speech':
    case 'speech-mel':
      return speechModel(name, spec as SpeechSpec | undefined);
    case 'segmentation':
      return new DeepLabLite();
    case 'detection':
      return new CenterNet();
    default:
      throw new RangeError(`--task expects one of ${TASKS.join(', ')}, but got '${String(name)}'`);
  }
}

/** Tasks whose models read token ids (int32), not floats. */
export const TOKEN_TASKS: readonly TaskName[] = ['text', 'fortunes', 'char-lm'];

/** One sample with its batch dimension, per task (for model.summary()). */
export const SUMMARY_SHAPES: Record<TaskName, number[]> = {
  'fashion-mnist': [1, 1, 28, 28],
  adding: [1, 2, ADDING_T],
  'copy-memory': [1, COPY_SYMBOLS, COPY_T + 2 * COPY_DIGITS],
  'seq-fashion-mnist': [1, 1, PIXELS],
  text: [1, 64],
  fortunes: [1, 64],
  'char-lm': [1, 128],
  ...SPEECH_SUMMARY_SHAPES,
  segmentation: [1, 1, SCENE_SIZE, SCENE_SIZE],
  detection: [1, 1, SCENE_SIZE, SCENE_SIZE],
};

