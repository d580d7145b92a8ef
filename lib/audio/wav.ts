// WAV (RIFF/WAVE) reading and writing: PCM 8/16/24/32-bit and IEEE float 32, plain or
// WAVE_FORMAT_EXTENSIBLE, any number of channels (read as their mean: mono). A small reader of our own:
// the npm `wavefile` (11.0.0) reads a truncated data chunk silently and decodes an extensible float
// file as integers, and a reader that names what is wrong with a file is most of the work anyway.
// Samples are floats in [-1, 1): integer PCM divided by 2^(bits-1) (8-bit is unsigned, offset 128),
// the convention of soundfile and torchaudio.
import * as fs from 'node:fs';
import { resample } from './resample';

export type WavEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32';

export const WAV_ENCODINGS: readonly WavEncoding[] = ['pcm8', 'pcm16', 'pcm24', 'pcm32', 'float32'];

export interface WavAudio {
  /** Mono samples (the mean of the file's channels). */
  samples: Float32Array;
  sampleRate: number;
  /** What the file held. */
  encoding: WavEncoding;
  channels: number;
}

export interface ReadWavOptions {
  /** The rate wanted: a file at another rate is resampled to it (see `resample`), or refused when resample is false. */
  sampleRate?: number;
  /** Default true. */
  resample?: boolean;
}

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = { 0x0002: 'Microsoft ADPCM', 0x0006: 'A-law', 0x0007: 'mu-law', 0x0011: 'IMA ADPCM', 0x0055: 'MP3', 0x0031: 'GSM 6.10' };
// The 14 bytes after the format code in an extensible file's SubFormat GUID (KSDATAFORMAT_SUBTYPE_*).
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

function printable(s: string): string {
  return JSON.stringify(s.replace(/[^\x20-\x7e]/g, '?'));
}

interface WavFormat {
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  bytesPerSample: number;
}

function parseFormat(bytes: Uint8Array, at: number, size: number, fail: (why: string) => never): WavFormat {
  if (size < 16) fail(`its fmt chunk is ${size} bytes, fewer than the 16 a WAV format needs`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, size);
  let code = view.getUint16(0, true);
  const channels = view.getUint16(2, true);
  const sampleRate = view.getUint32(4, true);
  const blockAlign = view.getUint16(12, true);
  const bits = view.getUint16(14, true);
  if (code === FORMAT_EXTENSIBLE) {
    if (size < 40) fail(`it is WAVE_FORMAT_EXTENSIBLE but its fmt chunk is ${size} bytes, fewer than 40`);
    code = view.getUint16(24, true);
    for (let i = 0; i < GUID_TAIL.length; i++) {
      if (bytes[at + 26 + i] !== GUID_TAIL[i]) fail('it is WAVE_FORMAT_EXTENSIBLE with a SubFormat GUID that is not a WAVE format code: unsupported encoding');
    }
  }
  if (code !== FORMAT_PCM && code !== FORMAT_FLOAT) {
    const name = FORMAT_NAMES[code] ? ` (${FORMAT_NAMES[code]})` : '';
    fail(`unsupported encoding: format ${hex4(code)}${name}; supported are PCM (8, 16, 24, 32-bit) and IEEE float 32`);
  }
  let encoding: WavEncoding;
  if (code === FORMAT_FLOAT) {
    if (bits !== 32) fail(`unsupported encoding: IEEE float of ${bits} bits (only 32-bit float is supported)`);
    encoding = 'float32';
  } else {
    if (bits !== 8 && bits !== 16 && bits !== 24 && bits !== 32) fail(`unsupported encoding: PCM of ${bits} bits (supported: 8, 16, 24, 32)`);
    encoding = `pcm${bits}` as WavEncoding;
  }
  if (channels < 1) fail('its fmt chunk declares 0 channels');
  if (sampleRate < 1) fail('its fmt chunk declares a sample rate of 0');
  const bytesPerSample = bits / 8;
  if (blockAlign !== channels * bytesPerSample) fail(`its block align is ${blockAlign}, but ${channels} channel(s) of ${bits} bits need ${channels * bytesPerSample}`);
  return { encoding, channels, sampleRate, bytesPerSample };
}

