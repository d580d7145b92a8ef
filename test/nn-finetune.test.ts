// The fine-tuning flow end to end, against PyTorch (test/fixtures/nn-finetune.*): load a state_dict that
// PyTorch exported to safetensors (with BatchNorm's int64 num_batches_tracked) into the same
// architecture, check its eval output, freeze the backbone, replace the head, train the head (frozen
// weights stay bit-identical), then unfreeze with a lower backbone lr through parameter groups.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { expectRelClose, fixturesDir, readFixture, toStateDict, toTensor, type TensorRecord } from './helpers/nn-fixtures';

class FineNet extends at.nn.Module {
  features = new at.nn.Sequential(
    new at.nn.Conv2d(3, 6, 3, { padding: 1 }), new at.nn.BatchNorm2d(6), new at.nn.ReLU(),
    new at.nn.Conv2d(6, 8, 3, { padding: 2, dilation: 2 }), new at.nn.ReLU(), new at.nn.AdaptiveAvgPool2d(1),
  );
  fc: at.nn.Linear;
  constructor(classes: number) {
    super();
    this.fc = new at.nn.Linear(8, classes);
  }
  override forward(x: at.Tensor): at.Tensor {
    return this.fc.forward((this.features.forward(x) as at.Tensor).flatten(1));
  }
}

interface FineFixture {
  probe: TensorRecord;
  probeOutput: TensorRecord;
  headInit: Record<string, TensorRecord>;
  input: TensorRecord;
  targets: number[];
  phase1: Record<string, TensorRecord>;
  phase2: Record<string, TensorRecord>;
}

const fixture = readFixture<FineFixture>('nn-finetune.json');

function expectState(net: at.nn.Module, want: Record<string, TensorRecord>, tol: number): void {
  const sd = net.stateDict();
  expect(Object.keys(sd)).toEqual(Object.keys(want));
  for (const [name, rec] of Object.entries(want)) expectRelClose(name, sd[name].toFloat32Array(), rec.data, tol);
}

function trainSteps(net: at.nn.Module, opt: at.optim.Optimizer<{ lr: number }>, steps: number): void {
  const x = toTensor(fixture.input);
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    at.crossEntropy(net.forward(x) as at.Tensor, fixture.targets).backward();
    opt.step();
  }
}

describe('fine-tuning a PyTorch-exported model', () => {
  it('loads, freezes, replaces the head, trains it, then unfreezes with a lower backbone lr', () => {
    const net = new FineNet(10);
    const pretrained = at.load(path.join(fixturesDir, 'nn-finetune.safetensors'));
    expect(pretrained['features.1.num_batches_tracked'].item()).toBe(4); // I64 in the file
    net.loadStateDict(pretrained);
    net.eval();
    const out = at.noGrad(() => net.forward(toTensor(fixture.probe)));
    expectRelClose('pretrained eval output', out.toFloat32Array(), fixture.probeOutput.data, 1e-5);

    // Phase 1: frozen backbone, new 3-class head.
    net.features.freeze();
    net.fc = new at.nn.Linear(8, 3);
    net.fc.loadStateDict(toStateDict(fixture.headInit));
    net.train();
    const frozen = net.features.parameters().map((p) => p.toFloat32Array());
    const headOpt = new at.optim.SGD(net.fc.parameters(), { lr: 0.1, momentum: 0.9 });
    trainSteps(net, headOpt, 3);
    net.features.parameters().forEach((p, i) => {
      expect(p.grad, 'a frozen parameter gets no gradient').toBeNull();
      expect(p.toFloat32Array(), 'frozen weights stay bit-identical').toEqual(frozen[i]);
    });
    expectState(net, fixture.phase1, 1e-4);

    // Phase 2: everything trains, the backbone at a tenth of the head's lr.
    net.features.unfreeze();
    const opt = new at.optim.SGD([{ params: net.features.parameters(), lr: 0.01 }, { params: net.fc.parameters() }], { lr: 0.1, momentum: 0.9 });
    trainSteps(net, opt, 2);
    expectState(net, fixture.phase2, 1e-4);
    expect(net.features.parameters().some((p, i) => p.toFloat32Array().some((v, j) => v !== frozen[i][j]))).toBe(true);
  });
});
