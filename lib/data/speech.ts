// A real, offline spoken-word corpus made reproducibly: "zero"…"nine", "yes", "no", "stop", "go"
// spoken by espeak-ng across English accents and voice variants, at seeded speeds and pitches, then
// trimmed, given a seeded gain, time shift and white noise, resampled (windowed sinc) to 8 kHz (or
// 16 kHz) and written as 16-bit WAV with a manifest.json. The train/test split is voice-disjoint: the
// test speakers' accents and variants are never heard in training. Every clip's random draws come from
// its own seeded generator, so the bytes do not depend on the order the parallel workers finish in.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeWav, readWav, writeWav } from '../audio/wav';
import { resample } from '../audio/resample';
import { describeValue } from '../core/shape-checks';
import { espeakVersion, speakToFile } from './espeak';
import { splitmix32 } from './loader';

export const SPEECH_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'yes', 'no', 'stop', 'go'] as const;

export type SpeechSplit = 'train' | 'test';
export type SpeechSize = 'tiny' | 'small' | 'medium' | 'large';
export const SPEECH_SIZES: readonly SpeechSize[] = ['tiny', 'small', 'medium', 'large'];

interface SplitVoices {
  /** espeak-ng English voices (accents). */
  accents: readonly string[];
  /** espeak-ng voice variants (timbres): "+m1" … */
  variants: readonly string[];
}

const ALL_VOICES = {
  train: { accents: ['en-us', 'en-gb', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-029'], variants: ['m1', 'm2', 'm3', 'm4', 'm6', 'f1', 'f2', 'f3'] },
  test: { accents: ['en-gb-scotland', 'en-us-nyc', 'en-gb-x-gbcwmd'], variants: ['m5', 'm7', 'f4', 'f5'] },
};

/** Which voices each size speaks with, and how many takes (speed/pitch/noise draws) of each word. */
export const SPEECH_PRESETS: Record<SpeechSize, { train: SplitVoices; test: SplitVoices; takes: number }> = {
  tiny: { train: { accents: ['en-us', 'en-gb'], variants: ['m1', 'f1'] }, test: { accents: ['en-gb-scotland'], variants: ['m3'] }, takes: 1 },
  small: { ...ALL_VOICES, takes: 2 },
  medium: { ...ALL_VOICES, takes: 6 },
  large: { ...ALL_VOICES, takes: 16 },
};

/** The seeded draws, per clip (uniform within these ranges). */
const SPEED_WPM = [130, 210];
const PITCH = [25, 75];
const GAIN_DB = [-12, 0];
const SNR_DB = [10, 40];
const SHIFT_MS = [0, 250];
/** espeak-ng's output is trimmed to where it exceeds this fraction of its peak, less a margin. */
const TRIM_THRESHOLD = 0.02;
const TRIM_MARGIN_MS = 20;
/** The peak a clip is normalised to before its gain. */
const PEAK = 0.7;

export interface SpeechClip {
  /** Relative to the corpus directory. */
  file: string;
  word: string;
  /** Index into the manifest's words. */
  label: number;
  split: SpeechSplit;
  /** accent+variant: the unit the split keeps apart. */
  speaker: string;
  accent: string;
  variant: string;
  take: number;
  speed: number;
  pitch: number;
  gainDb: number;
  snrDb: number;
  shiftMs: number;
  samples: number;
}

export interface SpeechManifest {
  format: 'atrous-speech-1';
  espeak: string;
  size: SpeechSize;
  seed: number;
  sampleRate: number;
  words: string[];
  splits: Record<SpeechSplit, SplitVoices>;
  clips: SpeechClip[];
}

export interface BuildSpeechOptions {
  /** Default defaultSpeechDir(). */
  out?: string;
  size?: SpeechSize;
  seed?: number;
  /** 8000 (default) or 16000. */
  sampleRate?: number;
  /** espeak-ng processes at a time. Default 2. */
  jobs?: number;
  /** The espeak-ng program. */
  espeak?: string;
  onProgress?: (done: number, total: number) => void;
}

export const MANIFEST = 'manifest.json';
/** Present while a build runs: a directory holding it (an interrupted build) is ours to clear. */
const BUILDING = '.building';

/** $XDG_CACHE_HOME/atrous/speech, or ~/.cache/atrous/speech. */
export function defaultSpeechDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'atrous', 'speech');
}

