// Losses: crossEntropy (from logits and class indices, PyTorch's weight / ignoreIndex / reduction /
// labelSmoothing) and mseLoss (mean of squared differences), reductions returning a 0-d tensor.
import { native } from '../native/load-addon';
import {
  describeValue, expectCpu, expectDevice, expectIndexTensor, expectSameShape, expectTensor, formatShape, numelOf,
} from '../core/shape-checks';
import { allocateForward, allocateSaved } from '../core/autograd';
import { allocateLike, indicesOn, scalarLike, scalarOf, type Storage } from '../core/storage';
import { opResult, Tensor } from '../core/tensor';

export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyOptions {
  /** A float32 Tensor of C class weights. */
  weight?: Tensor | null;
  /** Targets equal to it add no loss and get no gradient (default -100). */
  ignoreIndex?: number;
  reduction?: Reduction;
  /** ε in [0, 1]: the target becomes (1 − ε)·onehot + ε/C, as torch 1.13 (weights included). */
  labelSmoothing?: number;
}

/**
 * torch.nn.functional.cross_entropy with class-index targets: logits N×C or N×C×d1×… (per pixel, per
 * time step), targets N or N×d1×… (an int32 tensor, an Int32Array or number[], flat or not). A
 * weighted mean divides by the summed weights of the targets not ignored.
 */
export function crossEntropy(logits: Tensor, targets: Tensor | Int32Array | readonly number[], opts?: CrossEntropyOptions): Tensor {
  const op = 'crossEntropy';
  expectTensor(op, 'logits', logits);
  if (logits.shape.length < 2) {
    throw new RangeError(`${op}: logits expects at least 2 dims (N×C or N×C×d1×…), but got shape ${formatShape(logits.shape)}`);
  }
  const [n, c] = logits.shape;
  const positionShape = [n, ...logits.shape.slice(2)];
  if (logits.numel === 0) throw new RangeError(`${op}: logits expects N >= 1, C >= 1 and every dim >= 1, but got shape ${formatShape(logits.shape)}`);
  const o = checkCrossEntropyOptions(op, opts, logits, c);
  const labels = checkTargets(op, targets, positionShape, logits.shape, c, o.ignoreIndex);
  if (logits.device !== 'cpu') {
    const plain = logits.shape.length === 2 && o.weight === null && o.labelSmoothing === 0 && o.reduction === 'mean' &&
      !labels.includes(o.ignoreIndex);
    if (plain) return plainCrossEntropyOnDevice(op, logits, labels, n, c);
    expectCpu(`${op} (with weight, ignored targets, label smoothing, reduction other than 'mean', or more than 2 dims)`, 'logits', logits);
  }
  const inner = logits.numel / (n * c);
  const positions = n * inner;
  const source = logits.storage as Float32Array;
  const weight = o.weight === null ? null : (o.weight.storage as Float32Array);
  const eps = o.labelSmoothing;
  const probs = allocateSaved(source, logits.numel, [logits]) as Float32Array;
  const losses = o.reduction === 'none' ? (allocateForward(source, positions, [logits]) as Float32Array) : null;
  const sums = native().crossEntropyNdForward(source, n, c, inner, labels, weight, o.ignoreIndex, eps, probs, losses);
  // The scales of the two terms of each position's loss, (1 − ε)·nll and ε/C·smooth; torch 1.13's mean
  // divides both by the summed weights of the targets not ignored (their count without a weight).
  let nllScale = 1 - eps;
  let smoothScale = eps / c;
  if (o.reduction === 'mean') {
    nllScale /= sums.weight;
    smoothScale /= sums.weight;
  }
  const backward = (g: Storage): Storage[] => {
    const dlogits = allocateLike(g, logits.numel) as Float32Array;
    native().crossEntropyNdBackward(probs, n, c, inner, labels, weight, o.ignoreIndex, eps, nllScale, smoothScale,
      g as Float32Array, dlogits);
    return [dlogits];
  };
  const saved = [probs, labels, weight];
  if (losses !== null) return opResult(op, losses, positionShape, [logits], backward, saved);
  const loss = sums.nll * nllScale + (eps > 0 ? sums.smooth * smoothScale : 0);
  return opResult(op, scalarLike(source, loss), [], [logits], backward, saved);
}

/** N×C, mean, no options: the kernels that also run on CUDA. */
function plainCrossEntropyOnDevice(op: string, logits: Tensor, targets: Int32Array, n: number, c: number): Tensor {
  const labels = indicesOn(logits.device, targets);
  const probs = allocateSaved(logits.storage, n * c, [logits]);
  const loss = native().crossEntropyForward(logits.storage, n, c, labels, probs);
  return opResult(op, scalarLike(logits.storage, loss), [], [logits], (g) => {
    const dlogits = allocateLike(g, n * c);
    native().crossEntropyBackward(probs, n, c, labels, scalarOf(g) / n, dlogits);
    return [dlogits];
  }, [probs, labels]);
}

