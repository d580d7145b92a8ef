// Resampling, μ-law and mel spectrograms against independent references: torch.stft and torchaudio's
// formulas ported to numpy in float64 (test/fixtures/audio-reference.json, scripts/make-audio-fixtures.py),
// the μ-law formula in float64, and analytic sines for the resampler.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { logMelSpectrogram, melFilterbank, melSpectrogram, muLawDecode, muLawEncode, powerSpectrogram, resample, type MelOptions } from '../lib/audio';
import { decode, type FixtureTensor } from './helpers/fixtures';
import { relativeL2 } from './helpers/relative-l2';

const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'audio-reference.json'), 'utf8')) as {
  stft: { config: MelOptions & { topDb: number | null }; x: FixtureTensor; power: FixtureTensor; fbank?: FixtureTensor; mel: FixtureTensor; logmel: FixtureTensor }[];
  resample: { origRate: number; newRate: number; x: FixtureTensor; y: FixtureTensor }[];
  mulaw: { x: FixtureTensor; codes: number[]; decoded: FixtureTensor };
};

describe('mel spectrograms vs torch.stft and torchaudio formulas', () => {
  for (const c of ref.stft) {
    const { topDb, ...opts } = c.config;
    const x = decode(c.x);
    it(`power spectrogram ${JSON.stringify(c.config)}`, () => {
      const p = powerSpectrogram(x, opts);
      expect([p.bins, p.frames]).toEqual(c.power.shape);
      expect(relativeL2(p.data, decode(c.power))).toBeLessThan(1e-5);
    });
    if (c.fbank) {
      it(`filterbank ${c.config.melScale} norm ${c.config.norm}`, () => {
        expect(relativeL2(melFilterbank(opts), decode(c.fbank!))).toBeLessThan(1e-6);
      });
    }
    it(`mel and log-mel ${c.config.melScale} nMels ${c.config.nMels}`, () => {
      const mel = melSpectrogram(x, opts);
      expect([mel.nMels, mel.frames]).toEqual(c.mel.shape);
      expect(relativeL2(mel.data, decode(c.mel))).toBeLessThan(1e-5);
      const log = logMelSpectrogram(x, { ...opts, topDb: topDb ?? undefined });
      const want = decode(c.logmel);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(log.data[i] - want[i]));
      expect(worst).toBeLessThan(1e-3); // dB
    });
  }
  it('defaults are torchaudio MelSpectrogram\'s (nFft 400 → 512 with winLength 400): 128 mels, hop 200, centred', () => {
    const mel = melSpectrogram(new Float32Array(16000).fill(0.1));
    expect([mel.nMels, mel.frames]).toEqual([128, 81]);
  });
  it('checks its options, naming them', () => {
    const x = new Float32Array(1000);
    expect(() => melSpectrogram(x, { nFft: 400 })).toThrow('melSpectrogram: nFft expects a power of two');
    expect(() => melSpectrogram(x, { nFft: 256, winLength: 300 })).toThrow('melSpectrogram: winLength expects at most nFft = 256, but got 300');
    expect(() => melSpectrogram(x, { sampleRate: 8000, fMax: 5000 })).toThrow('melSpectrogram: expects 0 <= fMin < fMax <= sampleRate/2 = 4000');
    expect(() => melSpectrogram(new Float32Array(100), { nFft: 256 })).toThrow('melSpectrogram: center=true pads by nFft/2 = 128 (reflect), which needs more than 128 samples, but got 100');
  });
});

describe('resample (windowed sinc, torchaudio sinc_interp_hann)', () => {
  for (const c of ref.resample) {
    it(`${c.origRate} → ${c.newRate} Hz vs torchaudio's kernel in numpy float64`, () => {
      const y = resample(decode(c.x), c.origRate, c.newRate);
      expect(y.length).toBe(c.y.shape[0]);
      expect(relativeL2(y, decode(c.y))).toBeLessThan(1e-5);
    });
  }
  it('a 440 Hz sine at 22050 Hz becomes the same sine at 8000 Hz (away from the edges)', () => {
    const x = Float32Array.from({ length: 22050 }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / 22050));
    const y = resample(x, 22050, 8000);
    expect(y.length).toBe(8000);
    let worst = 0;
    for (let i = 100; i < 7900; i++) worst = Math.max(worst, Math.abs(y[i] - Math.sin((2 * Math.PI * 440 * i) / 8000)));
    expect(worst).toBeLessThan(2e-3);
  });
  it('a tone above the new Nyquist frequency is removed', () => {
    const x = Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * 5000 * i) / 16000));
    const y = resample(x, 16000, 8000);
    let rms = 0;
    for (let i = 100; i < 7900; i++) rms += y[i] ** 2;
    expect(Math.sqrt(rms / 7800)).toBeLessThan(1e-2);
  });
  it('checks its rates', () => {
    expect(() => resample(new Float32Array(4), 44100.5, 8000)).toThrow('resample: origRate expects a positive integer, but got 44100.5');
  });
});

describe('μ-law (256 levels, as WaveNet)', () => {
  const x = decode(ref.mulaw.x);
  it('encodes as the formula in float64 (numpy fixture)', () => {
    expect(Array.from(muLawEncode(x))).toEqual(ref.mulaw.codes);
  });
  it('encodes as the formula in float64 (computed here)', () => {
    const mu = 255;
    const want = Array.from(x, (v) => Math.floor(((Math.sign(v) * Math.log(1 + mu * Math.abs(v))) / Math.log(1 + mu) + 1) / 2 * mu + 0.5));
    expect(Array.from(muLawEncode(x))).toEqual(want);
  });
  it('decodes as the formula, and decode∘encode stays within one quantisation step', () => {
    const codes = Int32Array.from(ref.mulaw.codes);
    expect(relativeL2(muLawDecode(codes), decode(ref.mulaw.decoded))).toBeLessThan(1e-7);
    const back = muLawDecode(muLawEncode(x));
    for (let i = 0; i < x.length; i++) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(0.0245 * Math.abs(x[i]) + 1e-4);
  });
  it('reaches all 256 codes, clips outside [-1, 1] and names bad input', () => {
    const codes = Int32Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(muLawEncode(muLawDecode(codes)))).toEqual(Array.from(codes)); // each level's centre encodes to itself
    expect(Array.from(muLawEncode(new Float32Array([-3, 3])))).toEqual([0, 255]);
    expect(() => muLawDecode(new Int32Array([256]))).toThrow('muLawDecode: code 0 is 256, outside [0, 255]');
    expect(() => muLawEncode(new Float32Array([NaN]))).toThrow('muLawEncode: sample 0 is NaN');
  });
});
