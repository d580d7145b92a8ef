// The spoken-words corpus built by espeak-ng (tiny size, in temp dirs; CI installs espeak-ng, and
// without it these tests fail): manifest consistent with the files, a voice-disjoint split, the same
// bytes from the same seed; the loaders' batches; the user's folder reader skipping a corrupt file;
// and `atrous data speech`.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav, logMelSpectrogram, readWav, writeWav } from '../lib/audio';
import { cli } from './helpers/cli';
import { buildSpeechCorpus, loadSpeechCorpus, SPEECH_WORDS, type SpeechManifest } from '../lib/data/speech';
import { readSpeechFolder } from '../lib/data/speech-folder';
import { SpeechLoader } from '../lib/data/speech-loader';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-speech-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const BUILD_TIMEOUT = 240_000;
const dirA = path.join(tmp, 'a');

function digest(dir: string, files: string[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]));
}

describe('the espeak-ng corpus (size tiny)', () => {
  let manifest: SpeechManifest;
  const progress: [number, number][] = [];
  beforeAll(async () => {
    manifest = await buildSpeechCorpus({ out: dirA, size: 'tiny', seed: 5, onProgress: (d, n) => progress.push([d, n]) });
  }, BUILD_TIMEOUT);

  it('has every word for every speaker, and reports progress to the end', () => {
    // tiny: train 2 accents × 2 variants, test 1 × 1; one take of each of the 14 words.
    expect(manifest.clips.length).toBe(5 * 14);
    expect(manifest.words).toEqual([...SPEECH_WORDS]);
    for (const split of ['train', 'test'] as const) {
      expect(new Set(manifest.clips.filter((c) => c.split === split).map((c) => c.word))).toEqual(new Set(SPEECH_WORDS));
    }
    expect(progress[0]).toEqual([0, 70]);
    expect(progress.at(-1)).toEqual([70, 70]);
  });

  it('is voice-disjoint: no accent, variant or speaker of the test split is in train', () => {
    const of = (split: string, key: 'accent' | 'variant' | 'speaker') => new Set(manifest.clips.filter((c) => c.split === split).map((c) => c[key]));
    for (const key of ['accent', 'variant', 'speaker'] as const) {
      const train = of('train', key);
      for (const v of of('test', key)) expect(train.has(v), `${key} ${v} in both splits`).toBe(false);
    }
    expect(of('train', 'speaker').size).toBe(4);
    expect(of('test', 'speaker').size).toBe(1);
  });

  it('matches its manifest: every file is there, 16-bit at 8 kHz, of the length and label listed', () => {
    const listed = new Set(manifest.clips.map((c) => c.file));
    const onDisk = fs.readdirSync(dirA, { recursive: true }).map(String).filter((f) => f.endsWith('.wav')).map((f) => f.split(path.sep).join('/'));
    expect(new Set(onDisk)).toEqual(listed);
    for (const c of manifest.clips) {
      const wav = readWav(path.join(dirA, c.file));
      expect(wav).toMatchObject({ sampleRate: 8000, encoding: 'pcm16', channels: 1 });
      expect(wav.samples.length).toBe(c.samples);
      expect(c.file).toBe(`${c.split}/${c.word}/${c.speaker}-${c.take}.wav`);
      expect(manifest.words[c.label]).toBe(c.word);
      // A spoken word (0.2-1.2 s with its shift) that is not silence.
      expect(c.samples).toBeGreaterThan(0.2 * 8000);
      expect(c.samples).toBeLessThan(1.2 * 8000);
      let peak = 0;
      for (const v of wav.samples) peak = Math.max(peak, Math.abs(v));
      expect(peak).toBeGreaterThan(0.1);
    }
    expect(JSON.parse(fs.readFileSync(path.join(dirA, 'manifest.json'), 'utf8'))).toEqual(manifest && JSON.parse(JSON.stringify({ ...manifest, dir: undefined, reused: undefined })));
  });

  it('draws speed, pitch, gain, noise and shift per clip within their ranges', () => {
    const speeds = new Set(manifest.clips.map((c) => c.speed));
    expect(speeds.size).toBeGreaterThan(20);
    for (const c of manifest.clips) {
      expect(c.speed).toBeGreaterThanOrEqual(130);
      expect(c.speed).toBeLessThanOrEqual(210);
      expect(c.pitch).toBeGreaterThanOrEqual(25);
      expect(c.pitch).toBeLessThanOrEqual(75);
      expect(c.snrDb).toBeGreaterThanOrEqual(10);
      expect(c.shiftMs).toBeLessThanOrEqual(250);
    }
  });

  it('is deterministic: the same seed gives the same bytes (built again, over an interrupted build)', async () => {
    const dirB = path.join(tmp, 'b');
    // What an interrupted build leaves: its marker and some clips; they are cleared, not refused.
    fs.mkdirSync(path.join(dirB, 'train', 'zero'), { recursive: true });
    fs.writeFileSync(path.join(dirB, 'train', 'zero', 'stale.wav'), 'half a clip');
    fs.writeFileSync(path.join(dirB, '.building'), '');
    const again = await buildSpeechCorpus({ out: dirB, size: 'tiny', seed: 5, jobs: 3 });
    const files = [...manifest.clips.map((c) => c.file), 'manifest.json'];
    expect(digest(dirB, files)).toEqual(digest(dirA, files));
    expect(fs.readdirSync(dirB, { recursive: true }).length).toBe(fs.readdirSync(dirA, { recursive: true }).length);
    expect(fs.existsSync(path.join(dirB, '.building'))).toBe(false);
    expect(again.reused).toBe(false);
  }, BUILD_TIMEOUT);

  it('is reused when built again with the same settings', async () => {
    const again = await buildSpeechCorpus({ out: dirA, size: 'tiny', seed: 5 });
    expect(again.reused).toBe(true);
    expect(again.clips).toEqual(manifest.clips);
  });

  it('the loader batches it: waveforms N×1×8000 and log-mels N×40×101, labels as in the manifest', () => {
    const test = loadSpeechCorpus(dirA, 'test');
    expect(test.clips.length).toBe(14);
    expect(Array.from(test.labels)).toEqual(manifest.clips.filter((c) => c.split === 'test').map((c) => c.label));
    const waves = new SpeechLoader(test, { batchSize: 4 });
    const batches = [...waves.epoch(0)];
    expect(batches.map((b) => b.x.shape)).toEqual([[4, 1, 8000], [4, 1, 8000], [4, 1, 8000], [2, 1, 8000]]);
    expect(batches.flatMap((b) => Array.from(b.targets))).toEqual(Array.from(test.labels));
    // Unshuffled: each clip centred in its second, zero around it.
    const clip = test.clips[1];
    const start = Math.floor((8000 - clip.length) / 2);
    const row = batches[0].x.toFloat32Array().subarray(8000, 16000);
    expect(Array.from(row.subarray(start, start + clip.length))).toEqual(Array.from(clip));
    expect(row.subarray(0, start).every((v) => v === 0)).toBe(true);
    const mels = new SpeechLoader(test, { batchSize: 3, features: 'logmel' });
    const m = mels.gather(Int32Array.from([2]));
    expect(m.x.shape).toEqual([1, 40, 101]);
    const want = logMelSpectrogram(mels.fixedLength(2, null), { sampleRate: 8000, nFft: 256, winLength: 200, hopLength: 80, nMels: 40, topDb: 80 });
    expect(Array.from(m.x.toFloat32Array())).toEqual(Array.from(want.data));
  });
});

