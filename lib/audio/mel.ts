// Mel spectrograms as torchaudio.transforms.MelSpectrogram computes them: a centred STFT (reflect
// padding by nFft/2, a periodic Hann window of winLength zero-padded to nFft in the middle), power
// |X|², then a triangular mel filterbank (torchaudio.functional.melscale_fbanks; HTK mel by default,
// Slaney's on request, optional Slaney area normalisation). The FFT is fft.js (radix-4, real input),
// so nFft must be a power of two: torchaudio's default nFft = 400 becomes nFft = 512 with
// winLength = 400 — the same frames and window, on a finer frequency grid.
// logMelSpectrogram is torchaudio's AmplitudeToDB for power: 10·log10(max(mel, 1e-10)), topDb optional.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- fft.js is CommonJS with `export =` typings
import FFT = require('fft.js');

export type MelScale = 'htk' | 'slaney';

export interface MelOptions {
  sampleRate?: number;
  /** FFT size, a power of two >= 4. Default 512. */
  nFft?: number;
  /** Window length, <= nFft. Default min(400, nFft). */
  winLength?: number;
  /** Default winLength / 2 (floored). */
  hopLength?: number;
  nMels?: number;
  fMin?: number;
  /** Default sampleRate / 2. */
  fMax?: number;
  /** Default 'htk' (torchaudio's default). */
  melScale?: MelScale;
  /** 'slaney': divide each triangle by its width in Hz (area 1). Default null (peak 1), as torchaudio. */
  norm?: 'slaney' | null;
  /** Pad by nFft/2 on both sides (reflect) so frame t is centred on sample t·hop. Default true. */
  center?: boolean;
}

export interface Spectrogram {
  /** nMels × frames, row-major. */
  data: Float32Array;
  nMels: number;
  frames: number;
}

type ResolvedMel = Required<Omit<MelOptions, 'norm'>> & { norm: 'slaney' | null };

export function resolveMelOptions(opts: MelOptions = {}): ResolvedMel {
  const op = 'melSpectrogram';
  const sampleRate = opts.sampleRate ?? 16000;
  const nFft = opts.nFft ?? 512;
  const winLength = opts.winLength ?? Math.min(400, nFft);
  const hopLength = opts.hopLength ?? Math.floor(winLength / 2);
  const r: ResolvedMel = {
    sampleRate,
    nFft,
    winLength,
    hopLength,
    nMels: opts.nMels ?? 128,
    fMin: opts.fMin ?? 0,
    fMax: opts.fMax ?? sampleRate / 2,
    melScale: opts.melScale ?? 'htk',
    norm: opts.norm ?? null,
    center: opts.center ?? true,
  };
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${op}: ${name} expects an integer >= ${min}, but got ${v}`);
  };
  int('sampleRate', sampleRate, 1);
  int('nFft', nFft, 4);
  if ((nFft & (nFft - 1)) !== 0) throw new RangeError(`${op}: nFft expects a power of two (the FFT is fft.js's radix-4), but got ${nFft}; use the next power of two with winLength = ${nFft}`);
  int('winLength', winLength, 1);
  if (winLength > nFft) throw new RangeError(`${op}: winLength expects at most nFft = ${nFft}, but got ${winLength}`);
  int('hopLength', hopLength, 1);
  int('nMels', r.nMels, 1);
  if (!(r.fMin >= 0 && r.fMin < r.fMax && r.fMax <= sampleRate / 2)) throw new RangeError(`${op}: expects 0 <= fMin < fMax <= sampleRate/2 = ${sampleRate / 2}, but got fMin ${r.fMin}, fMax ${r.fMax}`);
  if (r.melScale !== 'htk' && r.melScale !== 'slaney') throw new RangeError(`${op}: melScale expects 'htk' or 'slaney', but got ${JSON.stringify(r.melScale)}`);
  if (r.norm !== null && r.norm !== 'slaney') throw new RangeError(`${op}: norm expects null or 'slaney', but got ${JSON.stringify(r.norm)}`);
  return r;
}

export function hzToMel(f: number, scale: MelScale): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + f / 700);
  const fSp = 200 / 3; // Slaney: linear below 1 kHz, logarithmic above
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logstep = Math.log(6.4) / 27;
  return f >= minLogHz ? minLogMel + Math.log(f / minLogHz) / logstep : f / fSp;
}

export function melToHz(m: number, scale: MelScale): number {
  if (scale === 'htk') return 700 * (10 ** (m / 2595) - 1);
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logstep = Math.log(6.4) / 27;
  return m >= minLogMel ? minLogHz * Math.exp(logstep * (m - minLogMel)) : fSp * m;
}

