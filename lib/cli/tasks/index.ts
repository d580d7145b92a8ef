// The training tasks of the CLI, one file each: fashion-mnist (the dilated CNN on 28×28 images),
// adding and copy-memory (a causal TCN). This file is the registry: names, models, summary shapes.
import { COPY_DIGITS, COPY_SYMBOLS } from '../../data/synthetic-tasks';
import { DilatedCnn } from '../../models/dilated-cnn';
import type { Module } from '../../nn';
import { fashionMnistTask } from './fashion-mnist';
import { ADDING_T, addingModel, addingTask, COPY_T, copyMemoryModel, copyMemoryTask } from './synthetic';
import type { Task, TaskOptions } from './task';

export type { Evaluation, Task, TaskOptions, TrainBatch } from './task';
export { countCorrect, evaluateClassifier } from './task';

export const TASKS = ['fashion-mnist', 'adding', 'copy-memory'] as const;
export type TaskName = (typeof TASKS)[number];

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
      return addingModel();
    case 'copy-memory':
      return copyMemoryModel();
    default:
      throw new RangeError(`--task expects one of ${TASKS.join(', ')}, but got '${String(name)}'`);
  }
}

/** One sample with its batch dimension, per task (for model.summary()). */
export const SUMMARY_SHAPES: Record<TaskName, number[]> = {
  'fashion-mnist': [1, 1, 28, 28],
  adding: [1, 2, ADDING_T],
  'copy-memory': [1, COPY_SYMBOLS, COPY_T + 2 * COPY_DIGITS],
};