/** One sample at byte offset `at`, as a float. */
function sampleReader(encoding: WavEncoding, view: DataView): (at: number) => number {
  switch (encoding) {
    case 'pcm8':
      return (at) => (view.getUint8(at) - 128) / 128;
    case 'pcm16':
      return (at) => view.getInt16(at, true) / 32768;
    case 'pcm24':
      return (at) => ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 8388608);
    case 'pcm32':
      return (at) => view.getInt32(at, true) / 2147483648;
    case 'float32':
      return (at) => view.getFloat32(at, true);
  }
}

/** Decodes WAV bytes; `name` (a file name) starts every error message. */
export function decodeWav(bytes: Uint8Array, name = 'WAV data'): WavAudio {
  const fail = (why: string): never => {
    throw new Error(`${name}: ${why}`);
  };
  if (bytes.length < 12) fail(`not a WAV file: ${bytes.length} bytes, too short for a RIFF header (truncated?)`);
  if (fourcc(bytes, 0) !== 'RIFF' || fourcc(bytes, 8) !== 'WAVE') {
    fail(`not a WAV file: it starts with ${printable(fourcc(bytes, 0))}…${printable(fourcc(bytes, 8))}, not "RIFF"…"WAVE"`);
  }
  let format: WavFormat | null = null;
  let at = 12;
  while (true) {
    if (at + 8 > bytes.length) fail(format ? 'no data chunk before the end of the file (truncated?)' : 'no fmt chunk before the end of the file (truncated?)');
    const id = fourcc(bytes, at);
    const size = new DataView(bytes.buffer, bytes.byteOffset + at + 4, 4).getUint32(0, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (body + size > bytes.length) fail(`its fmt chunk declares ${size} bytes but only ${bytes.length - body} remain (truncated?)`);
      format = parseFormat(bytes, body, size, fail);
    } else if (id === 'data') {
      if (!format) fail('its data chunk comes before any fmt chunk');
      const f = format!;
      if (body + size > bytes.length) fail(`its data chunk declares ${size} bytes but only ${bytes.length - body} remain (truncated)`);
      const frameBytes = f.channels * f.bytesPerSample;
      if (size % frameBytes !== 0) fail(`its data chunk of ${size} bytes is not a whole number of ${frameBytes}-byte frames (truncated?)`);
      const frames = size / frameBytes;
      if (frames === 0) fail('it holds no audio (zero-length data chunk)');
      const read = sampleReader(f.encoding, new DataView(bytes.buffer, bytes.byteOffset + body, size));
      const samples = new Float32Array(frames);
      for (let i = 0, p = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < f.channels; c++, p += f.bytesPerSample) sum += read(p);
        samples[i] = sum / f.channels;
      }
      return { samples, sampleRate: f.sampleRate, encoding: f.encoding, channels: f.channels };
    }
    at = body + size + (size & 1); // chunks are padded to an even length
  }
}

