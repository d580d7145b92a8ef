// "Fashion-MNIST scenes": a segmentation and detection set made on the fly from the Fashion-MNIST IDX
// files. Scene i of a split places 1-4 items (Fashion-MNIST images of that split, bilinearly resized
// to 0.75×-1.5×) at random positions on a dark canvas; later items lie on top. Everything about scene
// i is drawn from a generator seeded by (seed, split, i) alone, so a scene does not depend on the batch
// size, the order it is asked in, or the thread count. Scenes are rendered when a batch asks for them.
//
// Labels: a pixel is lit when its resized value is > LIT_THRESHOLD (0.2 of full scale, i.e. byte > 51).
// mask = class + 1 of the top-most item whose pixel is lit there, 0 (background) elsewhere: 11 labels.
// image: a lit pixel of a later item replaces what lies below; an unlit one only brightens (max), so
// the image is lit exactly where the mask is not background, and faint item edges stay visible.
// boxes: per item, the tight box of its lit pixels as placed (parts a later item covers included), with
// x1 and y1 one past the last lit column and row (so width = x1 - x0), and the class (0-9).
import { native } from '../native/load-addon';
import { describeValue } from '../core/shape-checks';
import { Tensor } from '../core/tensor';
import { loadSplit, locateFashionMnist } from './fashion-mnist';
import { checkBatchOptions, epochOrder, splitmix32, type ImageDataset } from './loader';

export const LIT_THRESHOLD = 0.2;
/** The largest byte that is not lit: lit ⇔ byte / 255 > LIT_THRESHOLD. */
const UNLIT_MAX_BYTE = Math.floor(LIT_THRESHOLD * 255);
export const BACKGROUND_LABEL = 0;
/** Background plus the 10 Fashion-MNIST classes. */
export const SCENE_LABELS = 11;
export const MAX_ITEMS = 4;
/** Redraws of an item's source image before giving up when none has a lit pixel after resizing. */
const MAX_SOURCE_DRAWS = 64;

export interface SceneOptions {
  /** Canvas height and width (a number: square). Default 64. */
  size?: number | readonly [number, number];
  /** Items per scene, drawn uniformly in [minItems, maxItems] ⊆ [1, 4]. Default 1 and 4. */
  minItems?: number;
  maxItems?: number;
  /** Item scale, uniform in [minScale, maxScale] (the same for both axes). Default 0.75 and 1.5. */
  minScale?: number;
  maxScale?: number;
  seed?: number;
  /** Scenes in the split. Default: as many as the split has source images. */
  count?: number;
  /** Which split the source images are (it is mixed into every scene's seed). Default 'train'. */
  split?: 'train' | 'test';
}

/** Where one item went: its source image, class, resized size and top-left corner. */
export interface ScenePlacement {
  source: number;
  label: number;
  height: number;
  width: number;
  y: number;
  x: number;
}

export interface SceneBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** The class, 0-9 (the mask holds class + 1). */
  label: number;
}

export interface Scene {
  /** height × width bytes. */
  image: Uint8Array;
  /** height × width labels in [0, 10]. */
  mask: Int32Array;
  boxes: SceneBox[];
  placements: ScenePlacement[];
}

interface PlacedItem {
  placement: ScenePlacement;
  /** The resized source image, placement.height × placement.width bytes. */
  pixels: Uint8Array;
}

export class FashionScenes {
  readonly source: ImageDataset;
  readonly height: number;
  readonly width: number;
  readonly count: number;
  readonly minItems: number;
  readonly maxItems: number;
  readonly minScale: number;
  readonly maxScale: number;
  readonly seed: number;
  readonly split: 'train' | 'test';