describe('SpeechLoader on hand-made clips', () => {
  const dataset = {
    clips: [Float32Array.from({ length: 10 }, (_, i) => i + 1), Float32Array.from({ length: 3 }, (_, i) => -(i + 1)), new Float32Array(6).fill(7)],
    labels: Int32Array.from([0, 1, 2]),
    labelNames: ['a', 'b', 'c'],
    sampleRate: 8000,
    files: ['x', 'y', 'z'],
  };
  it('crops long clips and pads short ones to `length`, centred', () => {
    const b = new SpeechLoader(dataset, { batchSize: 3, length: 6 }).gather(Int32Array.from([0, 1, 2]));
    expect(Array.from(b.x.toFloat32Array())).toEqual([3, 4, 5, 6, 7, 8, 0, -1, -2, -3, 0, 0, 7, 7, 7, 7, 7, 7]);
  });
  it('shuffles and offsets by (seed, epoch): the same twice, another epoch differs', () => {
    const l = new SpeechLoader(dataset, { batchSize: 2, length: 6, shuffle: true, seed: 9 });
    const run = (e: number) => [...l.epoch(e)].map((b) => [Array.from(b.x.toFloat32Array()), Array.from(b.targets)]);
    expect(run(0)).toEqual(run(0));
    const epochs = [0, 1, 2, 3].map((e) => JSON.stringify(run(e)));
    expect(new Set(epochs).size).toBeGreaterThan(1);
    for (const batch of [...l.epoch(1)]) {
      // Every row holds its clip's values (a window of it, or all of it), in order.
      for (let r = 0; r < batch.targets.length; r++) {
        const row = Array.from(batch.x.toFloat32Array().subarray(r * 6, r * 6 + 6)).filter((v) => v !== 0);
        const clip = Array.from(dataset.clips[batch.targets[r]]);
        const at = clip.indexOf(row[0]);
        expect(row).toEqual(clip.slice(at, at + row.length));
      }
    }
    const resumed = [...l.epoch(2, 1)].map((b) => Array.from(b.x.toFloat32Array()));
    expect(resumed).toEqual([...l.epoch(2)].slice(1).map((b) => Array.from(b.x.toFloat32Array())));
  });
  it('checks its options', () => {
    expect(() => new SpeechLoader(dataset, { batchSize: 0 })).toThrow('SpeechLoader: batchSize expects an integer >= 1, but got 0');
    expect(() => new SpeechLoader(dataset, { batchSize: 1, features: 'mfcc' as 'logmel' })).toThrow(`SpeechLoader: features expects 'waveform' or 'logmel', but got "mfcc"`);
    expect(() => new SpeechLoader(dataset, { batchSize: 1, features: 'logmel', mel: { nFft: 300 } })).toThrow('melSpectrogram: nFft expects a power of two');
  });
});

