// Batches of token ids for text models. Classification: whole texts, padded (id 0) to the batch's
// longest and cut at maxLength. Language modelling: windows of a long id stream, each with its
// next-token targets. Orders are seeded by (seed, epoch), as the image loader's.
import { describeValue, isInteger } from '../core/shape-checks';
import { shuffleInPlace, splitmix32 } from './loader';
import { PAD_ID } from './text-vocabulary';

export interface TextBatch {
  /** batch × length token ids, row-major, PAD_ID after each text's end. */
  tokens: Int32Array;
  batch: number;
  length: number;
  /** Each text's length before padding (after the cap). */
  lengths: Int32Array;
  /** One class id per text, when labelled. */
  labels: Int32Array | null;
}

export interface TextLoaderOptions {
  batchSize: number;
  /** Longer texts are cut to their first maxLength tokens. */
  maxLength: number;
  shuffle?: boolean;
  seed?: number;
}

function expectPositive(op: string, arg: string, v: unknown): number {
  if (!isInteger(v) || v < 1) throw new RangeError(`${op}: ${arg} expects an integer >= 1, but got ${describeValue(v)}`);
  return v;
}

export class TextLoader {
  readonly #texts: readonly Int32Array[];
  readonly #labels: Int32Array | null;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly #shuffle: boolean;
  readonly #seed: number;

  constructor(texts: readonly Int32Array[], labels: Int32Array | null, opts: TextLoaderOptions) {
    const op = 'TextLoader';
    if (!Array.isArray(texts) || texts.length === 0) throw new RangeError(`${op}: texts expects a non-empty array of Int32Array, but got ${describeValue(texts)}`);
    if (labels !== null && labels.length !== texts.length) throw new RangeError(`${op}: labels expects ${texts.length} ids (one per text), but got ${labels.length}`);
    this.#texts = texts;
    this.#labels = labels;
    this.batchSize = expectPositive(op, 'opts.batchSize', opts.batchSize);
    this.maxLength = expectPositive(op, 'opts.maxLength', opts.maxLength);
    this.#shuffle = opts.shuffle ?? false;
    this.#seed = opts.seed ?? 0;
  }

  get size(): number {
    return this.#texts.length;
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.size / this.batchSize);
  }

  *epoch(epoch: number): Generator<TextBatch> {
    const order = Int32Array.from({ length: this.size }, (_, i) => i);
    if (this.#shuffle) shuffleInPlace(order, splitmix32(this.#seed * 1000003 + epoch));
    for (let b0 = 0; b0 < this.size; b0 += this.batchSize) {
      const idx = order.subarray(b0, Math.min(this.size, b0 + this.batchSize));
      const lengths = Int32Array.from(idx, (i) => Math.min(this.#texts[i].length, this.maxLength));
      const length = Math.max(1, ...lengths);
      const tokens = new Int32Array(idx.length * length).fill(PAD_ID);
      idx.forEach((i, r) => tokens.set(this.#texts[i].subarray(0, lengths[r]), r * length));
      const labels = this.#labels ? Int32Array.from(idx, (i) => this.#labels![i]) : null;
      yield { tokens, batch: idx.length, length, lengths, labels };
    }
  }
}

export interface LmBatch {
  /** batch × length input ids. */
  inputs: Int32Array;
  /** batch × length next-token ids: targets[r, t] = stream[start_r + t + 1]. */
  targets: Int32Array;
  batch: number;
  length: number;
}

/** An epoch of next-token windows over one id stream: non-overlapping windows in seeded order. */
export function* languageModelEpoch(stream: Int32Array, opts: { batchSize: number; length: number; seed?: number; epoch: number }): Generator<LmBatch> {
  const op = 'languageModelEpoch';
  const batchSize = expectPositive(op, 'opts.batchSize', opts.batchSize);
  const length = expectPositive(op, 'opts.length', opts.length);
  const windows = Math.floor((stream.length - 1) / length);
  if (windows < 1) throw new RangeError(`${op}: the text has ${stream.length} tokens, fewer than one window of ${length} + 1`);
  const order = shuffleInPlace(Int32Array.from({ length: windows }, (_, i) => i), splitmix32((opts.seed ?? 0) * 1000003 + opts.epoch));
  for (let b0 = 0; b0 + batchSize <= windows; b0 += batchSize) {
    const inputs = new Int32Array(batchSize * length);
    const targets = new Int32Array(batchSize * length);
    for (let r = 0; r < batchSize; r++) {
      const start = order[b0 + r] * length;
      inputs.set(stream.subarray(start, start + length), r * length);
      targets.set(stream.subarray(start + 1, start + 1 + length), r * length);
    }
    yield { inputs, targets, batch: batchSize, length };
  }
}
