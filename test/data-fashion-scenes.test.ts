// Fashion-MNIST scenes: the resize against PyTorch, masks and boxes against a reference painter written
// here (top-most lit item per pixel, searched from the last item down), determinism across batch sizes,
// orders and thread counts, the splits, the class weights, and the errors for bad options.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { EMBEDDED_DIR, loadSplit } from '../lib/data/fashion-mnist';
import {
  FashionScenes, SceneLoader, classWeights, labelCounts, loadFashionScenes, resizeBilinear, type ScenePlacement,
} from '../lib/data/fashion-scenes';
import { decode, type FixtureTensor } from './helpers/fixtures';

const test = loadSplit(EMBEDDED_DIR, 'test');
const train = loadSplit(EMBEDDED_DIR, 'train');
const LIT = 51; // 0.2 · 255: lit ⇔ byte > 51

/** The first index where two arrays differ, -1 if equal (quicker than toEqual on long typed arrays). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** The resized source pixels of one placement. */
function itemPixels(source: typeof test, p: ScenePlacement): Uint8Array {
  const n = source.height * source.width;
  return resizeBilinear(source.images.subarray(p.source * n, (p.source + 1) * n), source.height, source.width, p.height, p.width);
}

/** The reference: for each pixel, the last placement whose pixel there is lit, else none. */
function paintReference(scenes: FashionScenes, placements: ScenePlacement[]): { mask: Int32Array; image: Uint8Array } {
  const { height: H, width: W } = scenes;
  const pixels = placements.map((p) => itemPixels(scenes.source, p));
  const mask = new Int32Array(H * W);
  const image = new Uint8Array(H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let brightest = 0;
      let top = -1;
      for (let k = placements.length - 1; k >= 0; k--) {
        const p = placements[k];
        if (y < p.y || y >= p.y + p.height || x < p.x || x >= p.x + p.width) continue;
        const v = pixels[k][(y - p.y) * p.width + (x - p.x)];
        if (v > LIT && top < 0) top = k;
        brightest = Math.max(brightest, v);
      }
      mask[y * W + x] = top < 0 ? 0 : placements[top].label + 1;
      image[y * W + x] = top < 0 ? brightest : pixels[top][(y - placements[top].y) * placements[top].width + (x - placements[top].x)];
    }
  }
  return { mask, image };
}

describe('resizeBilinear', () => {
  const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'resize-bilinear.json'), 'utf8')) as {
    cases: { name: string; input: FixtureTensor; size: [number, number]; output: FixtureTensor }[];
  };
  it.each(fixture.cases.map((c) => [c.name, c] as const))('matches F.interpolate(bilinear, alignCorners false), rounded: %s', (_, c) => {
    const [h, w] = c.input.shape;
    const got = resizeBilinear(Uint8Array.from(decode(c.input)), h, w, c.size[0], c.size[1]);
    const want = decode(c.output);
    expect(got.length).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-4);
  });
});

