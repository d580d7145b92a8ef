// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_): the 2-norm over every gradient
// together; when it exceeds maxNorm, every gradient is scaled by maxNorm / (norm + 1e-6).
import { native } from '../native/load-addon';
import { describeValue } from '../core/shape-checks';
import { Tensor } from '../core/tensor';

/** Scales the gradients of params in place; returns the total norm before clipping. */
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2): number {
  const op = 'clipGradNorm';
  const list = params instanceof Tensor ? [params] : params != null && typeof (params)[Symbol.iterator] === 'function' ? Array.from(params) : null;
  if (list === null) throw new TypeError(`${op}: params expects a Tensor or a list of Tensors, but got ${describeValue(params)}`);
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${op}: params[${i}] expects a Tensor, but got ${describeValue(p)}`);
  });
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new RangeError(`${op}: maxNorm expects a number >= 0, but got ${describeValue(maxNorm)}`);
  if (normType !== 2) throw new RangeError(`${op}: normType expects 2 (the only norm implemented), but got ${describeValue(normType)}`);
  const grads = list.map((p) => p.peekGrad()).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return 0;
  let squares = 0;
  for (const g of grads) squares += native().sumSquares(g.storage); // float64 sums from the addon
  const total = Math.fround(Math.sqrt(squares));
  // PyTorch computes the coefficient on float32 tensors and clamps it at 1.
  const coef = Math.min(Math.fround(maxNorm / Math.fround(total + 1e-6)), 1);
  if (coef < 1) for (const g of grads) native().axpby(g.storage, coef, null, 0, g.storage);
  return total;
}
