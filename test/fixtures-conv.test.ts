// conv2d and conv1d against PyTorch goldens (test/fixtures/conv*.json, scripts/make-fixtures.py):
// output and the gradients of input, weight and bias for sum(out * g), each within 1e-4 relative L2.
import { describe, it } from 'vitest';
import * as at from '../lib';
import { checkCase, loadFixtures, type FixtureCase } from './helpers/fixtures';

type ConvCase = FixtureCase<Pick<at.ConvOptions, 'stride' | 'padding' | 'dilation' | 'groups'>>;

function runConv(c: ConvCase): void {
  const { stride, padding, dilation, groups } = c.config;
  const opts: at.ConvOptions = { stride, padding, dilation, groups };
  checkCase(c, ({ input, weight, bias }) => {
    // No-bias cases alternate the two spellings docs/API.md allows.
    const b = bias ?? (c.op === 'conv2d' ? null : undefined);
    if (c.op === 'conv2d') return at.conv2d(input, weight, b, opts);
    if (c.op === 'conv1d') return at.conv1d(input, weight, b, opts);
    throw new Error(`unknown op ${c.op}`);
  });
}

const title = (c: ConvCase) => `${c.name} ${JSON.stringify(c.config)}`;

describe('conv2d vs PyTorch', () => {
  for (const c of loadFixtures<ConvCase['config']>('conv2d.json')) it(title(c), () => runConv(c));
});

describe('conv1d vs PyTorch', () => {
  for (const c of loadFixtures<ConvCase['config']>('conv1d.json')) it(title(c), () => runConv(c));
});

describe('conv suite geometries (scaled down) vs PyTorch', () => {
  for (const c of loadFixtures<ConvCase['config']>('conv-suite.json')) it(title(c), () => runConv(c));
});
