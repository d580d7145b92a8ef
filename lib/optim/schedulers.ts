// Learning-rate schedulers, in PyTorch's chainable form (each step reads the group's current lr),
// so that sequences match torch.optim.lr_scheduler step for step: StepLR, CosineAnnealingLR,
// LinearLR (linear warm-up) and SequentialLR (e.g. warm-up, then cosine). Call step() after
// optimizer.step(), once per epoch (or per iteration, consistently).
import { describeValue } from '../core/shape-checks';
import type { AnyOptimizer } from './optimizer';


export interface SchedulerStateDict {
  kind: string;
  lastEpoch: number;
  stepCount: number;
  baseLrs: number[];
  lastLr: number[];
  children?: SchedulerStateDict[];
}

export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  lastEpoch = -1;
  baseLrs: number[];
  protected stepCount = 0;
  protected lastLr: number[] = [];

  protected constructor(optimizer: AnyOptimizer, initialStep = true) {
    const name = this.constructor.name;
    if (optimizer === null || typeof optimizer !== 'object' || !Array.isArray((optimizer).paramGroups)) {
      throw new TypeError(`${name}: optimizer expects an at.optim optimizer, but got ${describeValue(optimizer)}`);
    }
    this.optimizer = optimizer;
    for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    if (initialStep) this.initialStep();
  }

  /** The lrs for lastEpoch from the groups' current ones (PyTorch's get_lr). */
  protected abstract chainedLr(): number[];

  /** The lrs at lastEpoch from the base lrs alone (PyTorch's _get_closed_form_lr), where one exists. */
  protected closedFormLr(): number[] {
    return this.chainedLr();
  }

  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  step(): void {
    this.stepCount += 1;
    this.lastEpoch += 1;
    this.setLrs(this.chainedLr());
  }

  /** Jumps to `epoch` with the closed form (SequentialLR's switch to the next scheduler). */
  stepTo(epoch: number): void {
    this.stepCount += 1;
    this.lastEpoch = epoch;
    this.setLrs(this.closedFormLr());
  }

  private setLrs(lrs: number[]): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i];
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerStateDict {
    return { kind: this.constructor.name, lastEpoch: this.lastEpoch, stepCount: this.stepCount, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    this.planLoadStateDict(sd)();
  }

  /** Checks sd and returns the function that applies it. */
  planLoadStateDict(sd: SchedulerStateDict): () => void {
    const op = `${this.constructor.name}.loadStateDict`;
    if (sd === null || typeof sd !== 'object') throw new TypeError(`${op}: stateDict expects an object, but got ${describeValue(sd)}`);
    if (sd.kind !== this.constructor.name) throw new RangeError(`${op}: stateDict expects a ${this.constructor.name} state, but got one of ${describeValue(sd.kind)}`);
    const groups = this.optimizer.paramGroups.length;
    for (const key of ['baseLrs', 'lastLr'] as const) {
      const v = sd[key];
      if (!Array.isArray(v) || v.length !== groups || !v.every((x) => typeof x === 'number')) {
        throw new RangeError(`${op}: ${key} expects ${groups} numbers (one per parameter group), but got ${describeValue(v)}`);
      }
    }
    for (const key of ['lastEpoch', 'stepCount'] as const) {
      if (!Number.isInteger(sd[key])) throw new TypeError(`${op}: ${key} expects an integer, but got ${describeValue(sd[key])}`);
    }
    return () => {
      this.lastEpoch = sd.lastEpoch;
      this.stepCount = sd.stepCount;
      this.baseLrs = [...sd.baseLrs];
      this.lastLr = [...sd.lastLr];
    };
  }

  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

function expectPositiveInt(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`${op}: ${arg} expects an integer >= 1, but got ${describeValue(v)}`);
  return v;
}

function expectFactor(op: string, arg: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !(v >= lo && v <= hi)) throw new RangeError(`${op}: ${arg} expects a number in [${lo}, ${hi}], but got ${describeValue(v)}`);
  return v;
}