describe("the user's folder of WAV files", () => {
  it('reads one sub-folder per label, resamples, and reports a corrupt file (file and why) without losing the rest', () => {
    const dir = path.join(tmp, 'mine');
    for (const label of ['no', 'yes']) fs.mkdirSync(path.join(dir, label), { recursive: true });
    const tone = (n: number) => Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(i / 5));
    writeWav(path.join(dir, 'yes', 'a.wav'), tone(800), 8000);
    writeWav(path.join(dir, 'yes', 'b.wav'), tone(1600), 16000, { encoding: 'float32' });
    writeWav(path.join(dir, 'no', 'c.wav'), tone(400), 8000, { encoding: 'pcm24' });
    const corrupt = path.join(dir, 'no', 'd.wav');
    fs.writeFileSync(corrupt, encodeWav(tone(400), 8000).subarray(0, 300));
    fs.writeFileSync(path.join(dir, 'no', 'notes.txt'), 'not audio, not a .wav: ignored');
    const { dataset, skipped } = readSpeechFolder(dir, { sampleRate: 8000 });
    expect(skipped).toEqual([{ file: corrupt, reason: 'its data chunk declares 800 bytes but only 256 remain (truncated)' }]);
    expect(dataset.labelNames).toEqual(['no', 'yes']);
    expect(dataset.files).toEqual([path.join(dir, 'no', 'c.wav'), path.join(dir, 'yes', 'a.wav'), path.join(dir, 'yes', 'b.wav')]);
    expect(Array.from(dataset.labels)).toEqual([0, 1, 1]);
    expect(dataset.clips.map((c) => c.length)).toEqual([400, 800, 800]);
  });
  it('names a folder that is not one', () => {
    expect(() => readSpeechFolder(path.join(tmp, 'absent'))).toThrow(/readSpeechFolder: .*absent is not a directory/);
  });
});

describe('atrous data speech', () => {
  it('builds (here: finds already built, by the tests above) the corpus and says what it holds', async () => {
    const r = await cli('data', 'speech', '--out', dirA, '--size', 'tiny', '--seed', '5');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`speech: already built in ${dirA}: 56 train and 14 test clips of 14 words at 8000 Hz (espeak-ng 1.51, size tiny, seed 5)`);
  }, BUILD_TIMEOUT);
  it('refuses bad usage with exit code 2', async () => {
    expect((await cli('data')).code).toBe(2);
    expect((await cli('data', 'music')).code).toBe(2);
    expect((await cli('data', 'speech', '--size', 'huge')).code).toBe(2);
    expect((await cli('data', 'speech', '--sample-rate', '22050')).code).toBe(2);
    expect((await cli('data', 'speech', 'extra', '--out', tmp)).code).toBe(2);
  });
  it('without espeak-ng, says what to install', async () => {
    await expect(buildSpeechCorpus({ out: path.join(tmp, 'none'), size: 'tiny', espeak: path.join(tmp, 'no-such-espeak-ng') })).rejects.toThrow(
      /was not found: the speech corpus is synthesised by espeak-ng; install it with `apt-get install espeak-ng`/,
    );
  });
  it('will not write into a non-empty directory that holds no corpus', async () => {
    const dir = path.join(tmp, 'busy');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    await expect(buildSpeechCorpus({ out: dir, size: 'tiny' })).rejects.toThrow(`buildSpeechCorpus: ${dir} is not empty and holds no manifest.json`);
  });
});
