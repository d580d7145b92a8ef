// `atrous listen`: spoken-word recognition from a stream. The causal WaveNet of a `train --task speech
// --causal` run is opened with at.nn.stream; audio arrives in 100 ms chunks (a WAV file, optionally at
// real-time pace, or stdin: raw 16-bit little-endian mono PCM at the model's rate, or a whole WAV),
// each chunk costs one pass of only its new samples through every layer's cached history, and the
// per-step logits are averaged per 10 ms block (natively, avgPool1d). A word is printed when the softmax
// of the mean logits over the last second (what the model was trained to classify) passes a threshold;
// the same word fires again only after its posterior fell below the threshold, and no word fires within
// a quarter second of the last (a refractory period).
import { resample } from '../audio/resample';
import { decodeWav, readWav } from '../audio/wav';
import { Tensor } from '../core/tensor';
import { loadCheckpoint } from '../io/checkpoint';
import { muLawInput, WaveNetClassifier, type WaveNetOptions } from '../models/wavenet';
import { stream } from '../nn/stream';
import { avgPool1d } from '../ops/pool';
import { speechModel, type SpeechSpec } from './tasks/speech';
import { readRunState } from './train';

export interface ListenOptions {
  checkpoint: string;
  /** A WAV file, or '-' for stdin. */
  input: string;
  /** Feed a file at real-time pace (sleeping between chunks) as a live source would. */
  realtime?: boolean;
  /** The smoothed posterior a word must reach. Default 0.8. */
  threshold?: number;
  /** stdin (for '-'): any byte stream. Default process.stdin. */
  stdin?: AsyncIterable<Uint8Array>;
}

export interface RecognisedWord {
  word: string;
  /** Where in the audio (seconds from the start) the word was recognised. */
  at: number;
  probability: number;
}

export interface ListenResult {
  words: RecognisedWord[];
  audioSeconds: number;
  /** Time spent in the model and the recogniser (not waiting for audio). */
  computeSeconds: number;
}

const CHUNK_MS = 100;
const BLOCK_MS = 10;

/** Chunks of samples at `rate`, from a WAV file or stdin; errors name the source and what was wrong. */
async function* audioChunks(opts: ListenOptions, rate: number, chunk: number, warn: (line: string) => void): AsyncGenerator<Float32Array> {
  if (opts.input !== '-') {
    const wav = readWav(opts.input);
    if (wav.sampleRate !== rate) warn(`listen: ${opts.input} is at ${wav.sampleRate} Hz; the model listens at ${rate} Hz: resampling`);
    const samples = wav.sampleRate === rate ? wav.samples : resample(wav.samples, wav.sampleRate, rate);
    for (let at = 0; at < samples.length; at += chunk) {
      if (opts.realtime && at > 0) await new Promise((resolve) => setTimeout(resolve, CHUNK_MS));
      yield samples.subarray(at, Math.min(samples.length, at + chunk));
    }
    return;
  }
  const source = opts.stdin ?? (process.stdin as AsyncIterable<Uint8Array>);
  let pending = new Uint8Array(0);
  let wavParts: Uint8Array[] | null = null;
  let total = 0;
  for await (const part of source) {
    total += part.length;
    if (wavParts) {
      wavParts.push(part);
      continue;
    }
    const joined = new Uint8Array(pending.length + part.length);
    joined.set(pending);
    joined.set(part, pending.length);
    pending = joined;
    if (total < 4) continue;
    if (total === pending.length && String.fromCharCode(...pending.subarray(0, 4)) === 'RIFF') {
      wavParts = [pending]; // a WAV on stdin: its header says the rate; read whole, then streamed
      continue;
    }
    const whole = Math.floor(pending.length / (2 * chunk)) * 2 * chunk;
    for (let at = 0; at < whole; at += 2 * chunk) yield pcm16(pending.subarray(at, at + 2 * chunk));
    pending = pending.slice(whole);
  }
  if (wavParts) {
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of wavParts) bytes.set(p, (at += p.length) - p.length);
    const wav = decodeWav(bytes, 'stdin');
    if (wav.sampleRate !== rate) warn(`listen: stdin is at ${wav.sampleRate} Hz; the model listens at ${rate} Hz: resampling`);
    const samples = wav.sampleRate === rate ? wav.samples : resample(wav.samples, wav.sampleRate, rate);
    for (let s = 0; s < samples.length; s += chunk) yield samples.subarray(s, Math.min(samples.length, s + chunk));
    return;
  }
  if (total === 0) throw new Error(`stdin: no audio (expected raw 16-bit little-endian mono PCM at ${rate} Hz, or a WAV file)`);
  if (pending.length % 2 !== 0) {
    throw new Error(`stdin: the stream stopped in the middle of a sample (${total} bytes, an odd count; expected raw 16-bit little-endian mono PCM at ${rate} Hz)`);
  }
  if (pending.length > 0) yield pcm16(pending);
}