  constructor(source: ImageDataset, opts: SceneOptions = {}) {
    const op = 'FashionScenes';
    const { size = 64, minItems = 1, maxItems = MAX_ITEMS, minScale = 0.75, maxScale = 1.5, seed = 0, split = 'train' } = opts;
    if (source.count < 1) throw new RangeError(`${op}: source expects at least 1 image, but has 0`);
    const [height, width] = typeof size === 'number' ? [size, size] : size;
    for (const [name, v] of [['size (height)', height], ['size (width)', width]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${op}: ${name} expects an integer >= 1, but got ${describeValue(v)}`);
    }
    for (const [name, v] of [['minItems', minItems], ['maxItems', maxItems]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > MAX_ITEMS) throw new RangeError(`${op}: ${name} expects an integer in [1, ${MAX_ITEMS}], but got ${describeValue(v)}`);
    }
    if (minItems > maxItems) throw new RangeError(`${op}: minItems expects at most maxItems (${maxItems}), but got ${minItems}`);
    for (const [name, v] of [['minScale', minScale], ['maxScale', maxScale]] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${op}: ${name} expects a finite number > 0, but got ${describeValue(v)}`);
    }
    if (minScale > maxScale) throw new RangeError(`${op}: minScale expects at most maxScale (${maxScale}), but got ${minScale}`);
    const [smallH, smallW] = itemSize(source, minScale);
    if (smallH < 1 || smallW < 1) throw new RangeError(`${op}: minScale ${minScale} shrinks a ${source.height}×${source.width} item to nothing`);
    const [bigH, bigW] = itemSize(source, maxScale);
    if (bigH > height || bigW > width) {
      throw new RangeError(`${op}: size expects a canvas that holds the largest item (${bigH}×${bigW} at maxScale ${maxScale}), but got ${height}×${width}`);
    }
    if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`${op}: seed expects an integer >= 0, but got ${describeValue(seed)}`);
    if (split !== 'train' && split !== 'test') throw new RangeError(`${op}: split expects 'train' or 'test', but got ${describeValue(split)}`);
    const count = opts.count ?? source.count;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`${op}: count expects an integer >= 1, but got ${describeValue(count)}`);
    this.source = source;
    [this.height, this.width, this.count] = [height, width, count];
    [this.minItems, this.maxItems, this.minScale, this.maxScale] = [minItems, maxItems, minScale, maxScale];
    [this.seed, this.split] = [seed, split];
  }

  /** Where scene i's items go, in drawing order (later on top). */
  placements(index: number): ScenePlacement[] {
    return this.drawItems(index).map((item) => item.placement);
  }

  /** Scene i, rendered. */
  scene(index: number): Scene {
    const image = new Uint8Array(this.height * this.width);
    const mask = new Int32Array(this.height * this.width);
    const items = this.drawItems(index);
    for (const item of items) drawItem(item, image, mask, this.width);
    return { image, mask, boxes: items.map(litBox), placements: items.map((item) => item.placement) };
  }

  private drawItems(index: number): PlacedItem[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`FashionScenes: index expects an integer in [0, ${this.count - 1}], but got ${describeValue(index)}`);
    }
    const rand = splitmix32(sceneSeed(this.seed, this.split === 'train' ? 0 : 1, index));
    const n = this.minItems + Math.floor(rand() * (this.maxItems - this.minItems + 1));
    const items: PlacedItem[] = [];
    for (let k = 0; k < n; k++) {
      const scale = this.minScale + rand() * (this.maxScale - this.minScale);
      const [h, w] = itemSize(this.source, scale);
      const { source, pixels } = this.drawLitSource(rand, h, w, index);
      const y = Math.floor(rand() * (this.height - h + 1));
      const x = Math.floor(rand() * (this.width - w + 1));
      items.push({ placement: { source, label: this.source.labels[source], height: h, width: w, y, x }, pixels });
    }
    return items;
  }

  /** A source image that keeps a lit pixel at h×w (nearly all do; blank ones are drawn again). */
  private drawLitSource(rand: () => number, h: number, w: number, index: number): { source: number; pixels: Uint8Array } {
    const { images, height: sh, width: sw, count } = this.source;
    for (let tries = 0; tries < MAX_SOURCE_DRAWS; tries++) {
      const source = Math.floor(rand() * count);
      const pixels = resizeBilinear(images.subarray(source * sh * sw, (source + 1) * sh * sw), sh, sw, h, w);
      if (pixels.some(isLit)) return { source, pixels };
    }
    throw new Error(`FashionScenes: scene ${index}: ${MAX_SOURCE_DRAWS} source images in a row have no pixel above ${LIT_THRESHOLD} at ${h}×${w}`);
  }
}

/** The item size at a scale: round(28 · scale) for Fashion-MNIST. */
function itemSize(source: ImageDataset, scale: number): [number, number] {
  return [Math.round(source.height * scale), Math.round(source.width * scale)];
}

export function isLit(byte: number): boolean {
  return byte > UNLIT_MAX_BYTE;
}

