// gatedTanh (WaveNet's gated activation, lib/ops/activation.ts) against PyTorch's tanh(a)·sigmoid(b) of
// x.chunk(2, dim) (test/fixtures/gated-tanh.json, scripts/make-gated-tanh-fixtures.py): output and
// gradient within 1e-4 relative L2; its gradient by finite differences; its argument checks.
import { describe, it } from 'vitest';
import * as at from '../lib';
import { gatedTanh } from '../lib/ops/activation';
import { expectArgError } from './helpers/arg-error';
import { checkCase, loadFixtures } from './helpers/fixtures';
import { gradcheck } from './helpers/gradcheck';
import { seededValues } from './helpers/values';

const cases = loadFixtures<{ dim: number }>('gated-tanh.json');

describe('gatedTanh matches PyTorch (output and gradient)', () => {
  for (const c of cases) it(c.name, () => checkCase(c, (t) => gatedTanh(t.x, c.config.dim)));
});

describe('gatedTanh', () => {
  it('gradcheck along dims 1, 0 and -1', () => {
    const rnd = (shape: number[], seed: number) => at.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed, -2, 2), shape);
    gradcheck('gatedTanh dim 1', (x) => gatedTanh(x, 1), [rnd([2, 4, 3], 31)]);
    gradcheck('gatedTanh dim 0', (x) => gatedTanh(x, 0), [rnd([2, 3], 32)]);
    gradcheck('gatedTanh dim -1', (x) => gatedTanh(x, -1), [rnd([3, 2, 4], 33)]);
  });

  it('checks its arguments', () => {
    const x = at.tensor(seededValues(12, 34, -1, 1), [2, 3, 2]);
    expectArgError(() => gatedTanh(x, 1), RangeError, 'gatedTanh', 'x', [x]);
    expectArgError(() => gatedTanh(x, 3), RangeError, 'gatedTanh', 'dim', [x]);
    expectArgError(() => gatedTanh([1, 2] as unknown as at.Tensor), TypeError, 'gatedTanh', 'x');
  });
});
