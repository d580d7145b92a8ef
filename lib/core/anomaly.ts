// Anomaly mode, as PyTorch's torch.autograd.set_detect_anomaly: when on, every op result made through
// opResult is checked for NaN/±Inf as it is made, and every gradient as backward() computes it; the first
// non-finite one throws an AnomalyError naming the op and, inside a Module.forward, the module path (for a
// gradient: the module whose forward made that op). The check is the addon's float64 sum, which is finite
// exactly when every element is (2^31 float32 maxima still sum below 1.8e308). Off by default, and then
// the hooks cost one boolean test per op; the error path does not return pooled buffers.
import { native } from '../native/load-addon';
import type { Storage } from './storage';

/** What anomaly mode needs from a module: its class name and its named submodules (Module has both). */
export interface AnomalyModule {
  readonly constructor: { readonly name: string };
  namedModules(): [string, unknown][];
}

export class AnomalyError extends Error {
  constructor(
    message: string,
    /** The op whose output (forward) or input gradient (backward) held the first non-finite value. */
    readonly op: string,
    /** 'features.2 (Conv2d)' inside a Module.forward, null outside any. */
    readonly module: string | null,
    readonly phase: 'forward' | 'backward',
  ) {
    super(message);
    this.name = 'AnomalyError';
  }
}

let enabled = false;
/** The Module.forward calls running, outermost first (kept only while anomaly mode is on). */
const moduleStack: AnomalyModule[] = [];

/** Turns anomaly mode on or off for everything that follows (at.autograd.setDetectAnomaly). */
export function setDetectAnomaly(on: boolean): void {
  if (typeof on !== 'boolean') throw new TypeError(`setDetectAnomaly: on expects a boolean, but got ${typeof on}`);
  enabled = on;
}

export function isAnomalyEnabled(): boolean {
  return enabled;
}

/** Runs fn with anomaly mode on, then restores the previous setting (torch.autograd.detect_anomaly()). */
export function detectAnomaly<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`detectAnomaly: fn expects a function, but got ${typeof fn}`);
  const before = enabled;
  enabled = true;
  try {
    return fn();
  } finally {
    enabled = before;
  }
}

/** Internal (runModuleForward): brackets a module's forward; returns the matching exit. */
export function enterModule(module: AnomalyModule | undefined): () => void {
  if (!enabled || module === undefined) return noop;
  moduleStack.push(module);
  return () => {
    moduleStack.pop();
  };
}

const noop = (): void => {};

/** Internal (makeGradNode): the module stack now, for naming the module if this node's gradient fails. */
export function moduleContext(): readonly AnomalyModule[] | undefined {
  return enabled && moduleStack.length > 0 ? moduleStack.slice() : undefined;
}

/** 'features.2 (Conv2d)': the innermost module's name within the outermost, and its class. */
function describeModules(stack: readonly AnomalyModule[] | undefined): string | null {
  if (stack === undefined || stack.length === 0) return null;
  const outer = stack[0];
  const inner = stack[stack.length - 1];
  if (inner === outer) return `the model (${outer.constructor.name})`;
  const name = outer.namedModules().find(([, m]) => m === inner)?.[0];
  return `${name ?? '?'} (${inner.constructor.name}) of ${outer.constructor.name}`;
}

/** 'NaN' or '+Inf'/'-Inf', from the float64 sum of the values (NaN also when +Inf and -Inf meet). */
function nonFiniteKind(total: number): string {
  if (Number.isNaN(total)) return 'NaN (or both +Inf and -Inf)';
  return total > 0 ? '+Inf' : '-Inf';
}

/** Whether every value is finite (the addon sums; no element loop here). */
export function allFinite(values: Storage): boolean {
  return values.length === 0 || Number.isFinite(native().sum(values));
}

/** Internal (opResult): throws if op's forward result holds a non-finite value. Call only when enabled. */
export function checkForward(op: string, out: Storage): void {
  if (out.length === 0) return;
  const total = native().sum(out);
  if (Number.isFinite(total)) return;
  const module = describeModules(moduleStack);
  throw new AnomalyError(
    `anomaly: ${op} produced ${nonFiniteKind(total)} in its output${module ? ` in ${module}` : ''} (forward)`, op, module, 'forward',
  );
}

/** Internal (runBackward): throws if op's backward returned a non-finite gradient for its input `index`. */
export function checkGradient(op: string, context: readonly AnomalyModule[] | undefined, index: number, grad: Storage): void {
  if (grad.length === 0) return;
  const total = native().sum(grad);
  if (Number.isFinite(total)) return;
  const module = describeModules(context);
  throw new AnomalyError(
    `anomaly: the gradient of ${op} for its input ${index} became ${nonFiniteKind(total)}${module ? ` (op made in ${module})` : ''} (backward)`,
    op, module, 'backward',
  );
}
