// The optimizer base: parameter groups (each with its own hyperparameters over the defaults),
// per-parameter state, zeroGrad, and stateDict/loadStateDict in PyTorch's layout (state keyed by the
// parameter's index across groups; groups listing those indices).
import { describeValue, formatShape } from '../core/shape-checks';
import { copyOf, onDevice, type Storage, zeros } from '../core/storage';
import { Tensor } from '../core/tensor';

/** A parameter group as given: its tensors and any hyperparameter overriding the optimizer's default. */
export type ParamGroupSpec<H> = { params: Tensor[] | Iterable<Tensor> } & Partial<H>;

/** A live parameter group: the tensors, every hyperparameter, and initialLr once a scheduler is attached. */
export type ParamGroup<H> = H & { params: Tensor[]; initialLr?: number };

/** A state entry: a buffer on its parameter's device, or a counter. */
export type StateValue = Storage | number;

export interface OptimizerStateDict<H> {
  state: Record<number, Record<string, Tensor | number>>;
  paramGroups: (H & { params: number[]; initialLr?: number })[];
}

/** Any optimizer, seen through the one hyperparameter every kind has (schedulers and checkpoints). */
export type AnyOptimizer = Optimizer<{ lr: number }>;

export abstract class Optimizer<H extends { lr: number }> {
  readonly paramGroups: ParamGroup<H>[];
  /** Per-parameter state (momentum buffers, moments, step counts), created on its first update. */
  readonly state = new Map<Tensor, Record<string, StateValue>>();
  protected readonly name: string;
  private readonly hyperKeys: string[];

  protected constructor(name: string, params: Tensor[] | ParamGroupSpec<H>[] | Iterable<Tensor>, defaults: H) {
    this.name = name;
    this.hyperKeys = Object.keys(defaults);
    this.paramGroups = [];
    const list = params instanceof Tensor ? [params] : Array.from(params as Iterable<unknown>);
    if (list.length === 0) throw new RangeError(`${name}: params expects a non-empty list of Tensors or parameter groups, but got an empty list`);
    const specs: ParamGroupSpec<H>[] = list.every((p) => p instanceof Tensor) ? [{ params: list } as ParamGroupSpec<H>] : (list as ParamGroupSpec<H>[]);
    const seen = new Set<Tensor>();
    specs.forEach((spec, g) => {
      if (spec === null || typeof spec !== 'object' || spec instanceof Tensor || !('params' in spec)) {
        throw new TypeError(`${name}: params[${g}] expects a parameter group { params, ...hyperparameters } (or every entry a Tensor), but got ${describeValue(spec)}`);
      }
      const tensors = spec.params instanceof Tensor ? [spec.params] : Array.from(spec.params as Iterable<unknown>);
      tensors.forEach((t, i) => {
        if (!(t instanceof Tensor)) throw new TypeError(`${name}: paramGroups[${g}].params[${i}] expects a Tensor, but got ${describeValue(t)}`);
        if (!t.isLeaf) throw new RangeError(`${name}: paramGroups[${g}].params[${i}] expects a leaf tensor (a parameter), but it was made by ${t.gradFn?.op}`);
        if (seen.has(t)) throw new RangeError(`${name}: paramGroups[${g}].params[${i}] appears in more than one place; each parameter belongs to one group`);
        seen.add(t);
      });
      for (const key of Object.keys(spec)) {
        if (key !== 'params' && key !== 'initialLr' && !this.hyperKeys.includes(key)) {
          throw new TypeError(`${name}: paramGroups[${g}].${key} is not an option (expected params or one of ${this.hyperKeys.join(', ')})`);
        }
      }
      const group = { ...defaults, ...spec, params: tensors as Tensor[] } as ParamGroup<H>;
      this.checkHyper(group, `paramGroups[${g}]`);
      this.paramGroups.push(group);
    });
  }

  /** Throws a RangeError/TypeError naming `where.key` for a hyperparameter out of range. */
  protected abstract checkHyper(group: H, where: string): void;

  /** Updates every parameter that has a gradient; closure (optional) recomputes the loss first. */
  abstract step<T>(closure?: () => T): T | undefined;

