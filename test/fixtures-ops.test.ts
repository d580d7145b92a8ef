// linear, relu, pools and losses against PyTorch goldens (test/fixtures/*.json,
// scripts/make-fixtures.py): output and every input's gradient within 1e-4 relative L2.
import { describe, it } from 'vitest';
import * as at from '../lib';
import { checkCase, loadFixtures, type FixtureCase } from './helpers/fixtures';

const title = (c: FixtureCase<unknown>) => `${c.name} ${JSON.stringify(c.config)}`;

describe('linear vs PyTorch', () => {
  for (const c of loadFixtures('linear.json')) {
    it(title(c), () => checkCase(c, ({ x, weight, bias }) => at.linear(x, weight, bias)));
  }
});

describe('relu vs PyTorch', () => {
  for (const c of loadFixtures('relu.json')) {
    it(title(c), () => checkCase(c, ({ x }) => at.relu(x)));
  }
});

describe('pools vs PyTorch', () => {
  for (const c of loadFixtures<{ kernel: at.IntOrPair; stride: at.IntOrPair | null; padding: at.IntOrPair; outputSize: at.IntOrPair }>('pool.json')) {
    it(`${c.op} ${title(c)}`, () =>
      checkCase(c, ({ x }) => {
        const { kernel, stride, padding, outputSize } = c.config;
        // stride null in the fixture means "left out" (defaults to the kernel).
        if (c.op === 'maxPool2d') return at.maxPool2d(x, kernel, stride ?? undefined, padding);
        if (c.op === 'avgPool2d') return at.avgPool2d(x, kernel, stride ?? undefined, padding);
        if (c.op === 'adaptiveAvgPool2d') return at.adaptiveAvgPool2d(x, outputSize);
        throw new Error(`unknown op ${c.op}`);
      }));
  }
});

describe('losses vs PyTorch', () => {
  loadFixtures('loss.json').forEach((c, i) => {
    it(title(c), () =>
      checkCase(c, (t) => {
        if (c.op === 'mseLoss') return at.mseLoss(t.a, t.b);
        if (c.op === 'crossEntropy') {
          // Both target spellings docs/API.md allows.
          const targets = i % 2 === 0 ? (c.targets as number[]) : Int32Array.from(c.targets as number[]);
          return at.crossEntropy(t.logits, targets);
        }
        throw new Error(`unknown op ${c.op}`);
      }));
  });
});
