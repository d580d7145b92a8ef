// Reading the nn-*.json PyTorch goldens (scripts/make-nn-fixtures.py) and comparing against them.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import * as at from '../../lib';
import { relativeL2 } from './relative-l2';

export interface TensorRecord {
  shape: number[];
  data: number[];
}

export const fixturesDir = path.join(__dirname, '..', 'fixtures');

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(fixturesDir, name), 'utf8')) as T;
}

export function toTensor(r: TensorRecord, requiresGrad = false): at.Tensor {
  return at.tensor(new Float32Array(r.data), r.shape, { requiresGrad });
}

export function toStateDict(state: Record<string, TensorRecord>): Record<string, at.Tensor> {
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, toTensor(v)]));
}

export { relativeL2 } from './relative-l2';

export function expectRelClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  const err = relativeL2(got, want);
  expect(err, `${label}: relative L2 error ${err.toExponential(3)} > ${tol}`).toBeLessThanOrEqual(tol);
}
