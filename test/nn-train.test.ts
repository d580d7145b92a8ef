// Training parity with PyTorch (test/fixtures/nn-train.json): a small dilated CNN (conv d2, BatchNorm,
// conv d4, max pool, linear; no bias before BatchNorm, whose gradient would be rounding noise that
// Adam amplifies) with the same initial weights and batch; every parameter and running
// statistic after 3 steps of SGD (Nesterov), Adam and AdamW within 1e-4 relative error.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { expectRelClose, readFixture, toStateDict, toTensor, type OptimizerClass, type TensorRecord } from './helpers/nn-fixtures';

export class DilatedNet extends at.nn.Module {
  conv1 = new at.nn.Conv2d(3, 8, 3, { padding: 2, dilation: 2, bias: false }); // BatchNorm follows
  bn1 = new at.nn.BatchNorm2d(8);
  conv2 = new at.nn.Conv2d(8, 8, 3, { padding: 4, dilation: 4 });
  pool = new at.nn.MaxPool2d(2);
  fc = new at.nn.Linear(8 * 4 * 4, 5);

  override forward(x: at.Tensor): at.Tensor {
    x = this.bn1.forward(this.conv1.forward(x)).relu();
    x = this.pool.forward(this.conv2.forward(x).relu());
    return this.fc.forward(x.flatten(1));
  }
}

interface TrainFixture {
  init: Record<string, TensorRecord>;
  input: TensorRecord;
  targets: number[];
  runs: { optimizer: 'SGD' | 'Adam' | 'AdamW'; opts: Record<string, number>; losses: number[]; stateAfter: Record<string, TensorRecord> }[];
}

const fixture = readFixture<TrainFixture>('nn-train.json');

describe('training parity with PyTorch', () => {
  for (const run of fixture.runs) {
    it(`3 steps of ${run.optimizer} ${JSON.stringify(run.opts)}`, () => {
      const net = new DilatedNet();
      net.loadStateDict(toStateDict(fixture.init));
      const opt = new (at.optim[run.optimizer] as OptimizerClass)(net.parameters(), run.opts);
      const x = toTensor(fixture.input);
      const losses: number[] = [];
      for (let step = 0; step < 3; step++) {
        opt.zeroGrad();
        const loss = at.crossEntropy(net.forward(x), fixture.targets);
        loss.backward();
        opt.step();
        losses.push(loss.item());
      }
      expectRelClose('losses', losses, run.losses, 1e-5);
      const sd = net.stateDict();
      expect(Object.keys(sd)).toEqual(Object.keys(run.stateAfter));
      for (const [name, rec] of Object.entries(run.stateAfter)) expectRelClose(name, sd[name].toFloat32Array(), rec.data, 1e-4);
    });
  }
});
