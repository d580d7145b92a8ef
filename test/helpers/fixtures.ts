// PyTorch golden fixtures (scripts/make-fixtures.py): loading, decoding the base64 float32 tensors,
// and the relative L2 comparison every fixture test uses.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import * as at from '../../lib';
import { relativeL2 } from './relative-l2';

/** A tensor as stored: float32 little-endian bytes, base64. */
export interface FixtureTensor {
  shape: number[];
  f32: string;
}

/** C: the configuration's fields, as the generating script writes them for that file. */
export interface FixtureCase<C = Record<string, unknown>> {
  name: string;
  op: string;
  config: C;
  inputs: Record<string, FixtureTensor>;
  g: FixtureTensor;
  output: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  targets?: number[];
}

export const FIXTURE_TOLERANCE = 1e-4;

export function loadFixtures<C = Record<string, unknown>>(file: string): FixtureCase<C>[] {
  const text = fs.readFileSync(path.join(__dirname, '..', 'fixtures', file), 'utf8');
  const cases = (JSON.parse(text) as { cases: FixtureCase<C>[] }).cases;
  if (!Array.isArray(cases) || cases.length === 0) throw new Error(`${file}: no cases`);
  return cases;
}

export function decode(t: FixtureTensor): Float32Array {
  const bytes = Buffer.from(t.f32, 'base64');
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== count * 4) throw new Error(`fixture tensor [${t.shape}]: ${bytes.length} bytes, expected ${count * 4}`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/** A fresh leaf tensor holding the fixture's values, requiring grad. */
export function leaf(t: FixtureTensor): at.Tensor {
  return at.tensor(decode(t), t.shape, { requiresGrad: true });
}

export { relativeL2 } from './relative-l2';

/** One line that replays the case: its op, configuration and input shapes. */
export function describeCase(c: FixtureCase<unknown>): string {
  const shapes = Object.entries(c.inputs).map(([k, t]) => `${k} [${t.shape}]`).join(', ');
  const targets = c.targets ? ` targets ${JSON.stringify(c.targets)}` : '';
  return `${c.op} "${c.name}" ${JSON.stringify(c.config)} ${shapes}${targets}`;
}

/** Shape equal and values within FIXTURE_TOLERANCE relative L2; `what` names output or gradient. */
export function expectMatches(c: FixtureCase<unknown>, what: string, actual: at.Tensor | null, expected: FixtureTensor): void {
  const label = `${describeCase(c)}: ${what}`;
  expect(actual, `${label} is null`).not.toBeNull();
  const got = actual as at.Tensor;
  expect([...got.shape], `${label} shape`).toEqual(expected.shape);
  const want = decode(expected);
  const values = got.toFloat32Array();
  const bad = values.findIndex((v) => !Number.isFinite(v));
  expect(bad, `${label} has a non-finite value ${values[bad]} at ${bad}`).toBe(-1);
  const err = relativeL2(values, want);
  let worst = 0;
  for (let i = 1; i < want.length; i++) if (Math.abs(values[i] - want[i]) > Math.abs(values[worst] - want[worst])) worst = i;
  expect(
    err,
    `${label} relative L2 error ${err.toExponential(3)} > ${FIXTURE_TOLERANCE}; worst element ${worst}: got ${values[worst]}, PyTorch ${want[worst]}`,
  ).toBeLessThanOrEqual(FIXTURE_TOLERANCE);
}

/**
 * Runs `forward` on fresh leaves of the case's inputs, backpropagates sum(out * g), and checks the
 * output and the gradient of every input against PyTorch.
 */
export function checkCase(c: FixtureCase<unknown>, forward: (inputs: Record<string, at.Tensor>) => at.Tensor): void {
  const inputs: Record<string, at.Tensor> = {};
  for (const [k, t] of Object.entries(c.inputs)) inputs[k] = leaf(t);
  const out = forward(inputs);
  expectMatches(c, 'output', out, c.output);
  const g = at.tensor(decode(c.g), c.g.shape);
  out.mul(g).sum().backward();
  expect(Object.keys(c.grads).sort(), describeCase(c)).toEqual(Object.keys(inputs).sort());
  for (const [k, want] of Object.entries(c.grads)) expectMatches(c, `grad of ${k}`, inputs[k].grad, want);
}
