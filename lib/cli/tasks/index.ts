// The training tasks of the CLI, one file each: fashion-mnist (the dilated CNN on 28×28 images),
// adding and copy-memory (a causal TCN), text and fortunes (a dilated text classifier), char-lm (a
// causal character model), segmentation and detection (DRN backbone on Fashion-MNIST scenes). This file is the registry: names, models, summary shapes.
import { COPY_DIGITS, COPY_SYMBOLS } from '../../data/synthetic-tasks';
import { DilatedCnn } from '../../models/dilated-cnn';
import type { Module } from '../../nn';
import { fashionMnistTask } from './fashion-mnist';
import { ADDING_T, addingModel, addingTask, COPY_T, copyMemoryModel, copyMemoryTask } from './synthetic';
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

export const TASKS = ['fashion-mnist', 'adding', 'copy-memory', 'text', 'fortunes', 'char-lm', 'speech', 'speech-mel', 'segmentation', 'detection'] as const;
export type TaskName = (typeof TASKS)[number];

/** The task; spec: what a checkpoint of it kept (Task.spec), to rebuild its model and encoding. */
export function makeTask(name: TaskName, opts: TaskOptions, spec?: object): Task {
  switch (name) {
    case 'fashion-mnist':
      return fashionMnistTask(opts);
    case 'adding':
      return addingTask(opts);
    case 'copy-memory':
      return copyMemoryTask(opts);
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
      return addingModel();
    case 'copy-memory':
      return copyMemoryModel();
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
  text: [1, 64],
  fortunes: [1, 64],
  'char-lm': [1, 128],
  ...SPEECH_SUMMARY_SHAPES,
  segmentation: [1, 1, SCENE_SIZE, SCENE_SIZE],
  detection: [1, 1, SCENE_SIZE, SCENE_SIZE],
};

