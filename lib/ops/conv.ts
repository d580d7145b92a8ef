// conv1d / conv2d with autograd, and their forward-only async forms. Shapes and options are
// resolved (and checked) in conv-args.ts; the math is the addon's.
import { native } from '../native/load-addon';
import { cpuStorage, numelOf } from '../core/shape-checks';
import { allocateForward } from '../core/autograd';
import { acquireWorkerOutputFloat32, endBusy, holdBusy } from '../core/memory';
import { allocateLike, type Storage } from '../core/storage';
import { Tensor, opResult } from '../core/tensor';
import { type ConvOptions, type ConvPlan, planConv } from './conv-args';

export type { ConvOptions, ConvPadding, IntOrPair } from './conv-args';

export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvOptions): Tensor {
  return convWithGrad('conv1d', planConv('conv1d', input, weight, bias, opts), input, weight, bias);
}

export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvOptions): Tensor {
  return convWithGrad('conv2d', planConv('conv2d', input, weight, bias, opts), input, weight, bias);
}

/** conv1d on a worker thread; no graph. input, weight and bias must not be written until it settles. */
export async function conv1dAsync(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvOptions): Promise<Tensor> {
  return convAsync(planConv('conv1d', input, weight, bias, opts), input, weight, bias);
}

/** conv2d on a worker thread; no graph. input, weight and bias must not be written until it settles. */
export async function conv2dAsync(input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: ConvOptions): Promise<Tensor> {
  return convAsync(planConv('conv2d', input, weight, bias, opts), input, weight, bias);
}

function convWithGrad(op: string, plan: ConvPlan, input: Tensor, weight: Tensor, bias: Tensor | null | undefined): Tensor {
  const { xShape, wShape, yShape, params } = plan;
  const x = input.storage;
  const w = weight.storage;
  const y = allocateForward(x, numelOf(yShape), [input, weight, bias]);
  native().convForward(x, xShape, w, wShape, bias?.storage ?? null, y, params);
  return opResult(op, y, plan.outShape, [input, weight, bias], (g, needs) => {
    let dx: Storage | null = null;
    let dw: Storage | null = null;
    let db: Storage | null = null;
    if (needs[0]) {
      dx = allocateLike(g, x.length);
      native().convBackwardData(g, w, wShape, dx, xShape, params);
    }
    if (needs[1]) {
      dw = allocateLike(g, w.length);
      native().convBackwardWeight(x, xShape, g, dw, wShape, params);
    }
    if (needs[2]) {
      db = allocateLike(g, wShape[0]);
      native().convBackwardBias(g, yShape, db);
    }
    return [dx, dw, db];
  }, [x, w]);
}

async function convAsync(plan: ConvPlan, input: Tensor, weight: Tensor, bias: Tensor | null | undefined): Promise<Tensor> {
  const op = 'convAsync';
  const x = cpuStorage(op, 'input', input);
  const w = cpuStorage(op, 'weight', weight);
  const b = bias ? cpuStorage(op, 'bias', bias) : null;
  const y = acquireWorkerOutputFloat32(numelOf(plan.yShape));
  // The worker thread reads x, w and b until it settles: none of them may go back to the pool before.
  const busy = [x, w, b];
  busy.forEach(holdBusy);
  try {
    await native().convForwardAsync(x, plan.xShape, w, plan.wShape, b, y, plan.params);
  } finally {
    busy.forEach(endBusy);
  }
  return new Tensor(y, plan.outShape);
}
