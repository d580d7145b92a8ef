// `atrous summary`: the table of a task's model, or of plain dilated stacks (--dilations 2,2,2, once per
// stack), and with --picture FILE.svg their receptive-field maps side by side (the gridding picture).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manualSeed } from '../core/random';
import { DilatedStack } from '../models/dilated-stack';
import type { Module } from '../nn';
import { renderReceptiveFieldSvg } from '../plot/receptive-field-svg';
import { makeModel, SUMMARY_SHAPES, TOKEN_TASKS, type TaskName } from './tasks';

export interface SummaryOptions {
  task: TaskName;
  /** Rate lists, e.g. [[2, 2, 2], [1, 2, 5]]: summarise these stacks instead of the task's model. */
  dilations?: number[][];
  picture?: string;
}

interface SummaryTarget {
  title: string;
  model: Module;
  inputShape: number[];
  dtype?: 'int32';
}

/** Margin around a stack's field in its input, so the picture shows where the field ends. */
const STACK_MARGIN = 4;

function targets(opts: SummaryOptions): SummaryTarget[] {
  if (!opts.dilations || opts.dilations.length === 0) {
    const model = makeModel(opts.task);
    return [{ title: `${opts.task}: ${model.constructor.name}`, model, inputShape: SUMMARY_SHAPES[opts.task], dtype: TOKEN_TASKS.includes(opts.task) ? 'int32' : undefined }];
  }
  return opts.dilations.map((rates) => {
    const model = new DilatedStack(rates);
    const side = model.fieldSize + 2 * STACK_MARGIN;
    return { title: `DilatedStack of 3×3 convs on ${side}×${side}`, model, inputShape: [1, 1, side, side] };
  });
}

export function runSummary(opts: SummaryOptions, print: (line: string) => void): void {
  manualSeed(0);
  const all = targets(opts);
  all.forEach((t, i) => {
    if (i > 0) print('');
    print(t.model.summary(t.inputShape, { dtype: t.dtype }).table);
  });
  if (opts.picture) {
    const svg = renderReceptiveFieldSvg(all.map((t) => ({ title: t.title, map: t.model.receptiveFieldMap(t.inputShape) })), 'Paths from one output to each input position');
    fs.mkdirSync(path.dirname(path.resolve(opts.picture)), { recursive: true });
    fs.writeFileSync(opts.picture, svg);
    print(`wrote ${opts.picture}`);
  }
}
