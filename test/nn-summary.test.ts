// model.summary(): output shapes, parameter counts and receptive fields (with the gaps a stack of
// dilations leaves), and the error at the first layer whose input does not fit.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';

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
