// model.summary(): output shapes, parameter counts and receptive fields (with the gaps a stack of
// dilations leaves), and the error at the first layer whose input does not fit.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { Aspp } from '../lib/models/aspp';

// The seed tutorial's CNN: padding dilation·(k−1) grows each map, so on 32×32 inputs the flattened
// features are not 128·2·2. PyTorch's x.view(-1, 128*2*2) silently turns that into a larger batch.
class TutorialCNN extends at.nn.Module {
  conv1 = new at.nn.Conv2d(3, 32, 3, { dilation: 1, padding: 1 * (3 - 1) });
  conv2 = new at.nn.Conv2d(32, 64, 3, { dilation: 2, padding: 2 * (3 - 1) });
  conv3 = new at.nn.Conv2d(64, 128, 3, { dilation: 4, padding: 4 * (3 - 1) });
  pool = new at.nn.MaxPool2d(2, 2);
  relu = new at.nn.ReLU();
  flatten = new at.nn.Flatten();
  fc = new at.nn.Linear(128 * 2 * 2, 10);
  override forward(x: at.Tensor): at.Tensor {
    x = this.pool.forward(this.relu.forward(this.conv1.forward(x)));
    x = this.pool.forward(this.relu.forward(this.conv2.forward(x)));
    x = this.pool.forward(this.relu.forward(this.conv3.forward(x)));
    return this.fc.forward(this.flatten.forward(x));
  }
}

