// The image loader (seeded shuffle, batches, normalisation, crop/flip through the addon), the
// prediction count, and the synthetic sequence tasks of the TCN paper.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { ImageLoader, type ImageDataset } from '../lib/data/loader';
import { addingProblem, copyMemory } from '../lib/data/synthetic-tasks';
import { countCorrect } from '../lib/cli/tasks';

// 5 images of 3x4, image i holding i*16 + pixel index; label i % 3.
const h = 3;
const w = 4;
const images = Uint8Array.from({ length: 5 * h * w }, (_, k) => Math.floor(k / (h * w)) * 16 + (k % (h * w)));
const dataset: ImageDataset = { images, labels: Uint8Array.from([0, 1, 2, 0, 1]), count: 5, height: h, width: w, numClasses: 3 };
const pixel = (img: number, y: number, x: number) => images[img * h * w + y * w + x];

describe('ImageLoader', () => {
  it('normalises (v/255 - mean)/std and batches in order without shuffle', () => {
    const loader = new ImageLoader(dataset, { batchSize: 2, mean: 0.5, std: 0.25 });
    const batches = [...loader.epoch(0)];
    expect(batches.map((b) => b.x.shape)).toEqual([[2, 1, h, w], [2, 1, h, w], [1, 1, h, w]]);
    expect(Array.from(batches[2].targets)).toEqual([1]);
    const got = batches[1].x.toFloat32Array();
    for (let k = 0; k < h * w; k++) expect(got[h * w + k]).toBeCloseTo((images[3 * h * w + k] / 255 - 0.5) / 0.25, 5);
  });

  it('shuffles to a permutation fixed by seed and epoch, and resumes mid-epoch with the same batches', () => {
    const loader = new ImageLoader(dataset, { batchSize: 2, shuffle: true, seed: 3 });
    const a = Array.from(loader.order(1));
    expect([...a].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(new ImageLoader(dataset, { batchSize: 2, shuffle: true, seed: 3 }).order(1))).toEqual(a);
    const epochs = [0, 1, 2, 3].map((e) => Array.from(loader.order(e)).join());
    expect(new Set(epochs).size).toBeGreaterThan(1);
    const aug = new ImageLoader(dataset, { batchSize: 2, shuffle: true, seed: 3, augment: { pad: 1, flip: true } });
    const full = [...aug.epoch(2)];
    const resumed = [...aug.epoch(2, 1)];
    expect(resumed.map((b) => b.index)).toEqual([1, 2]);
    resumed.forEach((b, i) => expect(b.x.toFloat32Array()).toEqual(full[i + 1].x.toFloat32Array()));
  });

  it('crops from zero padding and mirrors exactly as the definition says', () => {
    const loader = new ImageLoader(dataset, { batchSize: 2, augment: { pad: 1, flip: true } });
    // image 4 shifted by (dy, dx) = (0, 2) - pad = (-1, +1), mirrored; image 2 unshifted (1, 1), not mirrored.
    const { x } = loader.gather(Int32Array.of(4, 2), Int32Array.of(0, 2, 1, 1, 1, 0));
    const got = x.toFloat32Array();
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const sy = y - 1;
        const sx = w - 1 - xx + 1;
        const want = sy >= 0 && sx < w ? pixel(4, sy, sx) / 255 : 0;
        expect(got[y * w + xx], `image 4 at (${y}, ${xx})`).toBeCloseTo(want, 6);
        expect(got[h * w + y * w + xx]).toBeCloseTo(pixel(2, y, xx) / 255, 6);
      }
    }
    expect(() => loader.gather(Int32Array.of(5))).toThrow(/indices\[0\] expects an image index in \[0, 4\], but got 5/);
  });

  it('refuses bad options with what it expected', () => {
    expect(() => new ImageLoader(dataset, { batchSize: 0 })).toThrow(/ImageLoader: batchSize expects an integer >= 1, but got 0/);
    expect(() => new ImageLoader(dataset, { batchSize: 1, augment: { pad: 9 } })).toThrow(/augment.pad expects an integer in \[0, 3\]/);
  });
});

describe('countCorrect', () => {
  it('counts rows whose largest logit is the target (first on ties)', () => {
    const logits = at.tensor([[0.1, 0.9, 0.0], [2, 2, 1], [0, 0, 3], [5, -1, 4]]);
    expect(countCorrect(logits, Int32Array.of(1, 1, 2, 0))).toBe(3);
  });
});

describe('synthetic tasks', () => {
  it('adding problem: one marked value in each half, the target their sum', () => {
    const T = 10;
    const { x, y } = addingProblem(4, T, 7);
    expect(x.shape).toEqual([4, 2, T]);
    const v = x.toFloat32Array();
    const targets = y.toFloat32Array();
    for (let s = 0; s < 4; s++) {
      const values = v.subarray(s * 2 * T, s * 2 * T + T);
      const mask = Array.from(v.subarray(s * 2 * T + T, (s + 1) * 2 * T));
      const marked = mask.flatMap((m, t) => (m === 1 ? [t] : []));
      expect(mask.filter((m) => m !== 0 && m !== 1)).toEqual([]);
      expect(marked.length).toBe(2);
      expect(marked[0]).toBeLessThan(T / 2);
      expect(marked[1]).toBeGreaterThanOrEqual(T / 2);
      expect(values.every((u) => u >= 0 && u < 1)).toBe(true);
      expect(targets[s]).toBeCloseTo(values[marked[0]] + values[marked[1]], 6);
    }
    expect(addingProblem(4, T, 7).x.toFloat32Array()).toEqual(v);
  });

  it('copy memory: digits, blanks, markers in; blanks then the same digits out', () => {
    const T = 5;
    const { x, targets, length } = copyMemory(2, T, 1);
    expect(length).toBe(T + 20);
    expect(x.shape).toEqual([2, 10, length]);
    const v = x.toFloat32Array();
    for (let s = 0; s < 2; s++) {
      const symbols = Array.from({ length }, (_, t) => [...Array(10).keys()].filter((c) => v[(s * 10 + c) * length + t] === 1));
      expect(symbols.every((c) => c.length === 1)).toBe(true);
      const seq = symbols.map((c) => c[0]);
      const digits = seq.slice(0, 10);
      expect(digits.every((d) => d >= 1 && d <= 8)).toBe(true);
      expect(seq.slice(10, T + 9)).toEqual(new Array(T - 1).fill(0));
      expect(seq.slice(T + 9)).toEqual(new Array(11).fill(9));
      const out = Array.from(targets.subarray(s * length, (s + 1) * length));
      expect(out.slice(0, T + 10)).toEqual(new Array(T + 10).fill(0));
      expect(out.slice(T + 10)).toEqual(digits);
    }
  });
});