interface ClipPlan {
  clip: SpeechClip;
  /** The clip's own seed for its draws and its noise. */
  seed: number;
}

/** Every clip of a corpus, in a fixed order, with its seeded speed, pitch, gain, noise and shift. */
function planClips(size: SpeechSize, seed: number): ClipPlan[] {
  const preset = SPEECH_PRESETS[size];
  const plans: ClipPlan[] = [];
  const range = (r: number[], u: number) => r[0] + (r[1] - r[0]) * u;
  for (const split of ['train', 'test'] as const) {
    for (const accent of preset[split].accents) {
      for (const variant of preset[split].variants) {
        SPEECH_WORDS.forEach((word, label) => {
          for (let take = 0; take < preset.takes; take++) {
            const clipSeed = (seed * 1000003 + plans.length * 7919 + 17) % 2 ** 52;
            const rand = splitmix32(clipSeed);
            const speaker = `${accent}+${variant}`;
            plans.push({
              seed: clipSeed,
              clip: {
                file: path.posix.join(split, word, `${speaker}-${take}.wav`),
                word,
                label,
                split,
                speaker,
                accent,
                variant,
                take,
                speed: Math.round(range(SPEED_WPM, rand())),
                pitch: Math.round(range(PITCH, rand())),
                gainDb: Math.round(range(GAIN_DB, rand()) * 10) / 10,
                snrDb: Math.round(range(SNR_DB, rand()) * 10) / 10,
                shiftMs: Math.round(range(SHIFT_MS, rand())),
                samples: 0,
              },
            });
          }
        });
      }
    }
  }
  return plans;
}

/** Standard normal draws from a uniform generator (Box-Muller). */
function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - rand(); // (0, 1]
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * rand();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
}

/** espeak-ng's samples → the clip: trimmed, peak-normalised, gain, leading silence, noise, clipped. */
function processClip(raw: Float32Array, rawRate: number, plan: ClipPlan, sampleRate: number): Float32Array {
  const { gainDb, snrDb, shiftMs } = plan.clip;
  let peak = 0;
  for (const v of raw) peak = Math.max(peak, Math.abs(v));
  if (peak === 0) throw new Error(`espeak-ng produced silence for ${plan.clip.file}`);
  let lo = 0;
  let hi = raw.length;
  while (lo < hi && Math.abs(raw[lo]) < TRIM_THRESHOLD * peak) lo++;
  while (hi > lo && Math.abs(raw[hi - 1]) < TRIM_THRESHOLD * peak) hi--;
  const margin = Math.round((TRIM_MARGIN_MS / 1000) * rawRate);
  const voiced = resample(raw.subarray(Math.max(0, lo - margin), Math.min(raw.length, hi + margin)), rawRate, sampleRate);
  const scale = (PEAK / peak) * 10 ** (gainDb / 20);
  const shift = Math.round((shiftMs / 1000) * sampleRate);
  const out = new Float32Array(shift + voiced.length);
  let energy = 0;
  for (let i = 0; i < voiced.length; i++) {
    out[shift + i] = voiced[i] * scale;
    energy += out[shift + i] ** 2;
  }
  const noiseStd = Math.sqrt(energy / voiced.length) / 10 ** (snrDb / 20);
  const normal = gaussian(splitmix32(plan.seed + 1));
  for (let i = 0; i < out.length; i++) out[i] = Math.max(-1, Math.min(1, out[i] + noiseStd * normal()));
  return out;
}

function readManifest(dir: string): SpeechManifest | null {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) return null;
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as SpeechManifest;
  if (m.format !== 'atrous-speech-1') throw new Error(`${file}: not an atrous speech manifest (format ${describeValue(m.format)})`);
  return m;
}

/** Runs `work(i)` for i in [0, n) with at most `jobs` at a time; rejects with the first failure. */
async function runPool(n: number, jobs: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < n) {
      const i = next++;
      try {
        await work(i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, n) }, worker));
}

/**
 * Builds the corpus into opts.out (or finds it there already built with the same size, seed, rate and
 * espeak-ng version) and returns its manifest. Needs espeak-ng; without it, rejects saying what to install.
 */
