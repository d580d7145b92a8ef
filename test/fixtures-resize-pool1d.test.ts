// interpolate, the 1-d pools, adaptive max pools, BatchNorm1d and the layers over them against PyTorch
// (test/fixtures/resize-pool1d.json, scripts/make-resize-fixtures.py): outputs and input gradients
// within 1e-4 relative L2; layers also their parameter gradients and running statistics.
import { describe, it } from 'vitest';
import * as at from '../lib';
import { checkCase, loadFixtures, type FixtureCase } from './helpers/fixtures';
import { expectModuleMatchesCase, type ModuleCase, readFixture } from './helpers/nn-fixtures';

/** What a resize-pool1d.json op case's config holds (scripts/make-resize-fixtures.py). */
interface ResizeConfig extends at.InterpolateOptions {
  kernel: number;
  stride: number | null;
  padding: number;
  outputSize: number & [number, number];
}
type ResizeCase = FixtureCase<ResizeConfig>;

const title = (c: ResizeCase) => `${c.name} ${JSON.stringify(c.config)}`;

function runOp(c: ResizeCase, x: at.Tensor): at.Tensor {
  const { kernel, stride, padding, outputSize } = c.config;
  switch (c.op) {
    case 'interpolate': return at.interpolate(x, c.config);
    // stride null in the fixture means "left out" (defaults to the kernel).
    case 'maxPool1d': return at.maxPool1d(x, kernel, stride ?? undefined, padding);
    case 'avgPool1d': return at.avgPool1d(x, kernel, stride ?? undefined, padding);
    case 'adaptiveAvgPool1d': return at.adaptiveAvgPool1d(x, outputSize);
    case 'adaptiveMaxPool1d': return at.adaptiveMaxPool1d(x, outputSize);
    case 'adaptiveMaxPool2d': return at.adaptiveMaxPool2d(x, outputSize);
    default: throw new Error(`unknown op ${c.op}`);
  }
}

describe('interpolate and sequence pools vs PyTorch', () => {
  for (const c of loadFixtures<ResizeConfig>('resize-pool1d.json')) {
    it(`${c.op} ${title(c)}`, () => checkCase(c, ({ x }) => runOp(c, x)));
  }
});

interface LayerCase extends ModuleCase {
  layer: { type: string; args: unknown[] };
}

describe('BatchNorm1d, Upsample and the sequence pooling layers vs PyTorch', () => {
  const { modules } = readFixture<{ modules: LayerCase[] }>('resize-pool1d.json');
  for (const c of modules) {
    it(`${c.name}: forward, backward and state`, () => {
      const Ctor = (at.nn as unknown as Record<string, new (...args: unknown[]) => at.nn.Module>)[c.layer.type];
      expectModuleMatchesCase(new Ctor(...c.layer.args), c, 1e-5);
    });
  }
});
