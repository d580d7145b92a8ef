// Losses, each returning a 0-d tensor: crossEntropy (mean over the batch, from logits and class
// indices) and mseLoss (mean of squared differences).
import { native } from '../native/load-addon';
import { describeValue, expectDevice, expectRank, expectSameShape, expectTensor, formatShape } from '../core/shape-checks';
import { allocateForward } from '../core/autograd';
import { allocateLike, indicesOn, scalarLike, scalarOf, type Storage } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';

export function crossEntropy(logits: Tensor, targets: Int32Array | readonly number[]): Tensor {
  const op = 'crossEntropy';
  expectRank(op, 'logits', logits, 2, 'N×C');
  const [n, c] = logits.shape;
  if (n < 1 || c < 1) throw new RangeError(`${op}: logits expects N >= 1 and C >= 1, but got shape ${formatShape(logits.shape)}`);
  const labels = indicesOn(logits.device, checkTargets(op, targets, n, c));
  const probs = allocateForward(logits.storage, n * c, [logits]);
  const loss = native().crossEntropyForward(logits.storage, n, c, labels, probs);
  return opResult(op, scalarLike(logits.storage, loss), [], [logits], (g) => {
    const dlogits = allocateLike(g, n * c);
    native().crossEntropyBackward(probs, n, c, labels, scalarOf(g) / n, dlogits);
    return [dlogits];
  }, [probs, labels]);
}

/** Class indices as an Int32Array of length n, each in [0, c) (a copy, so later edits cannot change the graph). */
function checkTargets(op: string, targets: unknown, n: number, c: number): Int32Array {
  const isList = Array.isArray(targets) || targets instanceof Int32Array;
  if (!isList) throw new TypeError(`${op}: targets expects an Int32Array or number[] of class indices, but got ${describeValue(targets)}`);
  const list = targets as ArrayLike<unknown>;
  if (list.length !== n) {
    throw new RangeError(`${op}: targets expects ${n} class indices (one per row of logits ${formatShape([n, c])}), but got ${list.length}`);
  }
  // A scan of the labels (not tensor data): every index is checked before the addon runs.
  for (let i = 0; i < n; i++) {
    const t = list[i];
    if (typeof t !== 'number' || !Number.isInteger(t)) {
      throw new TypeError(`${op}: targets[${i}] expects an integer class index, but got ${describeValue(t)}`);
    }
    if (t < 0 || t >= c) throw new RangeError(`${op}: targets[${i}] expects a class index in [0, ${c - 1}], but got ${t}`);
  }
  return Int32Array.from(list as ArrayLike<number>);
}

export function mseLoss(a: Tensor, b: Tensor): Tensor {
  const op = 'mseLoss';
  expectTensor(op, 'a', a);
  expectTensor(op, 'b', b);
  expectDevice(op, 'b', b, 'a', a);
  expectSameShape(op, 'b', b, a.shape, "a's shape");
  if (a.numel === 0) throw new RangeError(`${op}: a expects a non-empty tensor, but got shape ${formatShape(a.shape)}`);
  const n = a.numel;
  const diff = allocateForward(a.storage, n, [a, b]);
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