describe('summary', () => {
  it("stops the tutorial CNN at 'fc', naming both sizes (32×32 → 34 → 17 → 21 → 10 → 18 → 9: 128·9·9 = 10368 features, not 512)", () => {
    const model = new TutorialCNN();
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared by identity below
    const fcForward = model.fc.forward;
    let err: Error | undefined;
    try {
      model.summary([1, 3, 32, 32]);
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect(err!.message).toMatch(/layer 'fc' \(Linear\(inFeatures=512, outFeatures=10\)\) cannot take its input of shape \[1, 10368\]/);
    expect(err!.message).toContain('512');
    expect(err!.message).toContain('10368');
    expect(err!.message).toContain("after layer 'flatten'");
    // The model is left as it was: training mode, forward methods restored.
    expect(model.training).toBe(true);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared by identity
    expect(model.fc.forward).toBe(fcForward);
  });

  it('reports shapes, parameters and receptive fields of a model that fits', () => {
    const model = new at.nn.Sequential(
      new at.nn.Conv2d(1, 4, 3, { padding: 1 }), // RF 3
      new at.nn.BatchNorm2d(4),
      new at.nn.Conv2d(4, 4, 3, { padding: 2, dilation: 2 }), // 3 + 2·2 = 7, no gaps
      new at.nn.Conv2d(4, 4, 3, { padding: 4, dilation: 4 }), // 7 + 2·4 = 15, no gaps (1, 2, 4: HDC)
      new at.nn.MaxPool2d(2), // 16, jump 2
      new at.nn.AdaptiveAvgPool2d(1),
      new at.nn.Flatten(),
      new at.nn.Linear(4, 3),
    );
    const bn = model.at(1) as at.nn.BatchNorm2d;
    const s = model.summary([2, 1, 16, 16]);
    expect(s.rows.map((r) => r.name)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(s.rows.map((r) => r.outputShape)).toEqual([
      [2, 4, 16, 16], [2, 4, 16, 16], [2, 4, 16, 16], [2, 4, 16, 16], [2, 4, 8, 8], [2, 4, 1, 1], [2, 4], [2, 3],
    ]);
    expect(s.rows.map((r) => r.params)).toEqual([40, 8, 148, 148, 0, 0, 0, 15]);
    expect(s.rows.map((r) => r.receptiveField)).toEqual([[3, 3], [3, 3], [7, 7], [15, 15], [16, 16], null, null, null]);
    expect(s.rows.every((r) => r.gaps === null || r.gaps.every((g) => g === 0))).toBe(true);
    expect(s.rows[5].field).toBe('whole input');
    expect(s.totalParams).toBe(40 + 8 + 148 + 148 + 15);
    expect(s.table).toContain('Total params: 359');
    expect(String(s)).toBe(s.table);
    // Summary runs in eval mode: the running statistics did not move.
    expect(bn.numBatchesTracked!.item()).toBe(0);
    expect(model.training).toBe(true);
  });

  it('shows the gridding problem: a stack of equal dilations leaves gaps', () => {
    const grid = new at.nn.Sequential(
      new at.nn.Conv2d(1, 1, 3, { dilation: 2, padding: 2 }),
      new at.nn.Conv2d(1, 1, 3, { dilation: 2, padding: 2 }),
    );
    const s = grid.summary([1, 1, 12, 12]);
    // Offsets {0, 2, 4} + {0, 2, 4} = the even numbers 0..8: 9 wide, the 4 odd offsets never seen.
    expect(s.rows[1].receptiveField).toEqual([9, 9]);
    expect(s.rows[1].gaps).toEqual([4, 4]);
    expect(s.rows[1].field).toBe('9×9, gaps 4/9×4/9 (gridding)');
    const conv1d = new at.nn.Sequential(new at.nn.Conv1d(1, 1, 2, { dilation: 1 }), new at.nn.Conv1d(1, 1, 2, { dilation: 2 }), new at.nn.Conv1d(1, 1, 2, { dilation: 4 }));
    const wavenet = conv1d.summary([1, 1, 16]);
    expect(wavenet.rows[2].receptiveField).toEqual([8]); // WaveNet's doubling dilations tile 8 steps exactly
    expect(wavenet.rows[2].gaps).toEqual([0]);
  });

  it('names the first layer whose channels do not fit', () => {
    const model = new at.nn.Sequential(new at.nn.Conv2d(3, 8, 3), new at.nn.Conv2d(16, 8, 3));
    expect(() => model.summary([1, 3, 10, 10])).toThrow(/layer '1' \(Conv2d\(16, 8, kernelSize=\(3, 3\)\)\) cannot take its input of shape \[1, 8, 8, 8\]/);
    expect(() => model.summary([1, 3, 10] as number[])).toThrow(/layer '0'/);
  });
});

// A stride-2 stem, then ASPP: a 1×1 branch, 3×3 branches at rates 2 and 3, and the image-level branch,
// concatenated and projected. Every branch reads the stem's output; the cat reads every branch.
class StemAspp extends at.nn.Module {
  stem = new at.nn.Conv2d(3, 8, 3, { stride: 2, padding: 1 });
  aspp = new Aspp({ inChannels: 8, channels: 4, rates: [2, 3] });
  override forward(x: at.Tensor): at.Tensor {
    return this.aspp.forward(this.stem.forward(x));
  }
}

/** Output size of a conv or pool along one axis: ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1. */
const convOut = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

describe('summary of parallel branches', () => {
  it('ASPP: each branch reads the stem, the cat reads every branch; shapes from the conv arithmetic', () => {
    const [n, h, w] = [2, 21, 17];
    const model = new StemAspp();
    const s = model.summary([n, 3, h, w]);
    // The stem: 3×3, stride 2, padding 1 → 11×9. Each branch keeps that size (padding = rate for a 3×3).
    const [fh, fw] = [convOut(h, 3, 2, 1, 1), convOut(w, 3, 2, 1, 1)];
    expect([fh, fw]).toEqual([11, 9]);
    const branch = [convOut(fh, 1, 1, 0, 1), convOut(fw, 1, 1, 0, 1)];
    const rate2 = [convOut(fh, 3, 1, 2, 2), convOut(fw, 3, 1, 2, 2)];
    const rate3 = [convOut(fh, 3, 1, 3, 3), convOut(fw, 3, 1, 3, 3)];
    // Printed shape, receptive field and what the row reads, per row name: the table's own line.
    const lines = s.table.split('\n');
    const lineOf = (name: string) => {
      const found = lines.filter((l) => l.startsWith(`${name} (`));
      expect(found, `one line for ${name} in\n${s.table}`).toHaveLength(1);
      return found[0];
    };
    const literal = (t: string) => t.replace(/[[\]().×/]/g, (c) => `\\${c}`);
    const expectRow = (name: string, shape: number[], field: string, reads: string) => {
      const line = lineOf(name);
      expect(line, line).toMatch(new RegExp(`^${literal(name)} \\([A-Za-z0-9]+\\) +${literal(`[${shape.join(', ')}]`)} +[\\d,]+ +${literal(field)}${reads ? ` +${literal(reads)}` : ''}$`));
    };
    // The stem: a 3×3 field at jump 2, so a rate-r 3×3 tap spacing is 2r: rate 2 covers 11 of which 2
    // offsets (3 and 7) are holes, rate 3 covers 15 with 6 holes; the 1×1 branch keeps 3.
    expectRow('stem', [n, 8, fh, fw], '3×3', '');
    expectRow('aspp.pool.0', [n, 8, 1, 1], 'whole input', ''); // the row above
    expectRow('aspp.pool.2', [n, 4, 1, 1], 'whole input', '');
    expectRow('aspp.interpolate', [n, 4, fh, fw], 'whole input', 'aspp.pool.2');
    expectRow('aspp.branches.0.0', [n, 4, ...branch], '3×3', 'stem');
    expectRow('aspp.branches.0.2', [n, 4, ...branch], '3×3', '');
    expectRow('aspp.branches.1.0', [n, 4, ...rate2], '11×11, gaps 2/11×2/11 (gridding)', 'stem');
    expectRow('aspp.branches.2.0', [n, 4, ...rate3], '15×15, gaps 6/15×6/15 (gridding)', 'stem');
    expectRow('aspp.branches.2.2', [n, 4, ...rate3], '15×15, gaps 6/15×6/15 (gridding)', '');
    // Four branches of 4 channels side by side.
    expectRow('aspp.cat', [n, 4 * 4, fh, fw], 'whole input', 'aspp.branches.0.2, aspp.branches.1.2, aspp.branches.2.2, aspp.interpolate');
    expectRow('aspp.project.0', [n, 4, fh, fw], 'whole input', '');
    const byName = new Map(s.rows.map((r, i) => [r.name, i]));
    expect(s.rows.find((r) => r.name === 'aspp.cat')!.from).toEqual(['aspp.branches.0.2', 'aspp.branches.1.2', 'aspp.branches.2.2', 'aspp.interpolate'].map((k) => byName.get(k)));
    expect(s.rows.at(-1)!.outputShape).toEqual([n, 4, fh, fw]);
    expect(s.rows.filter((r) => r.type === 'Conv2d').map((r) => r.params)).toEqual([8 * 3 * 9 + 8, 4 * 8 + 4, 4 * 8, 4 * 8 * 9, 4 * 8 * 9, 4 * 16]);
  });

  it('two branches summed: the field is the union of theirs (7 wide with 2 holes), not a chain (9)', () => {
    class TwoRates extends at.nn.Module {
      near = new at.nn.Conv2d(1, 1, 3, { padding: 1 });
      far = new at.nn.Conv2d(1, 1, 3, { padding: 3, dilation: 3 });
      override forward(x: at.Tensor): at.Tensor {
        return this.near.forward(x).add(this.far.forward(x));
      }
    }
    const s = new TwoRates().summary([1, 1, 10, 10]);
    expect(s.rows.map((r) => [r.name, r.type, r.from])).toEqual([['near', 'Conv2d', [-1]], ['far', 'Conv2d', [-1]], ['add', 'add', [0, 1]]]);
    // Offsets −1, 0, 1 and −3, 0, 3: together −3..3 without −2 and 2.
    expect(s.rows[2].receptiveField).toEqual([7, 7]);
    expect(s.rows[2].gaps).toEqual([2, 2]);
    expect(s.rows[1].receptiveField).toEqual([7, 7]);
    expect(s.rows[1].gaps).toEqual([4, 4]);
    expect(s.table).toMatch(/^far \(Conv2d\) .* input$/m);
    expect(s.table).toMatch(/^add \(add\) .* near, far$/m);
  });
});
