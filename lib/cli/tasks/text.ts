// Text tasks: `text` (the user's labelled TSV/CSV/JSONL), `fortunes` (the demo: quote topics from
// Debian's fortunes) — both a dilated residual Conv1d classifier over words, with accuracy and a
// confusion matrix — and `char-lm`, a causal dilated character model reporting bits per character.
// The vocabulary and the label names travel in the checkpoint (Task.spec), so eval, resume and
// `atrous generate` encode exactly as training did.
import { noGrad } from '../../core/autograd';
import { tensor, type Tensor } from '../../core/tensor';
import { readFortunes } from '../../data/fortunes';
import { LabelSet, readLabelledText, readUtf8, splitExamples, type LabelledText } from '../../data/labelled-text';
import { languageModelEpoch, TextLoader } from '../../data/text-batches';
import { TextVocabulary, type VocabularyJson } from '../../data/text-vocabulary';
import { CharLm, type CharLmOptions } from '../../models/char-lm';
import { TextCnn, type TextCnnOptions } from '../../models/text-cnn';
import type { Module } from '../../nn';
import { crossEntropy } from '../../ops/loss';
import { argmax } from '../../ops/shape';
import { countConfusions, renderConfusionMatrix, type ConfusionMatrix } from '../../plot/confusion-matrix';
import { inEval, limitBatches, type Evaluation, type Task, type TaskOptions } from './task';

/** What a text checkpoint keeps to rebuild its model and its encoding. */
export interface TextSpec {
  vocab: VocabularyJson;
  /** Class names in id order (classifiers). */
  labels?: string[];
  model: TextCnnOptions | CharLmOptions;
}

const TEST_FRACTION = 0.1;
const SPLIT_SEED = 0; // fixed: eval and resume must see the same test set whatever --seed
export const MAX_WORDS = 200;
export const LM_LENGTH = 128;

const ids = (values: Int32Array, shape: number[]): Tensor => tensor(values, shape, { dtype: 'int32' });

function expectCpu(name: string, opts: TaskOptions): void {
  if ((opts.device ?? 'cpu') !== 'cpu') throw new Error(`--task ${name} runs on the CPU in this version (embeddings have no CUDA kernel): drop --device cuda`);
}

/** `text` (with --data FILE) and `fortunes`. */
/** A classification task's data as the model sees it: encoded train/test texts, their label ids, the encoding. */
export interface TextClassificationData {
  source: string;
  train: { ids: Int32Array[]; labels: Int32Array };
  test: { ids: Int32Array[]; labels: Int32Array };
  vocab: TextVocabulary;
  labels: LabelSet;
}

/** Reads, splits and encodes the texts of `text` (--data FILE) or `fortunes` (also for scripts/bench-text-vs-torch.mjs). */
export function textClassificationData(name: 'text' | 'fortunes', data: string | undefined, spec?: TextSpec): TextClassificationData {
  let examples: LabelledText[];
  let source: string;
  if (name === 'text') {
    if (!data) throw new Error('--task text needs --data FILE (label<TAB>text lines, .csv or .jsonl)');
    examples = readLabelledText(data);
    source = data;
  } else {
    examples = readFortunes({ dir: data });
    source = `the fortunes package (${data ?? '/usr/share/games/fortunes'})`;
  }
  const { train, test } = splitExamples(examples, TEST_FRACTION, SPLIT_SEED);
  const labels = spec?.labels ? new LabelSet(spec.labels) : LabelSet.fromExamples(train);
  const vocab = spec ? TextVocabulary.fromJSON(spec.vocab) : TextVocabulary.fromTexts('words', train.map((e) => e.text), { maxSize: 20000 });
  const encode = (xs: LabelledText[]) => xs.map((e) => vocab.encode(e.text).ids.subarray(0, MAX_WORDS));
  return { source, train: { ids: encode(train), labels: labels.ids(train) }, test: { ids: encode(test), labels: labels.ids(test) }, vocab, labels };
}

export function textClassificationTask(name: 'text' | 'fortunes', opts: TaskOptions, spec?: TextSpec): Task {
  expectCpu(name, opts);
  const { source, train, test, vocab, labels } = textClassificationData(name, opts.data, spec);
  const modelOptions = (spec?.model as TextCnnOptions | undefined) ?? { vocabSize: vocab.size, classes: labels.names.length };
  const trainLoader = new TextLoader(train.ids, train.labels, { batchSize: opts.batchSize, maxLength: MAX_WORDS, shuffle: true, seed: opts.seed });
  const testLoader = new TextLoader(test.ids, test.labels, { batchSize: 256, maxLength: MAX_WORDS });
  const batchesPerEpoch = limitBatches(trainLoader.batchesPerEpoch, opts.maxBatches);
  let confusion: ConfusionMatrix | null = null;
  return {
    name,
    description: `${source}: ${train.ids.length} training and ${test.ids.length} test texts in ${labels.names.length} classes (${labels.names.join(', ')}); ${vocab.size} word ids`,
    model: new TextCnn(modelOptions),
    summaryShape: [1, 64],
    summaryDtype: 'int32',
    unit: 'texts',
    spec: { vocab: vocab.toJSON(), labels: [...labels.names], model: modelOptions } satisfies TextSpec,
    batchesPerEpoch,
    *batches(epoch, start) {
      let index = 0;
      for (const b of trainLoader.epoch(epoch)) {
        if (index >= batchesPerEpoch) return;
        if (index++ < start) continue;
        yield { index: index - 1, size: b.batch, loss: (model) => crossEntropy(model.forward(ids(b.tokens, [b.batch, b.length])) as Tensor, b.labels!) };
      }
    },
    evaluate(model) {
      const matrix: ConfusionMatrix = { names: labels.names, counts: new Int32Array(labels.names.length ** 2) };
      const e = inEval(model, () => {
        let lossSum = 0;
        let correct = 0;
        for (const b of testLoader.epoch(0)) {
          const logits = model.forward(ids(b.tokens, [b.batch, b.length])) as Tensor;
          lossSum += crossEntropy(logits, b.labels!).item() * b.batch;
          const predicted = argmax(logits, 1).toInt32Array();
          countConfusions(matrix, b.labels!, predicted);
          for (let i = 0; i < b.batch; i++) if (predicted[i] === b.labels![i]) correct++;
        }
        return { loss: lossSum / testLoader.size, metric: correct / testLoader.size, metricName: 'accuracy' as const };
      });
      confusion = matrix;
      return e;
    },
    pictures() {
      if (!confusion) return [];
      const total = confusion.counts.reduce((a, b) => a + b, 0);
      let right = 0;
      for (let c = 0; c < confusion.names.length; c++) right += confusion.counts[c * confusion.names.length + c];
      return [{ file: 'confusion.svg', svg: renderConfusionMatrix(confusion, `${name}: test confusion matrix (accuracy ${((100 * right) / total).toFixed(1)}%)`) }];
    },
  };
}

