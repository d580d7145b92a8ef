// Batches of fixed-length waveforms (N × 1 × T) or log-mel spectrograms (N × nMels × frames) with
// int32 labels. Each clip is cropped or zero-padded to T samples: at a seeded random offset when
// shuffling (training), centred otherwise. Orders and offsets are functions of (seed, epoch), as the
// image loader's, so a resumed epoch sees the same batches.
import { logMelSpectrogram, resolveMelOptions, type MelOptions } from '../audio/mel';
import { describeValue } from '../core/shape-checks';
import { Tensor } from '../core/tensor';
import { shuffleInPlace, splitmix32 } from './loader';
import type { SpeechDataset } from './speech';

export interface SpeechLoaderOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  /** Samples per clip. Default: one second (the dataset's sample rate). */
  length?: number;
  /** Default 'waveform'. */
  features?: 'waveform' | 'logmel';
  /** For 'logmel'; defaults: 25 ms windows every 10 ms, nFft the next power of two, 40 mels, topDb 80. */
  mel?: MelOptions & { topDb?: number };
  /** Crop/pad at a random offset (default: when shuffling) or centred. */
  randomOffset?: boolean;
}

export interface SpeechBatch {
  x: Tensor;
  targets: Int32Array;
  index: number;
}

export class SpeechLoader {
  readonly dataset: SpeechDataset;
  readonly batchSize: number;
  readonly length: number;
  readonly features: 'waveform' | 'logmel';
  readonly mel: MelOptions & { topDb?: number };
  private readonly shuffle: boolean;
  private readonly seed: number;
  private readonly randomOffset: boolean;

  constructor(dataset: SpeechDataset, opts: SpeechLoaderOptions) {
    const op = 'SpeechLoader';
    const { batchSize, shuffle = false, seed = 0, length = dataset.sampleRate, features = 'waveform' } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${op}: batchSize expects an integer >= 1, but got ${describeValue(batchSize)}`);
    if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`${op}: seed expects an integer >= 0, but got ${describeValue(seed)}`);
    if (!Number.isInteger(length) || length < 1) throw new RangeError(`${op}: length expects an integer >= 1, but got ${describeValue(length)}`);
    if (features !== 'waveform' && features !== 'logmel') throw new RangeError(`${op}: features expects 'waveform' or 'logmel', but got ${describeValue(features)}`);
    if (dataset.clips.length === 0 || dataset.clips.length !== dataset.labels.length) {
      throw new RangeError(`${op}: dataset expects as many labels as clips (at least one), but got ${dataset.clips.length} clips and ${dataset.labels.length} labels`);
    }
    const rate = dataset.sampleRate;
    const win = Math.round(0.025 * rate);
    this.mel = { sampleRate: rate, nFft: 2 ** Math.ceil(Math.log2(win)), winLength: win, hopLength: Math.round(0.01 * rate), nMels: 40, topDb: 80, ...opts.mel };
    if (features === 'logmel') resolveMelOptions(this.mel); // checks the options now, not at the first batch
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.length = length;
    this.features = features;
    this.shuffle = shuffle;
    this.seed = seed;
    this.randomOffset = opts.randomOffset ?? shuffle;
  }

  get size(): number {
    return this.dataset.clips.length;
  }

  get numBatches(): number {
    return Math.ceil(this.size / this.batchSize);
  }

  order(epoch: number): Int32Array {
    const idx = Int32Array.from({ length: this.size }, (_, i) => i);
    if (this.shuffle) shuffleInPlace(idx, splitmix32(this.seed * 1000003 + epoch));
    return idx;
  }

  /** Clip i cropped or zero-padded to `length` samples, the offset drawn from u in [0, 1). */
  fixedLength(i: number, u: number | null): Float32Array {
    const clip = this.dataset.clips[i];
    const T = this.length;
    const slack = Math.abs(clip.length - T);
    const offset = u === null ? Math.floor(slack / 2) : Math.floor(u * (slack + 1));
    if (clip.length >= T) return clip.slice(offset, offset + T);
    const out = new Float32Array(T);
    out.set(clip, offset);
    return out;
  }

  *epoch(epoch: number, start = 0): Generator<SpeechBatch> {
    const order = this.order(epoch);
    const rand = splitmix32(this.seed * 7919 + epoch * 104729 + 1);
    for (let b = 0; b < this.numBatches; b++) {
      const indices = order.subarray(b * this.batchSize, Math.min(this.size, (b + 1) * this.batchSize));
      // Offsets are drawn for every batch, even skipped ones, so a resumed epoch matches.
      const offsets = Array.from(indices, () => (this.randomOffset ? rand() : null));
      if (b < start) continue;
      yield { ...this.gather(indices, offsets), index: b };
    }
  }

  /** One batch of the given clips (centred when offsets are left out). */
  gather(indices: Int32Array, offsets: (number | null)[] = []): { x: Tensor; targets: Int32Array } {
    const n = indices.length;
    const targets = Int32Array.from(indices, (i) => this.dataset.labels[i]);
    const waves = Array.from(indices, (i, k) => this.fixedLength(i, offsets[k] ?? null));
    if (this.features === 'waveform') {
      const x = new Float32Array(n * this.length);
      waves.forEach((w, k) => x.set(w, k * this.length));
      return { x: new Tensor(x, [n, 1, this.length]), targets };
    }
    const specs = waves.map((w) => logMelSpectrogram(w, this.mel));
    const { nMels, frames } = specs[0];
    const x = new Float32Array(n * nMels * frames);
    specs.forEach((s, k) => x.set(s.data, k * nMels * frames));
    return { x: new Tensor(x, [n, nMels, frames]), targets };
  }
}