describe('FashionScenes', () => {
  const scenes = new FashionScenes(test, { seed: 5 });

  it('places 1-4 items at 0.75×-1.5× inside the canvas, all counts occurring', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const ps = scenes.placements(i);
      seen.add(ps.length);
      for (const p of ps) {
        expect(p.height).toBeGreaterThanOrEqual(21);
        expect(p.height).toBeLessThanOrEqual(42);
        expect(p.width).toBe(p.height);
        expect(p.y + p.height).toBeLessThanOrEqual(64);
        expect(p.x + p.width).toBeLessThanOrEqual(64);
        expect(p.label).toBe(test.labels[p.source]);
      }
    }
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
  });

  it('masks and images agree with the reference painter (label > 0 exactly where an uncovered item pixel is lit)', () => {
    let overlapping = 0;
    for (let i = 0; i < 40; i++) {
      const scene = scenes.scene(i);
      const ref = paintReference(scenes, scene.placements);
      expect(firstDifference(scene.mask, ref.mask)).toBe(-1);
      expect(firstDifference(scene.image, ref.image)).toBe(-1);
      // The image is lit exactly where the mask is an item.
      expect(scene.mask.every((m, k) => m > 0 === scene.image[k] > LIT)).toBe(true);
      if (scene.placements.length > 1) overlapping++;
    }
    expect(overlapping).toBeGreaterThan(15);
  });

  it('gives each item the tight box of its lit pixels, end exclusive', () => {
    for (let i = 0; i < 40; i++) {
      const scene = scenes.scene(i);
      scene.placements.forEach((p, k) => {
        const box = scene.boxes[k];
        const px = itemPixels(test, p);
        const lit: [number, number][] = [];
        for (let r = 0; r < p.height; r++) for (let c = 0; c < p.width; c++) if (px[r * p.width + c] > LIT) lit.push([p.y + r, p.x + c]);
        expect(box.label).toBe(p.label);
        expect(box.y0).toBe(Math.min(...lit.map(([y]) => y)));
        expect(box.y1).toBe(Math.max(...lit.map(([y]) => y)) + 1);
        expect(box.x0).toBe(Math.min(...lit.map(([, x]) => x)));
        expect(box.x1).toBe(Math.max(...lit.map(([, x]) => x)) + 1);
      });
    }
  });

  it('is deterministic in the seed: the same seed gives the same scenes, another seed other ones', () => {
    const again = new FashionScenes(test, { seed: 5 });
    for (const i of [0, 7, 999]) {
      const [x, y] = [again.scene(i), scenes.scene(i)];
      expect(firstDifference(x.image, y.image)).toBe(-1);
      expect(firstDifference(x.mask, y.mask)).toBe(-1);
      expect(x.boxes).toEqual(y.boxes);
      expect(x.placements).toEqual(y.placements);
    }
    // Asked for out of order, scene 7 is still scene 7.
    expect(firstDifference(again.scene(7).mask, new FashionScenes(test, { seed: 5 }).scene(7).mask)).toBe(-1);
    const other = new FashionScenes(test, { seed: 6 });
    expect([0, 1, 2].some((i) => JSON.stringify(other.placements(i)) !== JSON.stringify(scenes.placements(i)))).toBe(true);
  });

  it('takes a 96×96 canvas and other item counts and scales', () => {
    const big = new FashionScenes(test, { size: 96, minItems: 3, maxItems: 3, minScale: 2, maxScale: 3 });
    const s = big.scene(3);
    expect(s.mask.length).toBe(96 * 96);
    expect(s.placements.length).toBe(3);
    for (const p of s.placements) expect(p.height >= 56 && p.height <= 84).toBe(true);
    expect(firstDifference(s.mask, paintReference(big, s.placements).mask)).toBe(-1);
  });

  it('draws train scenes from the train file and test scenes from the test file', () => {
    const trainScenes = loadFashionScenes('train', { data: EMBEDDED_DIR, seed: 1 });
    const testScenes = loadFashionScenes('test', { data: EMBEDDED_DIR, seed: 1 });
    expect(trainScenes.count).toBe(train.count);
    expect(testScenes.count).toBe(test.count);
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
    expect(same(trainScenes.source.images, train.images)).toBe(true);
    expect(same(testScenes.source.images, test.images)).toBe(true);
    for (const p of trainScenes.placements(4)) expect(p.label).toBe(train.labels[p.source]);
    // The split is part of every scene's seed: the draws differ, not just the pictures.
    expect(JSON.stringify(trainScenes.placements(0).map((p) => [p.y, p.x, p.height]))).not.toBe(JSON.stringify(testScenes.placements(0).map((p) => [p.y, p.x, p.height])));
  });

  it('throws clear errors for bad options', () => {
    const bad = (opts: object, arg: string) => {
      expect(() => new FashionScenes(test, opts)).toThrow(RangeError);
      expect(() => new FashionScenes(test, opts)).toThrow(new RegExp(`^FashionScenes: ${arg}`));
    };
    bad({ size: 40 }, 'size expects a canvas that holds the largest item \\(42×42 at maxScale 1.5\\), but got 40×40');
    bad({ size: [64, 30] }, 'size expects a canvas');
    bad({ size: 0 }, 'size \\(height\\) expects an integer >= 1');
    bad({ maxItems: 5 }, 'maxItems expects an integer in \\[1, 4\\], but got 5');
    bad({ minItems: 0 }, 'minItems expects an integer in \\[1, 4\\], but got 0');
    bad({ minItems: 3, maxItems: 2 }, 'minItems expects at most maxItems \\(2\\), but got 3');
    bad({ minScale: 0 }, 'minScale expects a finite number > 0');
    bad({ minScale: 1.2, maxScale: 1 }, 'minScale expects at most maxScale');
    bad({ minScale: 0.01 }, 'minScale 0.01 shrinks');
    bad({ seed: -1 }, 'seed expects an integer >= 0');
    bad({ count: 0 }, 'count expects an integer >= 1');
    expect(() => scenes.scene(test.count)).toThrow(/^FashionScenes: index expects an integer in \[0, 999\], but got 1000/);
  });
});

