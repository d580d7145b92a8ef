// `atrous generate`: samples text from a char-lm checkpoint with streaming inference (at.nn.stream):
// the prompt is pushed once, then every new character costs one step through each layer's cached
// history, and is printed as soon as it is drawn.
import { noGrad } from '../core/autograd';
import { tensor } from '../core/tensor';
import { splitmix32 } from '../data/loader';
import { OOV_ID, PAD_ID, TextVocabulary } from '../data/text-vocabulary';
import { loadCheckpoint } from '../io/checkpoint';
import { stream } from '../nn/stream';
import { makeModel } from './tasks';
import type { TextSpec } from './tasks/text';
import { readRunState } from './train';

export interface GenerateOptions {
  checkpoint: string;
  prompt?: string;
  /** Characters to generate after the prompt. */
  length: number;
  /** Softmax temperature; 0 always takes the most likely character. */
  temperature: number;
  seed: number;
}

export interface GenerateResult {
  text: string;
  seconds: number;
}

/** One draw from softmax(logits / temperature), never padding or OOV. */
function sample(logits: Float32Array, temperature: number, rand: () => number): number {
  let best = 2;
  for (let i = 3; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (temperature === 0) return best;
  const weights = new Float64Array(logits.length);
  let total = 0;
  for (let i = 2; i < logits.length; i++) total += weights[i] = Math.exp((logits[i] - logits[best]) / temperature);
  let r = rand() * total;
  for (let i = 2; i < logits.length; i++) if ((r -= weights[i]) <= 0) return i;
  return best;
}

export function generate(opts: GenerateOptions, write: (text: string) => void, warn: (line: string) => void): GenerateResult {
  const run = readRunState(opts.checkpoint);
  if (run.task !== 'char-lm') throw new Error(`${opts.checkpoint} is a ${run.task} run; generate needs a char-lm checkpoint (atrous train --task char-lm)`);
  const spec = (run as { spec?: TextSpec }).spec;
  if (!spec) throw new Error(`${opts.checkpoint} has no vocabulary in its metadata (written by an older atrous?)`);
  const vocab = TextVocabulary.fromJSON(spec.vocab);
  const model = makeModel('char-lm', spec);
  loadCheckpoint(opts.checkpoint, { model });
  model.eval();
  const prompt = opts.prompt === undefined || opts.prompt === '' ? '\n' : opts.prompt;
  const encoded = vocab.encode(prompt);
  if (encoded.unknown.length > 0) {
    warn(`generate: the prompt holds ${encoded.unknown.length} character(s) the model never saw (${encoded.unknown.map((c) => JSON.stringify(c)).join(', ')}); they are read as unknown`);
  }
  const rand = splitmix32(opts.seed);
  const s = stream(model);
  const started = process.hrtime.bigint();
  let text = '';
  try {
    noGrad(() => {
      let out = s.push(tensor(encoded.ids, [1, encoded.ids.length], { dtype: 'int32' }));
      for (let i = 0; i < opts.length; i++) {
        const [, v, t] = out.shape;
        const all = out.toFloat32Array();
        const last = new Float32Array(v);
        for (let k = 0; k < v; k++) last[k] = all[k * t + t - 1];
        const id = sample(last, opts.temperature, rand);
        const ch = vocab.token(id === PAD_ID || id === OOV_ID ? 2 : id);
        text += ch;
        write(ch);
        out = s.push(tensor(Int32Array.of(id), [1, 1], { dtype: 'int32' }));
      }
    });
  } finally {
    s.close();
  }
  return { text, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}
