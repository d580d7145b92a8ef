// Inverted dropout: in training, each element is kept with probability 1 - p and scaled by 1/(1 - p),
// so evaluation needs no rescaling. The mask comes from the global seeded stream (lib/core/random.ts).
import { native } from '../native/load-addon';
import { nextRandomOffset, currentSeed } from '../core/random';
import { describeValue, expectTensor } from '../core/shape-checks';
import { allocateForward, allocateSaved } from '../core/autograd';
import { allocateLike, zeros } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';

export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  const op = 'dropout';
  expectTensor(op, 'x', x);
  if (typeof p !== 'number') throw new TypeError(`${op}: p expects a number in [0, 1], but got ${describeValue(p)}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${op}: p expects a probability in [0, 1], but got ${p}`);
  if (typeof training !== 'boolean') throw new TypeError(`${op}: training expects a boolean, but got ${describeValue(training)}`);
  if (!training || p === 0) return x;

  // p = 1 drops everything: zeros, without dividing by keep = 0. The same mask on either device
  // (the generator is counter-based and the CUDA kernel reproduces the CPU's bits).
  const mask = p < 1 ? allocateSaved(x.storage, x.numel, [x]) : zeros(x.device, x.numel);
  const out = p < 1 ? allocateForward(x.storage, x.numel, [x]) : zeros(x.device, x.numel);
  if (p < 1) native().dropout(x.storage, 1 - p, currentSeed(), nextRandomOffset(x.numel), mask, out);
  return opResult(op, out, x.shape, [x], (g) => {
    const dx = allocateLike(g);
    native().mul(g, mask, dx);
    return [dx];
  }, [mask]);
}
