// at.nn.stream: cached causal inference. Pushes of any chunk size must reproduce model.forward over the
// whole sequence (the ordinary, zero-padded conv path: an independent computation from the stream's
// ring kernel, which native/test/test_causal_stream.cpp checks against float64). Layers that need the
// whole sequence refuse by name; bad chunks throw before anything runs.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { CharLm } from '../lib/models/char-lm';
import { Tcn, TemporalBlock } from '../lib/models/tcn';
import { relativeL2 } from './helpers/relative-l2';

/** Steps [t0, t0+len) of an N×C×L array, as an N×C×len tensor. */
function chunkOf(full: Float32Array, n: number, c: number, length: number, t0: number, len: number): at.Tensor {
  const out = new Float32Array(n * c * len);
  for (let r = 0; r < n * c; r++) out.set(full.subarray(r * length + t0, r * length + t0 + len), r * len);
  return at.tensor(out, [n, c, len]);
}

/** Concatenates N×C×T chunk outputs along time. */
function catTime(chunks: at.Tensor[]): Float32Array {
  const [n, c] = chunks[0].shape;
  const length = chunks.reduce((s, t) => s + t.shape[2], 0);
  const out = new Float32Array(n * c * length);
  let t0 = 0;
  for (const ch of chunks) {
    const v = ch.toFloat32Array();
    const len = ch.shape[2];
    for (let r = 0; r < n * c; r++) out.set(v.subarray(r * len, (r + 1) * len), r * length + t0);
    t0 += len;
  }
  return out;
}

function streamed(model: at.nn.Module, full: Float32Array, n: number, c: number, length: number, sizes: number[]): Float32Array {
  const s = at.nn.stream(model, { batch: n });
  try {
    const outs: at.Tensor[] = [];
    let t0 = 0;
    for (const len of sizes) {
      outs.push(s.push(chunkOf(full, n, c, length, t0, len)));
      t0 += len;
    }
    expect(t0).toBe(length);
    expect(s.steps).toBe(length);
    return catTime(outs);
  } finally {
    s.close();
  }
}

class CausalStack extends at.nn.Module {
  blocks: TemporalBlock[];
  head: at.nn.Conv1d;
  constructor(cin: number, hidden: number, levels: number, kernel: number) {
    super();
    this.blocks = Array.from({ length: levels }, (_, i) => new TemporalBlock(i === 0 ? cin : hidden, hidden, kernel, 2 ** i));
    this.head = new at.nn.Conv1d(hidden, 5, 1);
  }
  override forward(x: at.Tensor): at.Tensor {
    let h = x;
    for (const b of this.blocks) h = b.forward(h);
    return this.head.forward(h);
  }
}

