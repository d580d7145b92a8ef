// Training checkpoints in one safetensors file: the model's state_dict under "model.", the optimizer's
// tensors under "optimizer.state.<index>.<key>", and in the __metadata__ entry "atrous.checkpoint" a
// JSON record of the optimizer's groups and counters, the scheduler, the epoch and the random stream's
// position. Loading checks every part before changing anything; a resumed run then continues exactly
// as an unbroken one (same parameters, moments, learning rates and dropout masks).
import type { Module } from '../nn/module';
import type { AnyOptimizer, OptimizerStateDict } from '../optim/optimizer';
import type { LRScheduler, SchedulerStateDict } from '../optim/schedulers';
import { getRandomState, setRandomState } from '../core/random';
import { describeValue } from '../core/shape-checks';
import { Tensor } from '../core/tensor';
import { readSafetensors, save } from './safetensors';

const META_KEY = 'atrous.checkpoint';
const FORMAT = 1;


export interface CheckpointParts {
  model?: Module;
  optimizer?: AnyOptimizer;
  scheduler?: LRScheduler;
}

export interface CheckpointContents extends CheckpointParts {
  epoch?: number;
  /** Anything JSON-serialisable to keep beside (a best score, a config). */
  extra?: unknown;
}

interface CheckpointRecord {
  format: number;
  epoch: number | null;
  extra: unknown;
  rng: { seed: number; offset: number };
  optimizer: { paramGroups: OptimizerStateDict<{ lr: number }>['paramGroups']; scalars: Record<string, Record<string, number>> } | null;
  scheduler: SchedulerStateDict | null;
}

/** Writes model, optimizer, scheduler, epoch and the random stream's position to path (atomically). */
export function saveCheckpoint(file: string, contents: CheckpointContents): void {
  const op = 'saveCheckpoint';
  if (contents === null || typeof contents !== 'object') throw new TypeError(`${op}: contents expects { model?, optimizer?, scheduler?, epoch?, extra? }, but got ${describeValue(contents)}`);
  const { model, optimizer, scheduler, epoch, extra } = contents;
  if (epoch !== undefined && !Number.isInteger(epoch)) throw new TypeError(`${op}: epoch expects an integer, but got ${describeValue(epoch)}`);
  const tensors: Record<string, Tensor> = {};
  if (model) for (const [k, t] of Object.entries(model.stateDict())) tensors[`model.${k}`] = t;
  let optimizerRecord: CheckpointRecord['optimizer'] = null;
  if (optimizer) {
    const sd = optimizer.stateDict();
    const scalars: Record<string, Record<string, number>> = {};
    for (const [index, entry] of Object.entries(sd.state)) {
      for (const [key, v] of Object.entries(entry)) {
        if (v instanceof Tensor) tensors[`optimizer.state.${index}.${key}`] = v;
        else (scalars[index] ??= {})[key] = v;
      }
    }
    optimizerRecord = { paramGroups: sd.paramGroups, scalars };
  }
  const record: CheckpointRecord = {
    format: FORMAT,
    epoch: epoch ?? null,
    extra: extra ?? null,
    rng: getRandomState(),
    optimizer: optimizerRecord,
    scheduler: scheduler ? scheduler.stateDict() : null,
  };
  save(tensors, file, { [META_KEY]: JSON.stringify(record) });
}

/**
 * Restores the given parts from a checkpoint written by saveCheckpoint, and the random stream's
 * position. Every part is checked first: on any mismatch it throws (naming the file and the entry)
 * and nothing changes. Returns the epoch and extra that were saved.
 */
export function loadCheckpoint(file: string, parts: CheckpointParts & { strict?: boolean }): { epoch: number | null; extra: unknown } {
  const op = 'loadCheckpoint';
  if (parts === null || typeof parts !== 'object') throw new TypeError(`${op}: parts expects { model?, optimizer?, scheduler? }, but got ${describeValue(parts)}`);
  const { tensors, metadata } = readSafetensors(file);
  const fail = (problem: string): never => {
    throw new Error(`${op}: '${file}': ${problem}`);
  };
  const raw = metadata[META_KEY];
  if (raw === undefined) fail(`no "${META_KEY}" metadata: not an atrous checkpoint (use at.load for a plain safetensors file)`);
  let record: CheckpointRecord;
  try {
    record = JSON.parse(raw) as CheckpointRecord;
  } catch (e) {
    return fail(`the "${META_KEY}" metadata is not valid JSON (${(e as Error).message})`);
  }
  if (record === null || typeof record !== 'object' || record.format !== FORMAT) fail(`checkpoint format ${describeValue(record?.format)} is not ${FORMAT}`);

  const applies: (() => void)[] = [];
  const withFile = <T>(what: string, plan: () => T): T => {
    try {
      return plan();
    } catch (e) {
      return fail(`${what}: ${(e as Error).message}`);
    }
  };
  if (parts.model) {
    const sd: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(tensors)) if (k.startsWith('model.')) sd[k.slice('model.'.length)] = t;
    const model = parts.model;
    const plan = withFile('model', () => model.planLoadStateDict(sd, { strict: parts.strict ?? true }));
    applies.push(() => plan.apply());
  }
  if (parts.optimizer) {
    if (!record.optimizer) fail('it holds no optimizer state');
    const { paramGroups, scalars } = record.optimizer as NonNullable<CheckpointRecord['optimizer']>;
    const state: Record<number, Record<string, Tensor | number>> = {};
    for (const [index, entry] of Object.entries(scalars ?? {})) state[Number(index)] = { ...entry };
    for (const [k, t] of Object.entries(tensors)) {
      const m = /^optimizer\.state\.(\d+)\.(\w+)$/.exec(k);
      if (m) (state[Number(m[1])] ??= {})[m[2]] = t;
    }
    const optimizer = parts.optimizer;
    applies.push(withFile('optimizer', () => optimizer.planLoadStateDict({ state, paramGroups })));
  }
  if (parts.scheduler) {
    if (!record.scheduler) fail('it holds no scheduler state');
    const scheduler = parts.scheduler;
    applies.push(withFile('scheduler', () => scheduler.planLoadStateDict(record.scheduler as SchedulerStateDict)));
  }
  const rng = record.rng;
  withFile('rng', () => {
    if (!rng || !Number.isInteger(rng.seed) || !Number.isInteger(rng.offset)) throw new RangeError(`expects { seed, offset } integers, but got ${describeValue(rng)}`);
  });
  for (const apply of applies) apply();
  setRandomState(rng);
  return { epoch: record.epoch, extra: record.extra };
}
