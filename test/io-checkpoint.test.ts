// Checkpoints: model, optimizer, scheduler, epoch and the random stream in one safetensors file; a run
// resumed from one (into freshly built objects) continues bit for bit as the unbroken run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as at from '../lib';
import { seededValues } from './helpers/values';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-ckpt-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

class Net extends at.nn.Module {
  conv = new at.nn.Conv2d(2, 4, 3, { padding: 2, dilation: 2 });
  bn = new at.nn.BatchNorm2d(4);
  drop = new at.nn.Dropout(0.3);
  fc = new at.nn.Linear(4 * 6 * 6, 3);
  override forward(x: at.Tensor): at.Tensor {
    return this.fc.forward(this.drop.forward(this.bn.forward(this.conv.forward(x)).relu()).flatten(1));
  }
}

function setup(seed: number) {
  at.manualSeed(seed);
  const model = new Net();
  const optimizer = new at.optim.AdamW([{ params: [model.conv.weight, model.conv.bias!], lr: 3e-3 }, { params: [...model.bn.parameters(), ...model.fc.parameters()] }], { lr: 1e-2 });
  const scheduler = new at.optim.SequentialLR(optimizer, {
    schedulers: [new at.optim.LinearLR(optimizer, { startFactor: 0.2, totalIters: 2 }), new at.optim.CosineAnnealingLR(optimizer, { tMax: 4 })],
    milestones: [2],
  });
  return { model, optimizer, scheduler };
}

function trainEpoch(parts: ReturnType<typeof setup>, epoch: number): void {
  const x = at.tensor(seededValues(4 * 2 * 6 * 6, 100 + epoch), [4, 2, 6, 6]);
  parts.optimizer.zeroGrad();
  at.crossEntropy(parts.model.forward(x), [0, 1, 2, epoch % 3]).backward();
  at.optim.clipGradNorm(parts.model.parameters(), 0.5);
  parts.optimizer.step();
  parts.scheduler.step();
}

const snapshot = (m: at.nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.toFloat32Array()]));

describe('checkpoints', () => {
  it('a resumed run continues exactly as an unbroken one', () => {
    const unbroken = setup(1);
    for (let e = 0; e < 6; e++) trainEpoch(unbroken, e);

    const first = setup(1);
    for (let e = 0; e < 3; e++) trainEpoch(first, e);
    const file = path.join(dir, 'run.ckpt.safetensors');
    at.saveCheckpoint(file, { ...first, epoch: 3, extra: { best: 0.5 } });
    at.manualSeed(12345); // anything in between moves the random stream; the checkpoint restores it

    const resumed = setup(2); // different initial weights: everything must come from the file
    const { epoch, extra } = at.loadCheckpoint(file, resumed);
    expect(epoch).toBe(3);
    expect(extra).toEqual({ best: 0.5 });
    for (let e = epoch!; e < 6; e++) trainEpoch(resumed, e);

    expect(snapshot(resumed.model)).toEqual(snapshot(unbroken.model));
    expect(resumed.optimizer.paramGroups.map((g) => g.lr)).toEqual(unbroken.optimizer.paramGroups.map((g) => g.lr));
    expect(resumed.scheduler.getLastLr()).toEqual(unbroken.scheduler.getLastLr());
  });

  it('a checkpoint that does not fit throws naming the file and the entry, and changes nothing', () => {
    const parts = setup(3);
    trainEpoch(parts, 0);
    const file = path.join(dir, 'small.ckpt.safetensors');
    at.saveCheckpoint(file, { ...parts, epoch: 1 });

    const other = setup(4);
    other.model.fc = new at.nn.Linear(4 * 6 * 6, 5); // a different head
    const before = snapshot(other.model);
    const lrs = other.optimizer.paramGroups.map((g) => g.lr);
    expect(() => at.loadCheckpoint(file, other)).toThrow(new RegExp(`loadCheckpoint: '${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': model: .*entry 'fc\\.weight' expects shape \\[5, 144\\]`));
    expect(snapshot(other.model)).toEqual(before);
    expect(other.optimizer.paramGroups.map((g) => g.lr)).toEqual(lrs);

    const plain = path.join(dir, 'plain.safetensors');
    at.save({ a: at.ones([1]) }, plain);
    expect(() => at.loadCheckpoint(plain, {})).toThrow(/not an atrous checkpoint/);
  });
});