describe('nn.stream', () => {
  it('pushes of any chunk size concatenate to the full forward (residual causal stacks, kernel 2 and 3)', () => {
    at.manualSeed(3);
    for (const [kernel, levels, n] of [[2, 6, 1], [3, 4, 2]] as const) {
      const model = new CausalStack(3, 8, levels, kernel);
      model.eval();
      const length = 90;
      const full = at.randn([n, 3, length]).toFloat32Array();
      const want = at.noGrad(() => model.forward(at.tensor(full, [n, 3, length]))).toFloat32Array();
      for (const sizes of [new Array<number>(length).fill(1), [1, 2, 3, 40, 1, 1, 30, 12], [length]]) {
        const got = streamed(model, full, n, 3, length, sizes);
        expect(relativeL2(got, want), `k=${kernel}, chunks ${sizes.slice(0, 5).join(',')}…`).toBeLessThanOrEqual(1e-5);
      }
      // The model is back to ordinary use after close().
      const again = at.noGrad(() => model.forward(at.tensor(full, [n, 3, length]))).toFloat32Array();
      expect(relativeL2(again, want)).toBe(0);
    }
  });

  it('streams the TCN with a per-step readout (Linear over channelsLast rows)', () => {
    at.manualSeed(4);
    const tcn = new Tcn({ inChannels: 2, hidden: 6, levels: 3, kernel: 3, outputs: 4, readout: 'each' });
    tcn.eval();
    const length = 40;
    const full = at.randn([1, 2, length]).toFloat32Array();
    const want = at.noGrad(() => tcn.forward(at.tensor(full, [1, 2, length]))).toFloat32Array();
    const s = at.nn.stream(tcn);
    const rows: number[] = [];
    let t0 = 0;
    for (const len of [5, 1, 1, 20, 13]) {
      const out = s.push(chunkOf(full, 1, 2, length, t0, len));
      expect(out.shape).toEqual([len, 4]);
      rows.push(...out.toFloat32Array());
      t0 += len;
    }
    s.close();
    expect(relativeL2(rows, want)).toBeLessThanOrEqual(1e-5);
  });

  it('streams the character language model one token id at a time', () => {
    at.manualSeed(6);
    const lm = new CharLm({ vocabSize: 20, embeddingDim: 6, channels: 10, dilations: [1, 2, 4, 8] });
    lm.eval();
    const ids = Int32Array.from({ length: 2 * 30 }, (_, i) => (i * 7) % 20);
    const want = at.noGrad(() => lm.forward(at.tensor(ids, [2, 30], { dtype: 'int32' }))).toFloat32Array();
    const s = at.nn.stream(lm, { batch: 2 });
    const outs: at.Tensor[] = [];
    for (let t = 0; t < 30; t++) outs.push(s.push(at.tensor(Int32Array.of(ids[t], ids[30 + t]), [2, 1], { dtype: 'int32' })));
    s.close();
    expect(relativeL2(catTime(outs), want)).toBeLessThanOrEqual(1e-5);
  });

  it('reset() starts a new sequence; a second stream on an open layer is refused', () => {
    at.manualSeed(5);
    const model = new CausalStack(2, 4, 3, 2);
    model.eval();
    const x = at.randn([1, 2, 12]);
    const s = at.nn.stream(model);
    const first = s.push(x).toFloat32Array();
    s.push(at.randn([1, 2, 7]));
    s.reset();
    expect(s.steps).toBe(0);
    expect(relativeL2(s.push(x).toFloat32Array(), first)).toBe(0);
    expect(() => at.nn.stream(model)).toThrow(/already open in another stream/);
    s.close();
    expect(() => s.push(x)).toThrow(/stream.push: the stream is closed/);
    at.nn.stream(model).close();
  });

  it('refuses layers that need the whole sequence, naming them', () => {
    const cases: [at.nn.Module, RegExp][] = [
      [new at.nn.Sequential(new at.nn.Conv1d(2, 3, 3, { padding: 'causal' }), new at.nn.Conv1d(3, 3, 3, { padding: 'same' })),
        /layer '1' \(Conv1d\) cannot stream: a non-causal conv over time/],
      [new at.nn.Sequential(new at.nn.Conv1d(2, 3, 2, { padding: 'causal', stride: 2 })), /layer '0' \(Conv1d\) cannot stream: stride 2/],
      [new at.nn.Sequential(new at.nn.Conv1d(2, 3, 2, { padding: 'causal' }), new at.nn.Flatten()), /layer '1' \(Flatten\) cannot stream/],
      [new at.nn.Sequential(new at.nn.Conv2d(2, 3, 1)), /layer '0' \(Conv2d\) cannot stream/],
      [new at.nn.Sequential(new at.nn.Conv1d(2, 3, 1), new at.nn.MaxPool1d(2)), /layer '1' \(MaxPool1d\) cannot stream/],
      [new at.nn.Sequential(new at.nn.AdaptiveMaxPool1d(1)), /layer '0' \(AdaptiveMaxPool1d\) cannot stream/],
      [new at.nn.Sequential(new at.nn.Upsample({ scaleFactor: 2 })), /layer '0' \(Upsample\) cannot stream: it resizes the time axis/],
    ];
    for (const [model, message] of cases) {
      model.eval();
      const s = at.nn.stream(model);
      expect(() => s.push(at.randn([1, 2, 4]))).toThrow(message);
      s.close();
    }
    const bn = new at.nn.Sequential(new at.nn.Conv1d(2, 3, 2, { padding: 'causal' }), new at.nn.BatchNorm2d(3));
    const s = at.nn.stream(bn);
    expect(() => s.push(at.randn([1, 2, 4]))).toThrow(/layer '1' \(BatchNorm2d\) cannot stream: batch norm in training mode/);
    s.close();
  });

  it('rejects bad arguments before running anything', () => {
    const model = new at.nn.Sequential(new at.nn.Conv1d(2, 3, 2, { padding: 'causal' }));
    expect(() => at.nn.stream({} as at.nn.Module)).toThrow(/^stream: model expects an nn.Module/);
    expect(() => at.nn.stream(model, { batch: 0 })).toThrow(/^stream: opts.batch expects an integer >= 1, but got 0/);
    const s = at.nn.stream(model, { batch: 2 });
    expect(() => s.push(at.randn([1, 2, 4]))).toThrow(/^stream.push: chunk expects N×C×T \(or N×T token ids\) with N = 2/);
    expect(() => s.push(at.randn([2]))).toThrow(/^stream.push: chunk expects N×C×T/);
    expect(() => s.push(at.randn([2, 5, 3]))).toThrow(/x expects N×C×T = 2×2×T/);
    expect(() => s.push([1, 2] as unknown as at.Tensor)).toThrow(/^stream.push: chunk expects a Tensor/);
    s.close();
  });
});