function checkCrossEntropyOptions(op: string, opts: unknown, logits: Tensor, c: number):
  { weight: Tensor | null; ignoreIndex: number; reduction: Reduction; labelSmoothing: number } {
  if (opts === undefined || opts === null) return { weight: null, ignoreIndex: -100, reduction: 'mean', labelSmoothing: 0 };
  if (typeof opts !== 'object') throw new TypeError(`${op}: opts expects an object, but got ${describeValue(opts)}`);
  const { weight = null, ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = opts as CrossEntropyOptions;
  if (weight !== null) {
    expectTensor(op, 'opts.weight', weight);
    expectDevice(op, 'opts.weight', weight, 'logits', logits);
    if (weight.shape.length !== 1 || weight.shape[0] !== c) {
      throw new RangeError(`${op}: opts.weight expects shape [${c}] (one weight per class of logits ${formatShape(logits.shape)}), but got ${formatShape(weight.shape)}`);
    }
  }
  if (!Number.isInteger(ignoreIndex) || ignoreIndex < -(2 ** 31) || ignoreIndex >= 2 ** 31) {
    throw new TypeError(`${op}: opts.ignoreIndex expects an int32 integer, but got ${describeValue(ignoreIndex)}`);
  }
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new TypeError(`${op}: opts.reduction expects 'mean', 'sum' or 'none', but got ${describeValue(reduction)}`);
  }
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new RangeError(`${op}: opts.labelSmoothing expects a number in [0, 1], but got ${describeValue(labelSmoothing)}`);
  }
  return { weight, ignoreIndex, reduction, labelSmoothing };
}

/**
 * Class indices as an Int32Array of one per position (N·d1·…), each in [0, c) or ignoreIndex (a copy,
 * so later edits cannot change the graph). An int32 tensor must have shape N×d1×…; a flat array the
 * same count.
 */
function checkTargets(op: string, targets: unknown, positionShape: readonly number[], logitsShape: readonly number[], c: number,
  ignoreIndex: number): Int32Array {
  const count = numelOf(positionShape);
  let list: ArrayLike<unknown>;
  if (targets instanceof Tensor) {
    expectIndexTensor(op, 'targets', targets);
    expectCpu(op, 'targets', targets);
    if (targets.shape.length !== positionShape.length || targets.shape.some((d, i) => d !== positionShape[i])) {
      throw new RangeError(`${op}: targets expects shape ${formatShape(positionShape)} (logits ${formatShape(logitsShape)} without its class dim), but got ${formatShape(targets.shape)}`);
    }
    list = targets.toInt32Array();
  } else if (Array.isArray(targets) || targets instanceof Int32Array) {
    list = targets as ArrayLike<unknown>;
    if (list.length !== count) {
      const what = positionShape.length === 1 ? `one per row of logits ${formatShape(logitsShape)}` : `one per position of logits ${formatShape(logitsShape)}: ${formatShape(positionShape)}`;
      throw new RangeError(`${op}: targets expects ${count} class indices (${what}), but got ${list.length}`);
    }
  } else {
    throw new TypeError(`${op}: targets expects an int32 Tensor, an Int32Array or a number[] of class indices, but got ${describeValue(targets)}`);
  }
  // A scan of the labels (1/C of the logits): every index is checked before the addon runs.
  for (let i = 0; i < count; i++) {
    const t = list[i];
    if (typeof t !== 'number' || !Number.isInteger(t)) {
      throw new TypeError(`${op}: targets[${i}] expects an integer class index, but got ${describeValue(t)}`);
    }
    if ((t < 0 || t >= c) && t !== ignoreIndex) {
      throw new RangeError(`${op}: targets[${i}] expects a class index in [0, ${c - 1}] (or ignoreIndex ${ignoreIndex}), but got ${t}`);
    }
  }
  return list instanceof Int32Array && targets instanceof Tensor ? list : Int32Array.from(list as ArrayLike<number>);
}

export function mseLoss(a: Tensor, b: Tensor): Tensor {
  const op = 'mseLoss';
  expectTensor(op, 'a', a);
  expectTensor(op, 'b', b);
  expectDevice(op, 'b', b, 'a', a);
  expectSameShape(op, 'b', b, a.shape, "a's shape");
  if (a.numel === 0) throw new RangeError(`${op}: a expects a non-empty tensor, but got shape ${formatShape(a.shape)}`);
  const n = a.numel;
  const diff = allocateSaved(a.storage, n, [a, b]);
  native().sub(a.storage, b.storage, diff);
  const loss = native().sumSquares(diff) / n;
  return opResult(op, scalarLike(a.storage, loss), [], [a, b], (g, needs) => {
    // d/da mean((a-b)^2) = 2 (a-b) / n; d/db is its negative.
    const g0 = scalarOf(g);
    return [needs[0] ? scaled(diff, (2 * g0) / n) : null, needs[1] ? scaled(diff, (-2 * g0) / n) : null];
  }, [diff]);
}

function scaled(v: Storage, factor: number): Storage {
  const out = allocateLike(v);
  native().axpby(v, factor, null, 0, out);
  return out;
}
