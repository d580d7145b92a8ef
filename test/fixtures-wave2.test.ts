// The Wave-2 ops against PyTorch goldens (test/fixtures/wave2-ops.json, scripts/make-wave2-fixtures.py):
// output and every input's gradient within 1e-4 relative L2; argmax's indices exactly.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { checkCase, decode, describeCase, type FixtureCase, loadFixtures } from './helpers/fixtures';

/** Every key a wave2-ops.json case's config may hold (scripts/make-wave2-fixtures.py). */
interface Wave2Config {
  dim0: number;
  dim1: number;
  dims: number[];
  dim: number;
  weight?: number[];
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum' | 'none';
  labelSmoothing?: number;
  shape: number[];
  indices: number[];
}
type Wave2Case = FixtureCase<Wave2Config>;

const cases = loadFixtures<Wave2Config>('wave2-ops.json');
const title = (c: Wave2Case) => `${c.name}`;

function run(c: Wave2Case, t: Record<string, at.Tensor>, caseIndex: number): at.Tensor {
  const { config } = c;
  switch (c.op) {
    case 'transpose': return t.x.transpose(config.dim0, config.dim1);
    case 'permute': return t.x.permute(config.dims);
    case 'unsqueeze': return t.x.unsqueeze(config.dim);
    case 'squeeze': return config.dim === null ? t.x.squeeze() : t.x.squeeze(config.dim);
    case 'cat': return at.cat(Object.keys(c.inputs).sort().map((k) => t[k]), config.dim);
    case 'tanh': return caseIndex % 2 === 0 ? at.tanh(t.x) : t.x.tanh();
    case 'sigmoid': return caseIndex % 2 === 0 ? at.sigmoid(t.x) : t.x.sigmoid();
    case 'softmax': return at.softmax(t.x, config.dim);
    case 'logSoftmax': return at.logSoftmax(t.x, config.dim);
    case 'crossEntropy': {
      const logits = t.logits;
      const flat = c.targets as number[];
      // Each spelling of the targets API.md allows: an int32 tensor (shaped), an Int32Array, a number[].
      const spelling = caseIndex % 3;
      const targets = spelling === 0 ? at.tensor(flat, [logits.shape[0], ...logits.shape.slice(2)], { dtype: 'int32' })
        : spelling === 1 ? Int32Array.from(flat) : flat;
      const { weight, ...rest } = config;
      return at.crossEntropy(logits, targets, { ...rest, ...(weight ? { weight: at.tensor(weight, [weight.length]) } : {}) });
    }
    default: throw new Error(`unknown op ${c.op}`);
  }
}

describe('Wave-2 ops vs PyTorch', () => {
  cases.forEach((c, i) => {
    if (c.op === 'argmax') {
      it(title(c), () => {
        const x = at.tensor(decode(c.inputs.x), c.inputs.x.shape);
        const got = c.config.dim === null ? x.argmax() : x.argmax(c.config.dim);
        expect(got.dtype).toBe('int32');
        expect([...got.shape], describeCase(c)).toEqual(c.config.shape);
        expect(Array.from(got.toInt32Array()), describeCase(c)).toEqual(c.config.indices);
      });
      return;
    }
    it(title(c), () => checkCase(c, (t) => run(c, t, i)));
  });

  it('covers every op, negative dims and each crossEntropy option', () => {
    const ops = new Set(cases.map((c) => c.op));
    for (const op of ['transpose', 'permute', 'unsqueeze', 'squeeze', 'cat', 'argmax', 'tanh', 'sigmoid', 'softmax', 'logSoftmax', 'crossEntropy']) {
      expect(ops.has(op), op).toBe(true);
    }
    const ce = cases.filter((c) => c.op === 'crossEntropy').map((c) => c.config);
    for (const r of ['sum', 'none']) expect(ce.some((o) => o.reduction === r), r).toBe(true);
    expect(ce.some((o) => o.weight && o.labelSmoothing && o.ignoreIndex === -100)).toBe(true);
    expect(cases.some((c) => c.op === 'softmax' && c.config.dim < 0)).toBe(true);
  });
});