/** One generator seed per (seed, split, index): murmur3's finaliser folded over the parts. */
function sceneSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x9e3779b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/**
 * Bilinear resize of an h×w byte image to oh×ow, rounded to bytes: torch.nn.functional.interpolate's
 * 'bilinear' with alignCorners false (source coordinate (o + 0.5)·in/out − 0.5, clamped at 0).
 */
export function resizeBilinear(src: Uint8Array, h: number, w: number, oh: number, ow: number): Uint8Array {
  const out = new Uint8Array(oh * ow);
  const rows = bilinearTaps(h, oh);
  const cols = bilinearTaps(w, ow);
  for (let y = 0; y < oh; y++) {
    const [y0, y1, fy] = [rows.lo[y], rows.hi[y], rows.frac[y]];
    for (let x = 0; x < ow; x++) {
      const [x0, x1, fx] = [cols.lo[x], cols.hi[x], cols.frac[x]];
      const top = src[y0 * w + x0] * (1 - fx) + src[y0 * w + x1] * fx;
      const bottom = src[y1 * w + x0] * (1 - fx) + src[y1 * w + x1] * fx;
      out[y * ow + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return out;
}

/** Per output index along one axis: the two source indices and the weight of the second. */
function bilinearTaps(size: number, outSize: number): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  const ratio = size / outSize;
  for (let o = 0; o < outSize; o++) {
    const s = Math.max(0, (o + 0.5) * ratio - 0.5);
    lo[o] = Math.min(Math.floor(s), size - 1);
    hi[o] = Math.min(lo[o] + 1, size - 1);
    frac[o] = s - lo[o];
  }
  return { lo, hi, frac };
}

/** Paints one item: its lit pixels replace the canvas and set the mask; unlit ones only brighten. */
function drawItem({ placement: p, pixels }: PlacedItem, image: Uint8Array, mask: Int32Array, canvasWidth: number): void {
  for (let r = 0; r < p.height; r++) {
    for (let c = 0; c < p.width; c++) {
      const v = pixels[r * p.width + c];
      const at = (p.y + r) * canvasWidth + p.x + c;
      if (isLit(v)) {
        image[at] = v;
        mask[at] = p.label + 1;
      } else if (v > image[at]) {
        image[at] = v;
      }
    }
  }
}

/** The tight box around an item's lit pixels on the canvas (end exclusive). */
function litBox({ placement: p, pixels }: PlacedItem): SceneBox {
  let [r0, c0, r1, c1] = [p.height, p.width, -1, -1];
  for (let r = 0; r < p.height; r++) {
    for (let c = 0; c < p.width; c++) {
      if (!isLit(pixels[r * p.width + c])) continue;
      r0 = Math.min(r0, r);
      r1 = Math.max(r1, r);
      c0 = Math.min(c0, c);
      c1 = Math.max(c1, c);
    }
  }
  return { x0: p.x + c0, y0: p.y + r0, x1: p.x + c1 + 1, y1: p.y + r1 + 1, label: p.label };
}

/** Scenes over one split of Fashion-MNIST, found as fashion-mnist.ts finds it (dataDir, $ATROUS_DATA, Debian, embedded). */
export function loadFashionScenes(split: 'train' | 'test', opts: SceneOptions & { data?: string } = {}): FashionScenes {
  const { data, ...sceneOpts } = opts;
  return new FashionScenes(loadSplit(locateFashionMnist(data).dir, split), { ...sceneOpts, split });
}

export interface SceneLoaderOptions {
  batchSize: number;
  /** Shuffle the scene order each epoch (by seed and epoch; the scenes themselves never change). */
  shuffle?: boolean;
  seed?: number;
  /** Normalisation of pixel values in [0, 1]: (v - mean) / std. Default 0 and 1. */
  mean?: number;
  std?: number;
  /** Only the first `limit` scenes (a quick run). */
  limit?: number;
}

export interface SceneBatch {
  /** N × 1 × H × W, normalised. */
  images: Tensor;
  /** N × H × W labels in [0, 10], row-major. */
  masks: Int32Array;
  /** Per scene, its items' boxes in drawing order. */
  boxes: SceneBox[][];
  /** The batch's position in the epoch. */
  index: number;
}

/** Batches of scenes, rendered when asked for; the order is ImageLoader's (epochOrder). */
export class SceneLoader {
  readonly scenes: FashionScenes;
  readonly batchSize: number;
  readonly size: number;
  private readonly shuffle: boolean;
  private readonly seed: number;
  private readonly scale: number;
  private readonly shift: number;

  constructor(scenes: FashionScenes, opts: SceneLoaderOptions) {
    const op = 'SceneLoader';
    const { batchSize, shuffle, seed, scale, shift, limit } = checkBatchOptions(op, opts);
    this.scenes = scenes;
    this.batchSize = batchSize;
    this.size = Math.min(scenes.count, limit ?? scenes.count);
    this.shuffle = shuffle;
    this.seed = seed;
    this.scale = scale;
    this.shift = shift;
  }

  /** Batches per epoch (the last one may be smaller). */
  get numBatches(): number {
    return Math.ceil(this.size / this.batchSize);
  }

  /** The batches of an epoch, from batch `start` on (to resume mid-epoch). */
  *epoch(epoch: number, start = 0): Generator<SceneBatch> {
    const order = epochOrder(this.size, this.shuffle, this.seed, epoch);
    for (let b = start; b < this.numBatches; b++) {
      yield { ...this.gather(order.subarray(b * this.batchSize, Math.min(this.size, (b + 1) * this.batchSize))), index: b };
    }
  }

  /** The given scenes as one batch; pixels are normalised in one native pass, as ImageLoader's. */
  gather(indices: ArrayLike<number>): Omit<SceneBatch, 'index'> {
    const { height: h, width: w } = this.scenes;
    const n = indices.length;
    const bytes = new Uint8Array(n * h * w);
    const masks = new Int32Array(n * h * w);
    const boxes: SceneBox[][] = [];
    for (let i = 0; i < n; i++) {
      const scene = this.scenes.scene(indices[i]);
      bytes.set(scene.image, i * h * w);
      masks.set(scene.mask, i * h * w);
      boxes.push(scene.boxes);
    }
    const images = new Float32Array(n * h * w);
    const all = Int32Array.from({ length: n }, (_, i) => i);
    native().gatherImageBatch(bytes, [n, h, w], all, this.scale, this.shift, 0, null, images);
    return { images: new Tensor(images, [n, 1, h, w]), masks, boxes };
  }
}

/** Pixels per label (0 background, 1-10 the classes) over the first `limit` scenes (default 1000). */
export function labelCounts(scenes: FashionScenes, limit = Math.min(scenes.count, 1000)): Float64Array {
  if (!Number.isInteger(limit) || limit < 1 || limit > scenes.count) {
    throw new RangeError(`labelCounts: limit expects an integer in [1, ${scenes.count}], but got ${describeValue(limit)}`);
  }
  const counts = new Float64Array(SCENE_LABELS);
  for (let i = 0; i < limit; i++) for (const label of scenes.scene(i).mask) counts[label]++;
  return counts;
}

/**
 * Loss weights per label from pixel counts (for crossEntropy's weight; `--class-weights auto` uses
 * 'median'). With f_c = count_c / total:
 *   'median'  median-frequency balancing (Eigen & Fergus 2015): w_c = median_k f_k / f_c, the median
 *             over the labels that occur; a label at the median frequency weighs 1.
 *   'inverse' w_c = 1 / (C · f_c): 1 for every label when all are equally frequent.
 * A label that never occurs gets the largest weight of those that do (it is rare, not absent).
 */
export function classWeights(counts: ArrayLike<number>, method: 'median' | 'inverse' = 'median'): Float32Array {
  const op = 'classWeights';
  if (method !== 'median' && method !== 'inverse') throw new RangeError(`${op}: method expects 'median' or 'inverse', but got ${describeValue(method)}`);
  const values = Array.from(counts);
  const bad = values.findIndex((v) => !Number.isFinite(v) || v < 0);
  if (bad >= 0) throw new RangeError(`${op}: counts[${bad}] expects a finite number >= 0, but got ${describeValue(values[bad])}`);
  const total = values.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError(`${op}: counts expects at least one nonzero count, but all ${values.length} are 0`);
  const freq = values.map((v) => v / total);
  const seen = freq.filter((f) => f > 0).sort((a, b) => a - b);
  const mid = seen.length >> 1;
  const reference = method === 'median' ? (seen.length % 2 ? seen[mid] : (seen[mid - 1] + seen[mid]) / 2) : 1 / values.length;
  const weights = freq.map((f) => (f > 0 ? reference / f : 0));
  const largest = Math.max(...weights);
  return Float32Array.from(weights, (w, c) => (freq[c] > 0 ? w : largest));
}
