// Speech tasks: spoken-word recognition on the espeak-ng corpus (lib/data/speech.ts; voice-disjoint
// test split) or the user's folder (DIR/train/<word>/*.wav and DIR/test/<word>/*.wav). `speech`: the
// WaveNet classifier on one second of raw μ-law audio — with --causal its readout averages per-step
// logits, so `atrous listen` can stream it; `speech-mel`: the dilated CNN on log-mel spectrograms. Both
// report accuracy and a confusion matrix; the labels and model options travel in the checkpoint.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor } from '../../core/tensor';
import { defaultSpeechDir, loadSpeechCorpus, MANIFEST, type SpeechDataset } from '../../data/speech';
import { readSpeechFolder } from '../../data/speech-folder';
import { SpeechLoader } from '../../data/speech-loader';
import { MelCnn, type MelCnnOptions } from '../../models/mel-cnn';
import { muLawInput, WaveNetClassifier, type WaveNetOptions } from '../../models/wavenet';
import type { Module } from '../../nn';
import { crossEntropy } from '../../ops/loss';
import { argmax } from '../../ops/shape';
import { countConfusions, renderConfusionMatrix, type ConfusionMatrix } from '../../plot/confusion-matrix';
import { runDataCommand } from '../data';
import { inEval, limitBatches, type Task, type TaskOptions } from './task';

export type SpeechTaskName = 'speech' | 'speech-mel';

/** What a speech checkpoint keeps to rebuild its model and its input. */
export interface SpeechSpec {
  labels: string[];
  sampleRate: number;
  /** Samples per clip (crop or zero-pad). */
  length: number;
  model: WaveNetOptions | MelCnnOptions;
}

const SAMPLE_RATE = 8000;
const N_MELS = 40;
/** One second at 8 kHz: 101 frames of 10 ms (25 ms windows, centred). */
export const SPEECH_SUMMARY_SHAPES: Record<SpeechTaskName, number[]> = { speech: [1, 1, SAMPLE_RATE], 'speech-mel': [1, N_MELS, 101] };

/** The task's model from a checkpoint's spec (default: the 14 corpus words). */
export function speechModel(name: SpeechTaskName, spec?: SpeechSpec): Module {
  if (name === 'speech-mel') return new MelCnn(spec?.model ?? { classes: 14, nMels: N_MELS });
  return new WaveNetClassifier(spec?.model ?? { classes: 14 });
}

/** The model's input: μ-law values for the WaveNet, the loader's log-mels as they are. */
export function speechInput(name: SpeechTaskName, x: Tensor): Tensor {
  return name === 'speech' ? new Tensor(muLawInput(x.toFloat32Array()), x.shape) : x;
}

function hasManifest(dir: string): boolean {
  return fs.existsSync(path.join(dir, MANIFEST));
}

/** Before `train --task speech…`: the default corpus (size small) is built when it is not there yet. */
export async function ensureSpeechCorpus(data: string | undefined, print: (line: string) => void): Promise<void> {
  if (data !== undefined || hasManifest(defaultSpeechDir())) return;
  print(`speech: no corpus in ${defaultSpeechDir()} yet; building it (size small; \`atrous data speech --size tiny|medium|large\` makes other sizes)`);
  await runDataCommand('small', { seed: 0, sampleRate: SAMPLE_RATE, jobs: 2 }, print);
}

/** The train and test clips of DIR: a built corpus (manifest.json), or DIR/train/<word>/ and DIR/test/<word>/ folders of WAV files. */
function speechData(dir: string): { train: SpeechDataset; test: SpeechDataset; source: string } {
  if (hasManifest(dir)) return { train: loadSpeechCorpus(dir, 'train'), test: loadSpeechCorpus(dir, 'test'), source: `${dir} (espeak-ng corpus; test voices not in train)` };
  if (fs.existsSync(path.join(dir, 'train')) && fs.existsSync(path.join(dir, 'test'))) {
    const train = readSpeechFolder(path.join(dir, 'train'), { sampleRate: SAMPLE_RATE });
    const test = readSpeechFolder(path.join(dir, 'test'), { sampleRate: SAMPLE_RATE });
    for (const { file, reason } of [...train.skipped, ...test.skipped]) process.stderr.write(`speech: skipped ${file}: ${reason}\n`);
    if (train.dataset.labelNames.join() !== test.dataset.labelNames.join()) {
      throw new Error(`speech: ${dir}/train and ${dir}/test have different word folders (${train.dataset.labelNames.join(', ')} vs ${test.dataset.labelNames.join(', ')})`);
    }
    return { train: train.dataset, test: test.dataset, source: `${dir} (your WAV folders)` };
  }
  throw new Error(`speech: ${dir} holds no corpus (no ${MANIFEST}, nor train/ and test/ folders of WAV files per word): build one with \`atrous data speech --out ${dir}\``);
}

