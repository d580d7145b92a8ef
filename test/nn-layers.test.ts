// Every nn layer against PyTorch (test/fixtures/nn-layers.json): the state_dict names and order, the
// forward, and the gradients of the input and of each parameter for a given upstream gradient;
// BatchNorm2d in train mode (batch statistics, running statistics moved) and in eval mode.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { expectModuleMatchesCase, expectRelClose, type ModuleCase, readFixture, toTensor, type TensorRecord } from './helpers/nn-fixtures';

interface LayerCase extends ModuleCase {
  layer: { type: string; args: unknown[] };
}

interface LayersFixture {
  cases: LayerCase[];
  batchnormSequence: { inputs: TensorRecord[]; outputs: number[][]; stateAfter: Record<string, TensorRecord> };
}

const fixture = readFixture<LayersFixture>('nn-layers.json');

function build(spec: LayerCase['layer']): at.nn.Module {
  const Ctor = (at.nn as unknown as Record<string, new (...args: unknown[]) => at.nn.Module>)[spec.type];
  return new Ctor(...spec.args);
}

const TOL = 1e-5;

describe('nn layers match PyTorch', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: forward, backward and state`, () => {
      expectModuleMatchesCase(build(c.layer), c, TOL);
    });
  }

  it('BatchNorm2d over two training batches accumulates running statistics and num_batches_tracked', () => {
    const seq = fixture.batchnormSequence;
    const bn = new at.nn.BatchNorm2d(2, { momentum: 0.3 });
    seq.inputs.forEach((input, i) => {
      expectRelClose(`batch ${i}`, (bn.forward(toTensor(input))).toFloat32Array(), seq.outputs[i], TOL);
    });
    const sd = bn.stateDict();
    for (const [name, rec] of Object.entries(seq.stateAfter)) expectRelClose(name, sd[name].toFloat32Array(), rec.data, TOL);
    expect(sd.num_batches_tracked.item()).toBe(2);
  });

  it('BatchNorm2d refuses a wrong channel count and one value per channel in training, changing nothing', () => {
    const bn = new at.nn.BatchNorm2d(3);
    expect(() => bn.forward(at.zeros([2, 4, 3, 3]))).toThrow(/batchNorm2d: x expects 3 channels.*\[2, 4, 3, 3\]/);
    expect(() => bn.forward(at.zeros([1, 3, 1, 1]))).toThrow(/more than 1 value per channel/);
    expect(bn.numBatchesTracked!.item()).toBe(0);
    expect(Array.from(bn.runningVar!.toFloat32Array())).toEqual([1, 1, 1]);
    bn.eval();
    expect((bn.forward(at.zeros([1, 3, 1, 1]))).shape).toEqual([1, 3, 1, 1]);
  });
});

describe('initialisation', () => {
  it('conv and linear weights and biases are uniform on ±1/√fan_in (kaiming-uniform, a = √5), reproducibly', () => {
    at.manualSeed(7);
    const conv = new at.nn.Conv2d(4, 16, 3, { groups: 2 });
    const fanIn = 2 * 3 * 3;
    for (const t of [conv.weight, conv.bias!]) {
      const v = t.toFloat32Array();
      const bound = 1 / Math.sqrt(fanIn);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      // Uniform on ±b has mean 0 and standard deviation b/√3.
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      if (v.length > 100) expect(Math.abs(sd - bound / Math.sqrt(3)) / (bound / Math.sqrt(3))).toBeLessThan(0.1);
    }
    const lin = new at.nn.Linear(50, 20);
    expect(Math.max(...lin.weight.toFloat32Array().map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(50));
    at.manualSeed(7);
    const again = new at.nn.Conv2d(4, 16, 3, { groups: 2 });
    expect(again.weight.toFloat32Array()).toEqual(conv.weight.toFloat32Array());
    const bn = new at.nn.BatchNorm2d(3);
    expect(Array.from(bn.weight!.toFloat32Array())).toEqual([1, 1, 1]);
    expect(Array.from(bn.bias!.toFloat32Array())).toEqual([0, 0, 0]);
  });
});
