// The speech models' own properties: the causal WaveNet (readout 'steps') streamed in uneven chunks
// equals its full forward; summary() reports the receptive field the dilations give; the μ-law input.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { MelCnn } from '../lib/models/mel-cnn';
import { muLawInput, WaveNetClassifier } from '../lib/models/wavenet';

describe('WaveNetClassifier', () => {
  it('readout steps: at.nn.stream over chunks of 1, 7, 100, … samples equals the full forward (≤ 1e-5)', () => {
    at.manualSeed(3);
    const model = new WaveNetClassifier({ classes: 4, residualChannels: 6, skipChannels: 8, dilations: [1, 2, 4, 8, 16], stacks: 2, readout: 'steps' });
    model.eval();
    const T = 400;
    const x = at.rand([2, 1, T]).mul(2).sub(1);
    const full = at.noGrad(() => model.net.forward(x)).toFloat32Array();
    const xs = x.toFloat32Array();
    const s = at.nn.stream(model.net, { batch: 2 });
    const got = new Float32Array(full.length);
    let t = 0;
    for (const size of [1, 7, 100, 3, 250, 39]) {
      const chunk = new Float32Array(2 * size);
      for (let n = 0; n < 2; n++) chunk.set(xs.subarray(n * T + t, n * T + t + size), n * size);
      const out = s.push(at.tensor(chunk, [2, 1, size])).toFloat32Array();
      for (let n = 0; n < 2; n++) for (let c = 0; c < 4; c++) got.set(out.subarray((n * 4 + c) * size, (n * 4 + c + 1) * size), (n * 4 + c) * T + t);
      t += size;
    }
    s.close();
    expect(t).toBe(T);
    let worst = 0;
    for (let i = 0; i < full.length; i++) worst = Math.max(worst, Math.abs(got[i] - full[i]));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it('readout pool refuses to stream by name; steps streams its per-step part only', () => {
    const pooled = new WaveNetClassifier({ classes: 3, residualChannels: 4, skipChannels: 4, dilations: [1, 2], stacks: 1 });
    const s = at.nn.stream(pooled);
    expect(() => s.push(at.zeros([1, 1, 10]))).toThrow(/layer 'WaveNetClassifier' \(WaveNetClassifier\) cannot stream: its forward pools over the whole clip: stream its per-step part, model.net, of a model with readout 'steps'/);
    s.close();
    const causal = new WaveNetClassifier({ classes: 3, residualChannels: 4, skipChannels: 4, dilations: [1, 2], stacks: 1, readout: 'steps' });
    const s2 = at.nn.stream(causal.net);
    expect(s2.push(at.zeros([1, 1, 10])).shape).toEqual([1, 3, 10]);
    s2.close();
  });

  it('summary: the receptive field is 1 + (1 + stacks·Σ dilations) samples (the gate conv counted once)', () => {
    const model = new WaveNetClassifier({ classes: 3, residualChannels: 4, skipChannels: 4, dilations: [1, 2, 4, 8], stacks: 2, readout: 'steps' });
    expect(model.receptiveField).toBe(1 + 1 + 2 * 15);
    const rows = model.summary([1, 1, 200]).rows;
    const last = rows.filter((r) => r.receptiveField !== null).pop()!;
    expect(last.receptiveField).toEqual([32]);
    expect(rows.some((r) => r.name === 'net.blocks.0.gate')).toBe(true);
  });

  it('checks its options', () => {
    expect(() => new WaveNetClassifier({ classes: 0 })).toThrow(/^WaveNetClassifier: classes expects an integer >= 1/);
    expect(() => new WaveNetClassifier({ classes: 2, dilations: [] })).toThrow(/^WaveNetClassifier: dilations expects a non-empty list/);
    expect(() => new WaveNetClassifier({ classes: 2, readout: 'last' as 'pool' })).toThrow(/^WaveNetClassifier: readout expects 'pool' or 'steps'/);
  });
});

describe('MelCnn', () => {
  it('receptive field in frames from its dilations, logits per class', () => {
    const model = new MelCnn({ classes: 5, nMels: 8, channels: 6 });
    expect(model.receptiveField).toBe(31);
    expect(model.summary([2, 8, 50]).rows.at(-1)!.outputShape).toEqual([2, 5]);
  });
});

describe('muLawInput', () => {
  it('maps samples to 2c/255 − 1 of their μ-law code (silence near 0, full scale ±1)', () => {
    const y = muLawInput(Float32Array.of(-1, 0, 1, 0.5));
    expect(y[0]).toBe(-1);
    expect(y[2]).toBe(1);
    expect(Math.abs(y[1])).toBeLessThan(0.01);
    // torchaudio: mu_law_encoding(0.5, 256) = 239
    expect(y[3]).toBeCloseTo((2 * 239) / 255 - 1, 6);
  });
});