/** Reads a WAV file as mono samples, resampled to opts.sampleRate when given. Errors name the file. */
export function readWav(file: string, opts: ReadWavOptions = {}): WavAudio {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read: ${(e as Error).message}`);
  }
  const wav = decodeWav(bytes, file);
  const rate = opts.sampleRate;
  if (rate === undefined || rate === wav.sampleRate) return wav;
  if (opts.resample === false) throw new Error(`${file}: its sample rate is ${wav.sampleRate} Hz, but ${rate} Hz was asked for (and resampling is off)`);
  let samples: Float32Array;
  try {
    samples = resample(wav.samples, wav.sampleRate, rate);
  } catch (e) {
    throw new Error(`${file}: cannot resample its ${wav.sampleRate} Hz to ${rate} Hz: ${(e as Error).message}`, { cause: e });
  }
  return { ...wav, samples, sampleRate: rate };
}

export interface WriteWavOptions {
  /** Default 'pcm16'. Integer encodings round and clip to their range. */
  encoding?: WavEncoding;
  /** Write a WAVE_FORMAT_EXTENSIBLE header (default: only where the format needs it, never here). */
  extensible?: boolean;
}

function writeSample(view: DataView, at: number, v: number, encoding: WavEncoding): void {
  const clip = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);
  switch (encoding) {
    case 'pcm8':
      return view.setUint8(at, clip(Math.round(v * 128) + 128, 0, 255));
    case 'pcm16':
      return view.setInt16(at, clip(Math.round(v * 32768), -32768, 32767), true);
    case 'pcm24': {
      const q = clip(Math.round(v * 8388608), -8388608, 8388607);
      view.setUint8(at, q & 0xff);
      view.setUint8(at + 1, (q >> 8) & 0xff);
      view.setInt8(at + 2, q >> 16);
      return;
    }
    case 'pcm32':
      return view.setInt32(at, clip(Math.round(v * 2147483648), -2147483648, 2147483647), true);
    case 'float32':
      return view.setFloat32(at, v, true);
  }
}

/** WAV bytes of one channel (a Float32Array) or several (an array of equal-length ones), values in [-1, 1]. */
export function encodeWav(channels: Float32Array | readonly Float32Array[], sampleRate: number, opts: WriteWavOptions = {}): Uint8Array {
  const op = 'encodeWav';
  const chans = channels instanceof Float32Array ? [channels] : channels;
  const encoding = opts.encoding ?? 'pcm16';
  if (!WAV_ENCODINGS.includes(encoding)) throw new Error(`${op}: encoding expects one of ${WAV_ENCODINGS.join(', ')}, but got ${JSON.stringify(encoding)}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0xffffffff) throw new RangeError(`${op}: sampleRate expects a positive integer, but got ${sampleRate}`);
  if (chans.length < 1 || chans.length > 0xffff) throw new RangeError(`${op}: expects 1 to 65535 channels, but got ${chans.length}`);
  const frames = chans[0].length;
  for (const [c, ch] of chans.entries()) {
    if (!(ch instanceof Float32Array)) throw new TypeError(`${op}: channel ${c} expects a Float32Array`);
    if (ch.length !== frames) throw new RangeError(`${op}: channel ${c} has ${ch.length} samples, channel 0 has ${frames}`);
    for (let i = 0; i < frames; i++) if (!Number.isFinite(ch[i])) throw new RangeError(`${op}: channel ${c} sample ${i} is ${ch[i]}, not a finite number`);
  }
  const bytesPerSample = encoding === 'float32' ? 4 : Number(encoding.slice(3)) / 8;
  const blockAlign = chans.length * bytesPerSample;
  const dataBytes = frames * blockAlign;
  const extensible = opts.extensible ?? false;
  const fmtBytes = extensible ? 40 : 16;
  const total = 12 + 8 + fmtBytes + 8 + dataBytes + (dataBytes & 1);
  if (total - 8 > 0xffffffff) throw new RangeError(`${op}: ${dataBytes} bytes of audio do not fit a WAV file (4 GiB at most)`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const setId = (at: number, id: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = id.charCodeAt(i);
  };
  setId(0, 'RIFF');
  view.setUint32(4, total - 8, true);
  setId(8, 'WAVE');
  setId(12, 'fmt ');
  view.setUint32(16, fmtBytes, true);
  const code = encoding === 'float32' ? FORMAT_FLOAT : FORMAT_PCM;
  view.setUint16(20, extensible ? FORMAT_EXTENSIBLE : code, true);
  view.setUint16(22, chans.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bytesPerSample * 8, true);
  if (extensible) {
    view.setUint16(36, 22, true); // cbSize
    view.setUint16(38, bytesPerSample * 8, true); // valid bits
    view.setUint32(40, 0, true); // channel mask: unspecified
    view.setUint16(44, code, true);
    out.set(GUID_TAIL, 46);
  }
  const dataAt = 20 + fmtBytes;
  setId(dataAt, 'data');
  view.setUint32(dataAt + 4, dataBytes, true);
  for (let i = 0, p = dataAt + 8; i < frames; i++) {
    for (const ch of chans) {
      writeSample(view, p, ch[i], encoding);
      p += bytesPerSample;
    }
  }
  return out;
}

/** Writes a WAV file (see encodeWav). */
export function writeWav(file: string, channels: Float32Array | readonly Float32Array[], sampleRate: number, opts: WriteWavOptions = {}): void {
  fs.writeFileSync(file, encodeWav(channels, sampleRate, opts));
}