/** The corpus of the character model: --data FILE (UTF-8 text), else the fortunes' prose. */
function languageModelCorpus(data: string | undefined): { text: string; source: string } {
  if (data) return { text: readUtf8(data, 'char-lm'), source: data };
  const entries = readFortunes({ categories: ['computers', 'definitions', 'fortunes', 'humorists', 'literature', 'people', 'platitudes', 'science', 'wisdom', 'work'] });
  return { text: entries.map((e) => e.text).join('\n\n') + '\n', source: 'the fortunes package' };
}

/** `char-lm`: next-character prediction; the metric is bits per character on the held-out tail. */
/** The character model's data: the corpus's ids, its last 5% held out, and the encoding (also for the bench). */
export function charLmData(data: string | undefined, spec?: TextSpec): { source: string; trainIds: Int32Array; testIds: Int32Array; vocab: TextVocabulary } {
  const { text, source } = languageModelCorpus(data);
  const chars = Array.from(text);
  const cut = Math.floor(chars.length * (1 - TEST_FRACTION / 2));
  const trainText = chars.slice(0, cut).join('');
  const testText = chars.slice(cut).join('');
  const vocab = spec ? TextVocabulary.fromJSON(spec.vocab) : TextVocabulary.fromTexts('chars', [trainText], { maxSize: 256 });
  return { source, trainIds: vocab.encode(trainText).ids, testIds: vocab.encode(testText).ids, vocab };
}

export function charLmTask(opts: TaskOptions, spec?: TextSpec): Task {
  expectCpu('char-lm', opts);
  const { source, trainIds, testIds, vocab } = charLmData(opts.data, spec);
  const modelOptions = spec?.model ?? { vocabSize: vocab.size };
  const windows = Math.floor((trainIds.length - 1) / LM_LENGTH);
  const testWindows = Math.floor((testIds.length - 1) / LM_LENGTH);
  if (testWindows < 1) throw new Error(`char-lm: ${source} is too short: its held-out tail (${testIds.length} characters) needs at least ${LM_LENGTH + 1}`);
  const batchesPerEpoch = limitBatches(Math.floor(windows / opts.batchSize), opts.maxBatches);
  if (batchesPerEpoch < 1) throw new Error(`char-lm: ${source} holds ${trainIds.length} training characters, too few for one batch of ${opts.batchSize} windows of ${LM_LENGTH}`);
  const model = new CharLm(modelOptions);
  return {
    name: 'char-lm',
    description: `${source}: ${trainIds.length} training and ${testIds.length} test characters, ${vocab.size} character ids; windows of ${LM_LENGTH}, receptive field ${model.receptiveField}`,
    model,
    summaryShape: [1, LM_LENGTH],
    summaryDtype: 'int32',
    unit: 'characters',
    spec: { vocab: vocab.toJSON(), model: modelOptions } satisfies TextSpec,
    batchesPerEpoch,
    *batches(epoch, start) {
      let index = 0;
      for (const b of languageModelEpoch(trainIds, { batchSize: opts.batchSize, length: LM_LENGTH, seed: opts.seed, epoch })) {
        if (index >= batchesPerEpoch) return;
        if (index++ < start) continue;
        yield { index: index - 1, size: b.batch * b.length, loss: (m) => crossEntropy(m.forward(ids(b.inputs, [b.batch, b.length])) as Tensor, ids(b.targets, [b.batch, b.length])) };
      }
    },
    evaluate(m) {
      return inEval(m, () => evaluateLanguageModel(m, testIds, Math.min(16, testWindows)));
    },
  };
}

/** Mean next-character loss (nats) over the held-out windows, and bits per character. */
export function evaluateLanguageModel(model: Module, testIds: Int32Array, batchSize: number): Evaluation {
  let lossSum = 0;
  let count = 0;
  noGrad(() => {
    for (const b of languageModelEpoch(testIds, { batchSize, length: LM_LENGTH, epoch: 0 })) {
      const logits = model.forward(ids(b.inputs, [b.batch, b.length])) as Tensor;
      lossSum += crossEntropy(logits, ids(b.targets, [b.batch, b.length])).item() * b.batch * b.length;
      count += b.batch * b.length;
    }
  });
  const loss = lossSum / count;
  return { loss, metric: loss / Math.LN2, metricName: 'bits/char' };
}
