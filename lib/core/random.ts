// Factories (zeros, ones, rand, randn) and the global random stream. The addon's generator is
// counter-based: (seed, offset) fixes a value, so a running offset gives every draw its own
// numbers and manualSeed(n) replays the whole sequence, whatever the thread count.
import { native } from '../native/load-addon';
import { describeValue, expectShape, numelOf } from './shape-checks';
import { onDevice } from './storage';
import { checkOptions, Tensor, type TensorOptions } from './tensor';

/** PyTorch's default CPU seed: runs are reproducible even without manualSeed. */
const DEFAULT_SEED = 67280421310721;
const MAX_SEED = Number.MAX_SAFE_INTEGER; // the addon takes seed and offset < 2^53

let seed = DEFAULT_SEED;
let offset = 0;

export function manualSeed(n: number): void {
  if (typeof n !== 'number') throw new TypeError(`manualSeed: n expects an integer, but got ${describeValue(n)}`);
  if (!Number.isInteger(n) || n < 0 || n > MAX_SEED) {
    throw new RangeError(`manualSeed: n expects an integer in [0, 2^53-1], but got ${n}`);
  }
  seed = n;
  offset = 0;
}

export function currentSeed(): number {
  return seed;
}

/** The global stream's position (for checkpoints): restoring it replays the same draws from there on. */
export function getRandomState(): { seed: number; offset: number } {
  return { seed, offset };
}

export function setRandomState(state: { seed: number; offset: number }): void {
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_SEED;
  if (state === null || typeof state !== 'object' || !ok(state.seed) || !ok(state.offset)) {
    throw new RangeError(`setRandomState: state expects { seed, offset } integers in [0, 2^53-1], but got ${describeValue(state)}`);
  }
  seed = state.seed;
  offset = state.offset;
}

/** Reserves `count` counters of the stream and returns the first. */
export function nextRandomOffset(count: number): number {
  const first = offset;
  // Wrapping keeps offsets valid; reaching 2^53 values takes longer than any run.
  offset = offset + count > MAX_SEED ? 0 : offset + count;
  return first;
}

function make(op: string, shape: readonly number[], opts: TensorOptions | undefined, fillWith: (out: Float32Array) => void): Tensor {
  const dims = expectShape(op, 'shape', shape);
  const { requiresGrad, device } = checkOptions(op, opts);
  const storage = new Float32Array(numelOf(dims));
  fillWith(storage); // on the host (the generator is the CPU's), then moved
  return new Tensor(onDevice(storage, device, op), dims, null, requiresGrad);
}

export function zeros(shape: readonly number[], opts?: TensorOptions): Tensor {
  return make('zeros', shape, opts, () => {}); // a new Float32Array is already zero
}

export function ones(shape: readonly number[], opts?: TensorOptions): Tensor {
  return make('ones', shape, opts, (out) => native().fill(out, 1));
}

/** Overwrites out with uniform values on [lo, hi) from the global stream (also for layer initialisation). */
export function fillUniformSeeded(out: Float32Array, lo: number, hi: number): void {
  native().fillUniform(out, lo, hi, seed, nextRandomOffset(out.length));
}

/** Overwrites out with normal values from the global stream. */
export function fillNormalSeeded(out: Float32Array, mean: number, std: number): void {
  native().fillNormal(out, mean, std, seed, nextRandomOffset(out.length));
}

/** Uniform on [0, 1). */
export function rand(shape: readonly number[], opts?: TensorOptions): Tensor {
  return make('rand', shape, opts, (out) => fillUniformSeeded(out, 0, 1));
}

/** Standard normal. */
export function randn(shape: readonly number[], opts?: TensorOptions): Tensor {
  return make('randn', shape, opts, (out) => fillNormalSeeded(out, 0, 1));
}
