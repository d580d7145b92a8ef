// The synthetic sequence tasks of the TCN paper (Bai, Kolter & Koltun 2018), generated from a seed:
// - adding problem: N×2×T input, channel 0 uniform values in [0, 1), channel 1 a mask with one 1 in
//   the first half and one in the second; the target is the sum of the two marked values (predicting
//   1 always gives an MSE of about 0.167).
// - copy memory: 10 digits in 1..8, T−1 blanks (0), then 11 markers (9); the target is blank for
//   T+10 steps, then the 10 digits. Inputs are one-hot over 10 symbols: N×10×(T+20).
import { native } from '../native/load-addon';
import { Tensor } from '../core/tensor';
import { splitmix32 } from './loader';

/** Both tasks take n sequences of T steps (T at least minT). */
function expectBatchSize(op: string, n: number, T: number, minT: number): void {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(T) || T < minT) {
    throw new RangeError(`${op}: expects n >= 1 and T >= ${minT} integers, but got n=${n}, T=${T}`);
  }
}

export interface AddingBatch {
  x: Tensor;
  /** N×1 sums. */
  y: Tensor;
}

export function addingProblem(n: number, T: number, seed: number): AddingBatch {
  expectBatchSize('addingProblem', n, T, 2);
  const x = new Float32Array(n * 2 * T);
  const y = new Float32Array(n);
  const rand = splitmix32(seed);
  const half = Math.floor(T / 2);
  for (let s = 0; s < n; s++) {
    const values = x.subarray(s * 2 * T, s * 2 * T + T);
    native().fillUniform(values, 0, 1, seed, s * T);
    const a = Math.floor(rand() * half);
    const b = half + Math.floor(rand() * (T - half));
    x[s * 2 * T + T + a] = 1;
    x[s * 2 * T + T + b] = 1;
    y[s] = values[a] + values[b];
  }
  return { x: new Tensor(x, [n, 2, T]), y: new Tensor(y, [n, 1]) };
}

export const COPY_SYMBOLS = 10;
export const COPY_DIGITS = 10;

export interface CopyMemoryBatch {
  /** N×10×(T+20), one-hot. */
  x: Tensor;
  /** (N·(T+20)) class indices, sample-major then step (the rows of channelsLast). */
  targets: Int32Array;
  length: number;
}

export function copyMemory(n: number, T: number, seed: number): CopyMemoryBatch {
  expectBatchSize('copyMemory', n, T, 1);
  const L = T + 2 * COPY_DIGITS;
  const x = new Float32Array(n * COPY_SYMBOLS * L);
  const targets = new Int32Array(n * L);
  const rand = splitmix32(seed);
  // Building the one-hot input is data generation: one write per step.
  for (let s = 0; s < n; s++) {
    const base = s * COPY_SYMBOLS * L;
    for (let t = 0; t < L; t++) {
      let symbol = 0;
      if (t < COPY_DIGITS) {
        symbol = 1 + Math.floor(rand() * 8);
        targets[s * L + L - COPY_DIGITS + t] = symbol;
      } else if (t >= T + COPY_DIGITS - 1) {
        symbol = 9;
      }
      x[base + symbol * L + t] = 1;
    }
  }
  return { x: new Tensor(x, [n, COPY_SYMBOLS, L]), targets, length: L };
}
