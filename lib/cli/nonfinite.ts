// What `atrous train` does when a step goes non-finite (--on-nonfinite stop|skip): one step's forward and
// backward run guarded, and the first NaN/±Inf — the loss, an op's output or gradient under
// --detect-anomaly (lib/core/anomaly.ts), or with skip a parameter's gradient — is reported as a fault.
// A skipped step leaves no trace: the buffers its forward updated (BatchNorm's running statistics) are put back.
import { AnomalyError, allFinite, detectAnomaly } from '../core/anomaly';
import { copyInto, copyOf, type Storage } from '../core/storage';
import type { Tensor } from '../core/tensor';

export type OnNonFinite = 'stop' | 'skip';
export const ON_NONFINITE: readonly OnNonFinite[] = ['stop', 'skip'];

export interface StepGuard {
  /** The trainable parameters by name, to name a non-finite gradient (checked only when skipping). */
  params: readonly [string, Tensor][];
  /** The model's buffers, restored when a step is skipped. */
  buffers: readonly Tensor[];
  skip: boolean;
  /** Anomaly mode for the step's forward and backward (not for evaluation, whose NaN is reported as a number). */
  detectAnomaly: boolean;
}

/** Runs forwardBackward (returning the loss); the fault is null when all is finite. */
export function guardedStep(forwardBackward: () => number, guard: StepGuard): { loss: number; fault: string | null } {
  const before: Storage[] = guard.skip ? guard.buffers.map((b) => copyOf(b.storage)) : [];
  const fault = (loss: number, why: string) => {
    if (guard.skip) guard.buffers.forEach((b, i) => copyInto(b.storage, before[i]));
    return { loss, fault: why };
  };
  let loss: number;
  try {
    loss = guard.detectAnomaly ? detectAnomaly(forwardBackward) : forwardBackward();
  } catch (e) {
    if (e instanceof AnomalyError) return fault(Number.NaN, e.message);
    throw e;
  }
  if (!Number.isFinite(loss)) return fault(loss, `the loss is ${loss}`);
  if (guard.skip) {
    // Adam would carry one non-finite gradient into every later step: a skip needs them all finite.
    const bad = guard.params.find(([, p]) => {
      const grad = p.peekGrad();
      return grad !== null && !allFinite(grad.storage);
    });
    if (bad) return fault(loss, `the gradient of ${bad[0]} is not finite`);
  }
  return { loss, fault: null };
}