export function speechTask(name: SpeechTaskName, opts: TaskOptions, spec?: SpeechSpec): Task {
  const dir = opts.data ?? defaultSpeechDir();
  const { train, test, source } = speechData(dir);
  const labels = train.labelNames;
  if (spec && spec.labels.join() !== labels.join()) throw new Error(`speech: the checkpoint's words (${spec.labels.join(', ')}) are not ${dir}'s (${labels.join(', ')})`);
  const length = spec?.length ?? train.sampleRate;
  const features = name === 'speech' ? 'waveform' : 'logmel';
  const trainLoader = new SpeechLoader(train, { batchSize: opts.batchSize, shuffle: true, seed: opts.seed, length, features, mel: { nMels: N_MELS } });
  const testLoader = new SpeechLoader(test, { batchSize: 64, length, features, mel: { nMels: N_MELS } });
  const modelOptions = spec?.model ?? (name === 'speech' ? { classes: labels.length, readout: opts.causal ? 'steps' : 'pool' } satisfies WaveNetOptions : { classes: labels.length, nMels: N_MELS });
  const model = speechModel(name, { labels, sampleRate: train.sampleRate, length, model: modelOptions });
  const field = (model as WaveNetClassifier | MelCnn).receptiveField;
  const ms = name === 'speech' ? (1000 * field) / train.sampleRate : 25 + 10 * (field - 1); // frames: a 25 ms window every 10 ms
  const what = name === 'speech'
    ? `WaveNet on μ-law audio${(modelOptions as WaveNetOptions).readout === 'steps' ? ' (causal, per-step readout: streams with `atrous listen`)' : ''}, receptive field ${field} samples = ${ms.toFixed(1)} ms`
    : `dilated CNN on ${N_MELS}-band log-mels, receptive field ${field} frames = ${ms} ms`;
  const device = opts.device ?? 'cpu';
  const input = (x: Tensor) => speechInput(name, x).to(device);
  const batchesPerEpoch = limitBatches(trainLoader.numBatches, opts.maxBatches);
  let confusion: ConfusionMatrix | null = null;
  let accuracy = 0;
  return {
    name,
    description: `${source}: ${train.clips.length} training and ${test.clips.length} test clips of ${labels.length} words (${labels.join(', ')}) at ${train.sampleRate} Hz, ${length} samples each; ${what}`,
    model,
    summaryShape: SPEECH_SUMMARY_SHAPES[name],
    unit: 'clips',
    spec: { labels: [...labels], sampleRate: train.sampleRate, length, model: modelOptions } satisfies SpeechSpec,
    batchesPerEpoch,
    *batches(epoch, start) {
      for (const b of trainLoader.epoch(epoch, start)) {
        if (b.index >= batchesPerEpoch) return;
        yield { index: b.index, size: b.targets.length, loss: (m) => crossEntropy(m.forward(input(b.x)) as Tensor, b.targets) };
      }
    },
    evaluate(m) {
      const matrix: ConfusionMatrix = { names: labels, counts: new Int32Array(labels.length ** 2) };
      const e = inEval(m, () => {
        let lossSum = 0;
        let correct = 0;
        for (const b of testLoader.epoch(0)) {
          const logits = m.forward(input(b.x)) as Tensor;
          lossSum += crossEntropy(logits, b.targets).item() * b.targets.length;
          const predicted = argmax(logits.to('cpu'), 1).toInt32Array();
          countConfusions(matrix, b.targets, predicted);
          for (let i = 0; i < predicted.length; i++) if (predicted[i] === b.targets[i]) correct++;
        }
        return { loss: lossSum / testLoader.size, metric: correct / testLoader.size, metricName: 'accuracy' as const };
      });
      confusion = matrix;
      accuracy = e.metric;
      return e;
    },
    pictures() {
      if (!confusion) return [];
      return [{ file: 'confusion.svg', svg: renderConfusionMatrix(confusion, `${name}: test confusion matrix, held-out voices (accuracy ${(100 * accuracy).toFixed(1)}%)`) }];
    },
  };
}
