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

/** An at.optim class picked by the name a fixture gives, constructed with the fixture's options. */
export type OptimizerClass = new (params: unknown, opts: unknown) => at.optim.Optimizer<{ lr: number }>;

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

/** One module case of test/fixtures/nn-layers.json (scripts/make-nn-fixtures.py). */
export interface ModuleCase {
  name: string;
  train: boolean;
  state: Record<string, TensorRecord>;
  input: TensorRecord;
  gradOutput: TensorRecord;
  output: TensorRecord;
  inputGrad: number[];
  paramGrads: Record<string, number[]>;
  stateAfter: Record<string, TensorRecord>;
}

/**
 * Loads c's state into module, runs forward and backward from c's input and output gradient, and
 * checks the output, every gradient and the state after against PyTorch's within tol. Returns the output.
 */
export function expectModuleMatchesCase(module: at.nn.Module, c: ModuleCase, tol: number): at.Tensor {
  expect(Object.keys(module.stateDict()), 'state_dict names and order as PyTorch').toEqual(Object.keys(c.state));
  module.loadStateDict(toStateDict(c.state));
  module.train(c.train);
  const x = toTensor(c.input, true);
  const y = module.forward(x) as at.Tensor;
  expect(y.shape).toEqual(c.output.shape);
  expectRelClose(`${c.name} output`, y.toFloat32Array(), c.output.data, tol);
  y.backward(toTensor(c.gradOutput));
  expectRelClose(`${c.name} input grad`, x.grad!.toFloat32Array(), c.inputGrad, tol);
  const params = Object.fromEntries(module.namedParameters());
  expect(Object.keys(params).sort()).toEqual(Object.keys(c.paramGrads).sort());
  for (const [name, grad] of Object.entries(c.paramGrads)) {
    expectRelClose(`${c.name} ${name} grad`, params[name].grad!.toFloat32Array(), grad, tol);
  }
  const after = module.stateDict();
  for (const [name, rec] of Object.entries(c.stateAfter)) {
    expectRelClose(`${c.name} ${name} after`, after[name].toFloat32Array(), rec.data, tol);
  }
  return y;
}
