// WAV reading and writing: sox-written files of every encoding read back as sox itself decodes them
// (test/fixtures/audio-sox*, scripts/make-audio-fixtures.py), round trips of every encoding through our
// writer, and clear errors naming the file for truncated, non-WAV, unsupported and empty files.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeWav, encodeWav, readWav, WAV_ENCODINGS, writeWav, type WavEncoding } from '../lib/audio';
import { decode, type FixtureTensor } from './helpers/fixtures';

const FIXTURES = path.join(__dirname, 'fixtures');
const sox = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'audio-sox.json'), 'utf8')) as {
  files: Record<string, { sampleRate: number; channels: number; encoding: WavEncoding; mono: FixtureTensor }>;
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-wav-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('WAV files written by sox', () => {
  for (const [name, want] of Object.entries(sox.files)) {
    it(`${name}: ${want.channels} channel(s) of ${want.encoding}, as sox decodes it`, () => {
      const wav = readWav(path.join(FIXTURES, `audio-sox-${name}.wav`));
      expect(wav.encoding).toBe(want.encoding);
      expect(wav.channels).toBe(want.channels);
      expect(wav.sampleRate).toBe(want.sampleRate);
      // sox's own decoding, channels averaged in float64: equal up to float32 rounding of the mean.
      expect(maxAbsDiff(wav.samples, decode(want.mono))).toBeLessThanOrEqual(1e-7);
    });
  }
  it('the 24-bit file is WAVE_FORMAT_EXTENSIBLE, as is the float one written for this test', () => {
    for (const name of ['pcm24', 'ext-float3ch']) {
      expect(fs.readFileSync(path.join(FIXTURES, `audio-sox-${name}.wav`)).readUInt16LE(20)).toBe(0xfffe);
    }
  });
});

/** Values on every encoding's grid (k / 2^(bits-1)), so a round trip must be exact; ends at full scale. */
function gridSignal(encoding: WavEncoding, n: number): Float32Array {
  const bits = encoding === 'float32' ? 24 : Number(encoding.slice(3));
  const scale = 2 ** (Math.min(bits, 24) - 1); // float32 holds 24 significant bits
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(Math.sin(i * 0.37) * 0.9 * scale) / scale;
  x[0] = -1;
  x[1] = (scale - 1) / scale;
  x[2] = 0;
  return x;
}

describe('WAV round trips', () => {
  for (const encoding of WAV_ENCODINGS) {
    for (const extensible of [false, true]) {
      it(`${encoding}${extensible ? ' (extensible)' : ''}: written and read back exactly`, () => {
        const x = gridSignal(encoding, 257);
        const file = path.join(tmp, `${encoding}-${extensible}.wav`);
        writeWav(file, x, 11025, { encoding, extensible });
        const wav = readWav(file);
        expect(wav).toMatchObject({ encoding, channels: 1, sampleRate: 11025 });
        expect(Array.from(wav.samples)).toEqual(Array.from(x));
        const bytesPerSample = encoding === 'float32' ? 4 : Number(encoding.slice(3)) / 8;
        expect(fs.statSync(file).size).toBe((extensible ? 68 : 44) + ((257 * bytesPerSample + 1) & ~1));
      });
    }
  }
  it('several channels are read as their mean', () => {
    const a = gridSignal('pcm16', 64);
    const b = a.map((v) => -v / 2);
    const wav = decodeWav(encodeWav([a, b], 8000, { encoding: 'float32' }));
    expect(wav.channels).toBe(2);
    expect(Array.from(wav.samples)).toEqual(Array.from(a, (v, i) => Math.fround((v + b[i]) / 2)));
  });
  it('integer encodings round to nearest and clip at full scale', () => {
    const wav = decodeWav(encodeWav(new Float32Array([1.5, -2, 0.3, 1 / 65536 + 1e-7]), 8000, { encoding: 'pcm16' }));
    expect(Array.from(wav.samples)).toEqual([32767 / 32768, -1, Math.round(0.3 * 32768) / 32768, 1 / 32768].map(Math.fround));
  });
  it('readWav resamples to the rate asked for, or refuses when resampling is off', () => {
    const file = path.join(tmp, 'rate.wav');
    writeWav(file, new Float32Array(16000).fill(0.25), 16000);
    const wav = readWav(file, { sampleRate: 8000 });
    expect(wav.sampleRate).toBe(8000);
    expect(wav.samples.length).toBe(8000);
    expect(wav.samples[4000]).toBeCloseTo(0.25, 3); // a constant stays constant away from the edges
    expect(() => readWav(file, { sampleRate: 8000, resample: false })).toThrow(`${file}: its sample rate is 16000 Hz, but 8000 Hz was asked for (and resampling is off)`);
  });
});

describe('bad WAV files: errors naming the file and what is wrong', () => {
  const good = encodeWav(gridSignal('pcm16', 100), 8000);
  const write = (name: string, bytes: Uint8Array) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  it('truncated data', () => {
    const file = write('cut.wav', good.subarray(0, 100));
    expect(() => readWav(file)).toThrow(`${file}: its data chunk declares 200 bytes but only 56 remain (truncated)`);
  });
  it('truncated header', () => {
    expect(() => readWav(write('cut-header.wav', good.subarray(0, 30)))).toThrow(/cut-header\.wav: its fmt chunk declares 16 bytes but only 10 remain/);
    expect(() => readWav(write('tiny.wav', good.subarray(0, 5)))).toThrow(/tiny\.wav: not a WAV file: 5 bytes, too short/);
    expect(() => readWav(write('no-data.wav', good.subarray(0, 36)))).toThrow(/no-data\.wav: no data chunk before the end of the file/);
  });
  it('a half frame at the end', () => {
    const odd = good.slice(0, 44 + 9);
    new DataView(odd.buffer).setUint32(40, 9, true);
    expect(() => readWav(write('odd.wav', odd))).toThrow(/odd\.wav: its data chunk of 9 bytes is not a whole number of 2-byte frames/);
  });
  it('not a WAV file', () => {
    const file = write('text.wav', new TextEncoder().encode('this is a text file, not audio'));
    expect(() => readWav(file)).toThrow(`${file}: not a WAV file: it starts with "this"…"a te", not "RIFF"…"WAVE"`);
  });
  it('unsupported encodings', () => {
    const alaw = good.slice();
    new DataView(alaw.buffer).setUint16(20, 6, true);
    expect(() => readWav(write('alaw.wav', alaw))).toThrow(/alaw\.wav: unsupported encoding: format 0x0006 \(A-law\)/);
    const pcm12 = good.slice();
    new DataView(pcm12.buffer).setUint16(34, 12, true);
    expect(() => readWav(write('pcm12.wav', pcm12))).toThrow(/pcm12\.wav: unsupported encoding: PCM of 12 bits/);
    const double = encodeWav(new Float32Array(4), 8000, { encoding: 'float32' });
    new DataView(double.buffer).setUint16(34, 64, true);
    expect(() => decodeWav(double, 'f64.wav')).toThrow(/f64\.wav: unsupported encoding: IEEE float of 64 bits/);
    const extAlaw = encodeWav(new Float32Array(4), 8000, { extensible: true });
    new DataView(extAlaw.buffer).setUint16(44, 6, true);
    expect(() => decodeWav(extAlaw, 'ext.wav')).toThrow(/ext\.wav: unsupported encoding: format 0x0006/);
  });
  it('zero-length audio', () => {
    expect(() => readWav(write('empty.wav', encodeWav(new Float32Array(0), 8000)))).toThrow(/empty\.wav: it holds no audio \(zero-length data chunk\)/);
  });
  it('a missing file', () => {
    const file = path.join(tmp, 'absent.wav');
    expect(() => readWav(file)).toThrow(`${file}: cannot read: ENOENT`);
  });
  it('the writer refuses what it cannot write, naming it', () => {
    expect(() => encodeWav(new Float32Array([0, NaN]), 8000)).toThrow('encodeWav: channel 0 sample 1 is NaN, not a finite number');
    expect(() => encodeWav([new Float32Array(3), new Float32Array(2)], 8000)).toThrow('encodeWav: channel 1 has 2 samples, channel 0 has 3');
    expect(() => encodeWav(new Float32Array(3), 0)).toThrow('encodeWav: sampleRate expects a positive integer, but got 0');
    expect(() => encodeWav(new Float32Array(3), 8000, { encoding: 'pcm12' as WavEncoding })).toThrow('encodeWav: encoding expects one of pcm8, pcm16, pcm24, pcm32, float32, but got "pcm12"');
  });
});
