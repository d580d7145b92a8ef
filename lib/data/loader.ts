// Batches of labelled uint8 images as normalised float32 tensors: a seeded shuffle per epoch (the
// order is a function of seed and epoch, so a resumed run sees the same batches), optional
// random-crop (zero padding) and left-right flip. The pixels are gathered, augmented and normalised in
// one native pass (gatherImageBatch); only indices and labels are handled here.
import { native } from '../native/load-addon';
import { describeValue } from '../core/shape-checks';
import { Tensor } from '../core/tensor';

export interface ImageDataset {
  /** count × height × width bytes, row-major (the IDX layout). */
  images: Uint8Array;
  /** One class index per image. */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  numClasses: number;
}

export interface AugmentOptions {
  /** Random crop: the image is zero-padded by this many pixels and an H×W window taken. 0: none. */
  pad?: number;
  /** Mirror left-right with probability 1/2. */
  flip?: boolean;
}

export interface LoaderOptions {
  batchSize: number;
  shuffle?: boolean;
  /** Seeds the shuffle and the augmentation (with the epoch). */
  seed?: number;
  /** Normalisation of pixel values in [0, 1]: (v - mean) / std. */
  mean?: number;
  std?: number;
  augment?: AugmentOptions;
  /** Only the first `limit` images (a quick run). */
  limit?: number;
}

export interface Batch {
  /** N × 1 × H × W. */
  x: Tensor;
  targets: Int32Array;
  /** The batch's position in the epoch. */
  index: number;
}

/** The options every image-batch loader shares, checked: batch size, shuffle and seed, normalisation (bytes → (v/255 − mean)/std), limit. */
export function checkBatchOptions(op: string, opts: { batchSize: number; shuffle?: boolean; seed?: number; mean?: number; std?: number; limit?: number }) {
  const { batchSize, shuffle = false, seed = 0, mean = 0, std = 1, limit } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${op}: batchSize expects an integer >= 1, but got ${describeValue(batchSize)}`);
  if (!(std > 0)) throw new RangeError(`${op}: std expects a number > 0, but got ${describeValue(std)}`);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`${op}: seed expects an integer >= 0, but got ${describeValue(seed)}`);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new RangeError(`${op}: limit expects an integer >= 1, but got ${describeValue(limit)}`);
  return { batchSize, shuffle, seed, scale: 1 / (255 * std), shift: -mean / std, limit };
}

export class ImageLoader {
  readonly dataset: ImageDataset;
  readonly batchSize: number;
  readonly size: number;
  private readonly shuffle: boolean;
  private readonly seed: number;
  private readonly scale: number;
  private readonly shift: number;
  private readonly pad: number;
  private readonly flip: boolean;

  constructor(dataset: ImageDataset, opts: LoaderOptions) {
    const op = 'ImageLoader';
    const { augment = {} } = opts;
    const { batchSize, shuffle, seed, scale, shift, limit } = checkBatchOptions(op, opts);
    const pad = augment.pad ?? 0;
    if (!Number.isInteger(pad) || pad < 0 || pad > Math.min(dataset.height, dataset.width)) {
      throw new RangeError(`${op}: augment.pad expects an integer in [0, ${Math.min(dataset.height, dataset.width)}], but got ${describeValue(pad)}`);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.size = Math.min(dataset.count, limit ?? dataset.count);
    this.shuffle = shuffle;
    this.seed = seed;
    this.scale = scale;
    this.shift = shift;
    this.pad = pad;
    this.flip = augment.flip ?? false;
  }

  /** Batches per epoch (the last one may be smaller). */
  get numBatches(): number {
    return Math.ceil(this.size / this.batchSize);
  }

  /** The image order of an epoch: 0..size-1, shuffled by (seed, epoch) when shuffle is on. */
  order(epoch: number): Int32Array {
    return epochOrder(this.size, this.shuffle, this.seed, epoch);
  }

  /** The batches of an epoch, from batch `start` on (to resume mid-epoch). */
  *epoch(epoch: number, start = 0): Generator<Batch> {
    const order = this.order(epoch);
    const augmenting = this.pad > 0 || this.flip;
    const rand = splitmix32(this.seed * 7919 + epoch * 104729 + 1);
    for (let b = 0; b < this.numBatches; b++) {
      const indices = order.subarray(b * this.batchSize, Math.min(this.size, (b + 1) * this.batchSize));
      // Augmentation draws are made for every batch, even skipped ones, so a resumed epoch matches.
      const crops = augmenting ? this.drawCrops(indices.length, rand) : null;
      if (b < start) continue;
      yield { ...this.gather(indices, crops), index: b };
    }
  }

  /** One batch of the given images, without augmentation. */
  gather(indices: Int32Array, crops: Int32Array | null = null): { x: Tensor; targets: Int32Array } {
    const { height: h, width: w, count } = this.dataset;
    const out = new Float32Array(indices.length * h * w);
    native().gatherImageBatch(this.dataset.images, [count, h, w], indices, this.scale, this.shift, this.pad, crops, out);
    const targets = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) targets[i] = this.dataset.labels[indices[i]];
    return { x: new Tensor(out, [indices.length, 1, h, w]), targets };
  }

  private drawCrops(n: number, rand: () => number): Int32Array {
    const crops = new Int32Array(3 * n);
    const span = 2 * this.pad + 1;
    for (let i = 0; i < n; i++) {
      crops[3 * i] = Math.floor(rand() * span);
      crops[3 * i + 1] = Math.floor(rand() * span);
      crops[3 * i + 2] = this.flip && rand() < 0.5 ? 1 : 0;
    }
    return crops;
  }
}

/** 0..size-1, shuffled (Fisher-Yates) by (seed, epoch) when shuffle is on: an epoch's sample order. */
export function epochOrder(size: number, shuffle: boolean, seed: number, epoch: number): Int32Array {
  const idx = new Int32Array(size);
  for (let i = 0; i < size; i++) idx[i] = i;
  return shuffle ? shuffleInPlace(idx, splitmix32(seed * 1000003 + epoch)) : idx;
}

/** A small seeded generator of uniform numbers in [0, 1) (for orders and crop offsets, not tensor data). */
/** Fisher-Yates over idx with rand() in [0, 1): the order is a function of rand's seed only. */
export function shuffleInPlace(idx: Int32Array, rand: () => number): Int32Array {
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

export function splitmix32(seed: number): () => number {
  let a = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z ^= z >>> 15;
    return (z >>> 0) / 4294967296;
  };
}