/** The filterbank, nMels × (nFft/2 + 1), as torchaudio.functional.melscale_fbanks (transposed). */
export function melFilterbank(opts: MelOptions = {}): Float32Array {
  const { sampleRate, nFft, nMels, fMin, fMax, melScale, norm } = resolveMelOptions(opts);
  const nFreqs = nFft / 2 + 1;
  // torchaudio: linspace(0, sample_rate // 2, n_freqs)
  const nyquist = Math.floor(sampleRate / 2);
  const mMin = hzToMel(fMin, melScale);
  const mMax = hzToMel(fMax, melScale);
  const fPts = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) fPts[i] = melToHz(mMin + ((mMax - mMin) * i) / (nMels + 1), melScale);
  const fb = new Float32Array(nMels * nFreqs);
  for (let m = 0; m < nMels; m++) {
    const lo = fPts[m];
    const mid = fPts[m + 1];
    const hi = fPts[m + 2];
    const enorm = norm === 'slaney' ? 2 / (hi - lo) : 1;
    for (let k = 0; k < nFreqs; k++) {
      const f = (nyquist * k) / (nFreqs - 1);
      const down = (f - lo) / (mid - lo);
      const up = (hi - f) / (hi - mid);
      fb[m * nFreqs + k] = Math.max(0, Math.min(down, up)) * enorm;
    }
  }
  return fb;
}

/** The periodic Hann window of winLength, zero-padded on both sides to nFft (as torch.stft). */
function paddedHann(nFft: number, winLength: number): Float64Array {
  const w = new Float64Array(nFft);
  const left = Math.floor((nFft - winLength) / 2);
  for (let i = 0; i < winLength; i++) w[left + i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / winLength);
  return w;
}

/** Reflect-pads x by `pad` on both sides (numpy's 'reflect': the edge sample is not repeated). */
function reflectPad(x: Float32Array, pad: number): Float32Array {
  if (pad >= x.length) throw new RangeError(`melSpectrogram: center=true pads by nFft/2 = ${pad} (reflect), which needs more than ${pad} samples, but got ${x.length}`);
  const out = new Float32Array(x.length + 2 * pad);
  out.set(x, pad);
  for (let i = 1; i <= pad; i++) {
    out[pad - i] = x[i];
    out[pad + x.length - 1 + i] = x[x.length - 1 - i];
  }
  return out;
}

/** The power spectrogram |STFT|², (nFft/2 + 1) × frames. */
export function powerSpectrogram(x: Float32Array, opts: MelOptions = {}): { data: Float32Array; bins: number; frames: number } {
  const { nFft, winLength, hopLength, center } = resolveMelOptions(opts);
  const padded = center ? reflectPad(x, nFft / 2) : x;
  if (padded.length < nFft) throw new RangeError(`melSpectrogram: needs at least nFft = ${nFft} samples without center, but got ${x.length}`);
  const frames = 1 + Math.floor((padded.length - nFft) / hopLength);
  const bins = nFft / 2 + 1;
  const window = paddedHann(nFft, winLength);
  const fft = new FFT(nFft);
  const frame = new Array<number>(nFft);
  const spectrum = fft.createComplexArray() as number[];
  const out = new Float32Array(bins * frames);
  for (let t = 0; t < frames; t++) {
    const start = t * hopLength;
    for (let i = 0; i < nFft; i++) frame[i] = padded[start + i] * window[i];
    fft.realTransform(spectrum, frame);
    for (let k = 0; k < bins; k++) out[k * frames + t] = spectrum[2 * k] ** 2 + spectrum[2 * k + 1] ** 2;
  }
  return { data: out, bins, frames };
}

/** The mel power spectrogram of mono samples x: nMels × frames. */
export function melSpectrogram(x: Float32Array, opts: MelOptions = {}): Spectrogram {
  const r = resolveMelOptions(opts);
  const power = powerSpectrogram(x, r);
  const fb = melFilterbank(r);
  const { bins, frames } = power;
  const data = new Float32Array(r.nMels * frames);
  for (let m = 0; m < r.nMels; m++) {
    for (let k = 0; k < bins; k++) {
      const w = fb[m * bins + k];
      if (w === 0) continue;
      for (let t = 0; t < frames; t++) data[m * frames + t] += w * power.data[k * frames + t];
    }
  }
  return { data, nMels: r.nMels, frames };
}

/** 10·log10(max(mel, 1e-10)) (torchaudio's AmplitudeToDB('power')); with topDb, floored at max − topDb. */
export function logMelSpectrogram(x: Float32Array, opts: MelOptions & { topDb?: number } = {}): Spectrogram {
  if (opts.topDb !== undefined && !(opts.topDb >= 0)) throw new RangeError(`logMelSpectrogram: topDb expects a number >= 0, but got ${opts.topDb}`);
  const mel = melSpectrogram(x, opts);
  const d = mel.data;
  let max = -Infinity;
  for (let i = 0; i < d.length; i++) {
    d[i] = 10 * Math.log10(Math.max(d[i], 1e-10));
    if (d[i] > max) max = d[i];
  }
  if (opts.topDb !== undefined) {
    const floor = max - opts.topDb;
    for (let i = 0; i < d.length; i++) if (d[i] < floor) d[i] = floor;
  }
  return mel;
}