export async function buildSpeechCorpus(opts: BuildSpeechOptions = {}): Promise<SpeechManifest & { dir: string; reused: boolean }> {
  const op = 'buildSpeechCorpus';
  const { size = 'small', seed = 0, sampleRate = 8000, jobs = 2, espeak = 'espeak-ng' } = opts;
  const out = path.resolve(opts.out ?? defaultSpeechDir());
  if (!SPEECH_SIZES.includes(size)) throw new RangeError(`${op}: size expects one of ${SPEECH_SIZES.join(', ')}, but got ${describeValue(size)}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`${op}: seed expects an integer >= 0, but got ${describeValue(seed)}`);
  if (sampleRate !== 8000 && sampleRate !== 16000) throw new RangeError(`${op}: sampleRate expects 8000 or 16000, but got ${describeValue(sampleRate)}`);
  if (!Number.isInteger(jobs) || jobs < 1) throw new RangeError(`${op}: jobs expects an integer >= 1, but got ${describeValue(jobs)}`);
  const version = await espeakVersion(espeak);

  const existing = fs.existsSync(out) ? readManifest(out) : null;
  if (existing && existing.size === size && existing.seed === seed && existing.sampleRate === sampleRate && existing.espeak === version && existing.clips.every((c) => fs.existsSync(path.join(out, c.file)))) {
    return { ...existing, dir: out, reused: true };
  }
  const interrupted = fs.existsSync(path.join(out, BUILDING));
  if (!existing && !interrupted && fs.existsSync(out) && fs.readdirSync(out).length > 0) {
    throw new Error(`${op}: ${out} is not empty and holds no ${MANIFEST}: give an empty or new directory (nothing there is overwritten)`);
  }
  if (existing || interrupted) {
    // Another configuration, or an interrupted build, is here: its clips go (only our own folders).
    fs.rmSync(path.join(out, MANIFEST), { force: true });
    for (const split of ['train', 'test']) fs.rmSync(path.join(out, split), { recursive: true, force: true });
  }
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, BUILDING), '');

  const preset = SPEECH_PRESETS[size];
  const plans = planClips(size, seed);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-espeak-'));
  let done = 0;
  opts.onProgress?.(0, plans.length);
  try {
    await runPool(plans.length, jobs, async (i) => {
      const plan = plans[i];
      const { clip } = plan;
      const rawFile = path.join(scratch, `${i}.wav`);
      await speakToFile(clip.word, rawFile, { voice: clip.speaker, speed: clip.speed, pitch: clip.pitch }, espeak);
      const raw = decodeWav(fs.readFileSync(rawFile), `espeak-ng output for ${clip.file}`);
      fs.rmSync(rawFile);
      const samples = processClip(raw.samples, raw.sampleRate, plan, sampleRate);
      clip.samples = samples.length;
      const file = path.join(out, clip.file);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      writeWav(file, samples, sampleRate, { encoding: 'pcm16' });
      opts.onProgress?.(++done, plans.length);
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const manifest: SpeechManifest = {
    format: 'atrous-speech-1',
    espeak: version,
    size,
    seed,
    sampleRate,
    words: [...SPEECH_WORDS],
    splits: { train: preset.train, test: preset.test },
    clips: plans.map((p) => p.clip),
  };
  // Written last: a directory with a manifest holds a whole corpus.
  fs.writeFileSync(path.join(out, MANIFEST), JSON.stringify(manifest, null, 1) + '\n');
  fs.rmSync(path.join(out, BUILDING));
  return { ...manifest, dir: out, reused: false };
}

/** Mono clips with integer labels: what the loaders batch. */
export interface SpeechDataset {
  clips: Float32Array[];
  labels: Int32Array;
  labelNames: string[];
  sampleRate: number;
  /** Where each clip came from. */
  files: string[];
}

/** One split of a corpus built by buildSpeechCorpus. */
export function loadSpeechCorpus(dir: string, split: SpeechSplit): SpeechDataset {
  const manifest = readManifest(dir);
  if (!manifest) throw new Error(`loadSpeechCorpus: ${path.join(dir, MANIFEST)} does not exist: build the corpus first (\`atrous data speech --out ${dir}\`)`);
  const clips = manifest.clips.filter((c) => c.split === split);
  const files = clips.map((c) => path.join(dir, c.file));
  return {
    clips: files.map((f) => readWav(f, { sampleRate: manifest.sampleRate, resample: false }).samples),
    labels: Int32Array.from(clips, (c) => c.label),
    labelNames: manifest.words,
    sampleRate: manifest.sampleRate,
    files,
  };
}
