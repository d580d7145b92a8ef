// `atrous data speech`: builds the spoken-words corpus (lib/data/speech.ts) with a progress bar.
import { buildSpeechCorpus, defaultSpeechDir, SPEECH_SIZES, type SpeechSize } from '../data/speech';
import { CountProgress } from './progress';

export const DATA_SETS = ['speech'] as const;

export interface DataCommandOptions {
  out?: string;
  size?: string;
  seed: number;
  sampleRate: number;
  jobs: number;
}

/** Throws an Error whose message says what was wrong with the option (main turns it into usage). */
export function checkDataOptions(set: string | undefined, opts: DataCommandOptions): SpeechSize {
  if (set === undefined) throw new Error(`data: which data set? (expected one of ${DATA_SETS.join(', ')})`);
  if (!(DATA_SETS as readonly string[]).includes(set)) throw new Error(`data: unknown data set '${set}' (expected one of ${DATA_SETS.join(', ')})`);
  const size = opts.size ?? 'small';
  if (!(SPEECH_SIZES as readonly string[]).includes(size)) throw new Error(`--size expects one of ${SPEECH_SIZES.join(', ')}, but got '${size}'`);
  if (opts.sampleRate !== 8000 && opts.sampleRate !== 16000) throw new Error(`--sample-rate expects 8000 or 16000, but got '${opts.sampleRate}'`);
  return size as SpeechSize;
}

export async function runDataCommand(size: SpeechSize, opts: DataCommandOptions, print: (line: string) => void): Promise<void> {
  const out = opts.out ?? defaultSpeechDir();
  let bar: CountProgress | null = null;
  const manifest = await buildSpeechCorpus({
    out,
    size,
    seed: opts.seed,
    sampleRate: opts.sampleRate,
    jobs: opts.jobs,
    onProgress: (done, total) => {
      if (!bar) {
        print(`speech: synthesising ${total} clips with espeak-ng into ${out}`);
        bar = new CountProgress('speech', total, 'clips');
      }
      bar.update(done);
    },
  }).finally(() => bar?.stop());
  const count = (split: string) => manifest.clips.filter((c) => c.split === split).length;
  print(
    `speech: ${manifest.reused ? 'already built' : 'built'} in ${manifest.dir}: ${count('train')} train and ${count('test')} test clips of ${manifest.words.length} words at ${manifest.sampleRate} Hz ` +
      `(espeak-ng ${manifest.espeak}, size ${manifest.size}, seed ${manifest.seed}); test voices ${manifest.splits.test.accents.join(', ')} × ${manifest.splits.test.variants.join(', ')} are not in train`,
  );
}