describe('SceneLoader', () => {
  const scenes = new FashionScenes(test, { seed: 2, count: 23 });
  const concat = (loader: SceneLoader, epoch: number) => {
    const batches = [...loader.epoch(epoch)];
    return {
      masks: Int32Array.from(batches.flatMap((b) => Array.from(b.masks))),
      images: Float32Array.from(batches.flatMap((b) => Array.from(b.images.toFloat32Array()))),
      boxes: batches.flatMap((b) => b.boxes),
      shapes: batches.map((b) => b.images.shape),
    };
  };

  it('yields N×1×H×W images, N×H×W masks and boxes, independent of the batch size', () => {
    const a = concat(new SceneLoader(scenes, { batchSize: 4, shuffle: true, seed: 9 }), 1);
    const b = concat(new SceneLoader(scenes, { batchSize: 7, shuffle: true, seed: 9 }), 1);
    expect(a.shapes).toEqual([...Array<number[]>(5).fill([4, 1, 64, 64]), [3, 1, 64, 64]]);
    expect(firstDifference(b.masks, a.masks)).toBe(-1);
    expect(firstDifference(b.images, a.images)).toBe(-1);
    expect(b.boxes).toEqual(a.boxes);
    expect(a.masks.length).toBe(23 * 64 * 64);
  });

  it('puts scene order[i] at position i, normalised as (v/255 - mean)/std, under any thread count', () => {
    const loader = new SceneLoader(scenes, { batchSize: 5, shuffle: true, seed: 3, mean: 0.1, std: 0.5 });
    const batch = [...loader.epoch(2)][1];
    at.setNumThreads(1);
    const single = [...loader.epoch(2)][1];
    at.setNumThreads(2);
    expect(firstDifference(single.images.toFloat32Array(), batch.images.toFloat32Array())).toBe(-1);
    const x = batch.images.toFloat32Array();
    for (let i = 0; i < 5; i++) {
      const mask = batch.masks.subarray(i * 4096, (i + 1) * 4096);
      // Find which scene this is (the order is a permutation) and compare pixel by pixel.
      const index = Array.from({ length: 23 }, (_, k) => k).find((k) => scenes.scene(k).mask.every((v, j) => v === mask[j]))!;
      const scene = scenes.scene(index);
      for (let j = 0; j < 4096; j += 37) expect(x[i * 4096 + j]).toBeCloseTo((scene.image[j] / 255 - 0.1) / 0.5, 5);
      expect(batch.boxes[i]).toEqual(scene.boxes);
    }
  });

  it('resumes mid-epoch with the same batches, and shuffles by seed and epoch only', () => {
    const loader = new SceneLoader(scenes, { batchSize: 6, shuffle: true, seed: 4 });
    const full = [...loader.epoch(3)];
    const resumed = [...loader.epoch(3, 2)];
    expect(resumed.map((b) => b.index)).toEqual([2, 3]);
    resumed.forEach((b, i) => expect(firstDifference(b.masks, full[i + 2].masks)).toBe(-1));
    const epochs = [0, 1, 2].map((e) => Array.from([...loader.epoch(e)][0].masks.subarray(0, 4096)).join());
    expect(new Set(epochs).size).toBeGreaterThan(1);
  });

  it('throws clear errors for bad options', () => {
    expect(() => new SceneLoader(scenes, { batchSize: 0 })).toThrow(/^SceneLoader: batchSize expects an integer >= 1, but got 0/);
    expect(() => new SceneLoader(scenes, { batchSize: 2, std: 0 })).toThrow(/^SceneLoader: std expects a number > 0/);
    expect(() => new SceneLoader(scenes, { batchSize: 2, limit: 0 })).toThrow(/^SceneLoader: limit/);
  });
});

describe('class weights', () => {
  it('counts pixels per label over the first scenes', () => {
    const scenes = new FashionScenes(test, { seed: 8, count: 12 });
    const counts = labelCounts(scenes, 12);
    const want = new Float64Array(11);
    for (let i = 0; i < 12; i++) for (const m of paintReference(scenes, scenes.placements(i)).mask) want[m]++;
    expect(counts).toEqual(want);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(12 * 64 * 64);
    expect(() => labelCounts(scenes, 13)).toThrow(/^labelCounts: limit expects an integer in \[1, 12\], but got 13/);
  });

  it('gives median-frequency and inverse-frequency weights as documented', () => {
    // f = [0.6, 0.3, 0.1, 0]: median of the seen ones 0.3; the unseen label takes the largest weight.
    expect(Array.from(classWeights([6, 3, 1, 0]))).toEqual(Array.from(Float32Array.of(0.5, 1, 3, 3)));
    expect(Array.from(classWeights([6, 3, 1, 0], 'inverse'))).toEqual(Array.from(Float32Array.of(1 / 2.4, 1 / 1.2, 2.5, 2.5)));
    // An even number of seen labels: f = [0.1, 0.2, 0.4, 0.3], the median the mean of the middle two, 0.25.
    expect(Array.from(classWeights([1, 2, 4, 3]))).toEqual(Array.from(Float32Array.of(2.5, 1.25, 0.625, 0.25 / 0.3)));
    expect(() => classWeights([0, 0])).toThrow(/^classWeights: counts expects at least one nonzero count/);
    expect(() => classWeights([1, -1])).toThrow(/^classWeights: counts\[1\] expects a finite number >= 0/);
    expect(() => classWeights([1, 1], 'mean' as 'median')).toThrow(/^classWeights: method/);
  });
});