function pcm16(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Float32Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, true) / 32768;
  return out;
}

/** Word decisions from 10 ms blocks of mean per-step logits: softmax of their mean over the last window. */
export class WordSpotter {
  readonly #sums: Float64Array;
  readonly #ring: Float32Array;
  #filled = 0;
  #head = 0;
  #block = 0;
  /** The word above the threshold now (-1: none): it fired when it got there. */
  #active = -1;
  #lastFired = -Infinity;

  constructor(readonly words: string[], readonly windowBlocks: number, readonly threshold: number, readonly blockSeconds: number) {
    this.#sums = new Float64Array(words.length);
    this.#ring = new Float32Array(words.length * windowBlocks);
  }

  /** blocks: classes × B block means (row-major); returns the words recognised in them. */
  push(blocks: Float32Array, count: number): RecognisedWord[] {
    const k = this.words.length;
    const found: RecognisedWord[] = [];
    for (let b = 0; b < count; b++, this.#block++) {
      for (let c = 0; c < k; c++) {
        const v = blocks[c * count + b];
        this.#sums[c] += v - this.#ring[this.#head * k + c];
        this.#ring[this.#head * k + c] = v;
      }
      this.#head = (this.#head + 1) % this.windowBlocks;
      this.#filled = Math.min(this.windowBlocks, this.#filled + 1);
      let best = 0;
      for (let c = 1; c < k; c++) if (this.#sums[c] > this.#sums[best]) best = c;
      let z = 0;
      for (let c = 0; c < k; c++) z += Math.exp((this.#sums[c] - this.#sums[best]) / this.#filled);
      const p = 1 / z;
      const above = p >= this.threshold ? best : -1;
      if (above >= 0 && above !== this.#active && this.#block - this.#lastFired >= this.windowBlocks / 4) {
        this.#lastFired = this.#block;
        found.push({ word: this.words[best], at: (this.#block + 1) * this.blockSeconds, probability: p });
      }
      this.#active = above;
    }
    return found;
  }
}

export async function listen(opts: ListenOptions, print: (line: string) => void, warn: (line: string) => void): Promise<ListenResult> {
  const run = readRunState(opts.checkpoint);
  const spec = run.spec as SpeechSpec | undefined;
  if (run.task !== 'speech' || !spec) throw new Error(`${opts.checkpoint} is a ${run.task} run; listen needs a causal speech checkpoint (atrous train --task speech --causal)`);
  if ((spec.model as WaveNetOptions).readout !== 'steps') {
    throw new Error(`${opts.checkpoint} holds the pooled WaveNet, which needs whole clips; listen streams the causal one: train it with \`atrous train --task speech --causal\``);
  }
  const model = speechModel('speech', spec) as WaveNetClassifier;
  loadCheckpoint(opts.checkpoint, { model });
  model.eval();
  const rate = spec.sampleRate;
  const chunk = Math.round((rate * CHUNK_MS) / 1000);
  const block = Math.round((rate * BLOCK_MS) / 1000);
  const spotter = new WordSpotter(spec.labels, Math.max(1, Math.round(spec.length / block)), opts.threshold ?? 0.8, block / rate);
  const words: RecognisedWord[] = [];
  let samples = 0;
  let compute = 0n;
  const s = stream(model.net);
  try {
    for await (const audio of audioChunks(opts, rate, chunk, warn)) {
      const started = process.hrtime.bigint();
      samples += audio.length;
      const logits = s.push(new Tensor(muLawInput(audio), [1, 1, audio.length]));
      const blocks = Math.floor(audio.length / block); // a last partial chunk's tail (< 10 ms) is not scored
      const found = blocks > 0 ? spotter.push(avgPool1d(logits, block).toFloat32Array(), blocks) : [];
      compute += process.hrtime.bigint() - started;
      for (const w of found) print(`${w.at.toFixed(2)} s  ${w.word}  (p ${w.probability.toFixed(2)})`);
      words.push(...found);
    }
  } finally {
    s.close();
  }
  if (samples === 0) throw new Error(`${opts.input === '-' ? 'stdin' : opts.input}: no audio`);
  return { words, audioSeconds: samples / rate, computeSeconds: Number(compute) / 1e9 };
}