/** lr · gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, opts: { stepSize: number; gamma?: number }) {
    super(optimizer, false);
    this.stepSize = expectPositiveInt('StepLR', 'opts.stepSize', opts?.stepSize);
    this.gamma = expectFactor('StepLR', 'opts.gamma', opts.gamma ?? 0.1, 0, Infinity);
    this.initialStep();
  }

  protected chainedLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** etaMin + (base − etaMin)(1 + cos(π·epoch/tMax))/2, continued past tMax as PyTorch does. */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: AnyOptimizer, opts: { tMax: number; etaMin?: number }) {
    super(optimizer, false);
    this.tMax = expectPositiveInt('CosineAnnealingLR', 'opts.tMax', opts?.tMax);
    this.etaMin = expectFactor('CosineAnnealingLR', 'opts.etaMin', opts.etaMin ?? 0, 0, Infinity);
    this.initialStep();
  }

  protected chainedLr(): number[] {
    const { lastEpoch: e, tMax: t, etaMin } = this;
    const lrs = this.groupLrs();
    if (e === 0) return lrs;
    if (this.stepCount === 1 && e > 0) return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / t))) / 2);
    if ((((e - 1 - t) % (2 * t)) + 2 * t) % (2 * t) === 0) {
      return lrs.map((lr, i) => lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / t))) / 2);
    }
    return lrs.map((lr) => ((1 + Math.cos((Math.PI * e) / t)) / (1 + Math.cos((Math.PI * (e - 1)) / t))) * (lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/** Linear warm-up: lr · factor, factor going from startFactor to endFactor over totalIters steps. */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: AnyOptimizer, opts: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    super(optimizer, false);
    this.startFactor = expectFactor('LinearLR', 'opts.startFactor', opts.startFactor ?? 1 / 3, 0, 1);
    this.endFactor = expectFactor('LinearLR', 'opts.endFactor', opts.endFactor ?? 1, 0, 1);
    this.totalIters = expectPositiveInt('LinearLR', 'opts.totalIters', opts.totalIters ?? 5);
    if (this.startFactor === 0) throw new RangeError('LinearLR: opts.startFactor expects a number in (0, 1] (0 would divide by zero in the chained form), but got 0');
    this.initialStep();
  }

  protected chainedLr(): number[] {
    const lrs = this.groupLrs();
    if (this.lastEpoch === 0) return lrs.map((lr) => lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return lrs;
    const { startFactor: s, endFactor: f, totalIters: n } = this;
    return lrs.map((lr) => lr * (1 + (f - s) / (n * s + (this.lastEpoch - 1) * (f - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((f - s) * Math.min(n, this.lastEpoch)) / n));
  }
}

/** Runs schedulers[0] until milestones[0], then schedulers[1] (restarted at epoch 0), and so on. */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];

  constructor(optimizer: AnyOptimizer, opts: { schedulers: LRScheduler[]; milestones: number[] }) {
    super(optimizer, false);
    const { schedulers, milestones } = opts ?? {};
    if (!Array.isArray(schedulers) || schedulers.length === 0 || !schedulers.every((s) => s instanceof LRScheduler)) {
      throw new TypeError(`SequentialLR: opts.schedulers expects a non-empty array of schedulers, but got ${describeValue(schedulers)}`);
    }
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) throw new RangeError(`SequentialLR: opts.schedulers[${i}] expects to schedule the same optimizer`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1 || !milestones.every((m, i) => Number.isInteger(m) && m > (i ? milestones[i - 1] : 0))) {
      throw new RangeError(`SequentialLR: opts.milestones expects ${schedulers.length - 1} increasing positive integers (one fewer than schedulers), but got ${describeValue(milestones)}`);
    }
    this.schedulers = schedulers;
    this.milestones = milestones;
    this.lastEpoch = 0;
    // As PyTorch: reset the lrs, undo each scheduler's construction step, then start the first one.
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    for (const s of schedulers) s.lastEpoch -= 1;
    schedulers[0].initialStep();
    this.lastLr = schedulers[0].getLastLr();
  }

  protected chainedLr(): number[] {
    return this.groupLrs();
  }

  override step(): void {
    this.lastEpoch += 1;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx] <= this.lastEpoch) idx++;
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.stepTo(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), children: this.schedulers.map((s) => s.stateDict()) };
  }

  override planLoadStateDict(sd: SchedulerStateDict): () => void {
    const own = super.planLoadStateDict(sd);
    const children = sd.children;
    if (!Array.isArray(children) || children.length !== this.schedulers.length) {
      throw new RangeError(`SequentialLR.loadStateDict: children expects ${this.schedulers.length} scheduler states, but got ${describeValue(children)}`);
    }
    const plans = this.schedulers.map((s, i) => s.planLoadStateDict(children[i]));
    return () => {
      own();
      plans.forEach((p) => p());
    };
  }
}