  /** Clears every parameter's gradient (to null, as PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.releaseGrad();
  }

  protected expectNumber(where: string, key: string, v: unknown, min: number, max = Infinity, maxOpen = false): void {
    if (typeof v !== 'number') throw new TypeError(`${this.name}: ${where}.${key} expects a number, but got ${describeValue(v)}`);
    if (!(v >= min && (maxOpen ? v < max : v <= max))) {
      throw new RangeError(`${this.name}: ${where}.${key} expects a number in [${min}, ${max}${maxOpen ? ')' : ']'}, but got ${v}`);
    }
  }

  /** Copies of the state (tensors for buffers, numbers for counters) and each group's hyperparameters. */
  stateDict(): OptimizerStateDict<H> {
    const state: OptimizerStateDict<H>['state'] = {};
    const paramGroups: OptimizerStateDict<H>['paramGroups'] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const ids: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s) {
          state[index] = Object.fromEntries(
            Object.entries(s).map(([k, v]) => [k, typeof v === 'number' ? v : new Tensor(copyOf(v), p.shape)]),
          );
        }
        ids.push(index++);
      }
      const { params: _params, ...hyper } = group;
      paramGroups.push({ ...(hyper as unknown as H), params: ids });
    }
    return { state, paramGroups };
  }

  /** Restores a stateDict of an optimizer over the same parameters; throws naming the entry, changing nothing. */
  loadStateDict(sd: OptimizerStateDict<H>): void {
    this.planLoadStateDict(sd)();
  }

  /** Checks sd fully and returns the function that applies it (checkpoints check everything first). */
  planLoadStateDict(sd: OptimizerStateDict<H>): () => void {
    const op = `${this.name}.loadStateDict`;
    if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || sd.state === null || typeof sd.state !== 'object') {
      throw new TypeError(`${op}: stateDict expects { state, paramGroups }, but got ${describeValue(sd)}`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError(`${op}: paramGroups expects ${this.paramGroups.length} groups (this optimizer's), but got ${sd.paramGroups.length}`);
    }
    const byIndex: Tensor[] = [];
    const hypers: Record<string, unknown>[] = [];
    sd.paramGroups.forEach((g, i) => {
      const mine = this.paramGroups[i].params;
      if (!g || !Array.isArray(g.params) || g.params.length !== mine.length) {
        throw new RangeError(`${op}: paramGroups[${i}].params expects ${mine.length} parameters (this optimizer's group ${i}), but got ${describeValue(g?.params)}`);
      }
      g.params.forEach((id, k) => {
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new TypeError(`${op}: paramGroups[${i}].params[${k}] expects an index, but got ${describeValue(id)}`);
        byIndex[id] = mine[k];
      });
      const { params: _p, ...hyper } = g;
      const merged = { ...this.paramGroups[i], ...hyper } as ParamGroup<H>;
      this.checkHyper(merged, `paramGroups[${i}]`);
      hypers.push(hyper);
    });
    const restored = new Map<Tensor, Record<string, StateValue>>();
    for (const [key, entry] of Object.entries(sd.state)) {
      const p = byIndex[Number(key)];
      if (p === undefined) throw new RangeError(`${op}: state[${key}] names no parameter of paramGroups`);
      if (entry === null || typeof entry !== 'object') throw new TypeError(`${op}: state[${key}] expects an object, but got ${describeValue(entry)}`);
      const values: Record<string, StateValue> = {};
      for (const [name, v] of Object.entries(entry)) {
        if (typeof v === 'number') {
          values[name] = v;
        } else if (v instanceof Tensor) {
          if (v.numel !== p.numel) {
            throw new RangeError(`${op}: state[${key}].${name} expects shape ${formatShape(p.shape)} (its parameter's), but got ${formatShape(v.shape)}`);
          }
          values[name] = onDevice(v.toFloat32Array(), p.device, op);
        } else {
          throw new TypeError(`${op}: state[${key}].${name} expects a Tensor or a number, but got ${describeValue(v)}`);
        }
      }
      this.checkState(values, `state[${key}]`, op);
      restored.set(p, values);
    }
    return () => {
      hypers.forEach((h, i) => Object.assign(this.paramGroups[i], h));
      this.state.clear();
      for (const [p, s] of restored) this.state.set(p, s);
    };
  }

  /**
   * The buffer `key` of p's state on p's device: created as zeros on first use, moved if the model
   * moved since (Module.to after the optimizer took its first step).
   */
  protected stateBuffer(p: Tensor, state: Record<string, StateValue>, key: string): Storage {
    const v = state[key];
    if (v === undefined || typeof v === 'number') return (state[key] = zeros(p.device, p.numel));
    return (state[key] = onDevice(v, p.device, `${this.name}.step`));
  }

  /** Throws when a restored state entry lacks what step() needs (subclasses name their keys). */
  protected abstract checkState(values: Record<string, StateValue>, where: string, op: string): void;
}
