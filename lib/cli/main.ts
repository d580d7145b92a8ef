// The `atrous` command line: train, finetune, eval, summary, bench, data, generate, listen. `npm start` runs `atrous train`.
// Every option is checked before any work; a bad one prints what was expected and the usage.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { setNumThreads } from '../native/backend';
import { cudaStatus } from '../native/cuda-status';
import { loadCheckpoint } from '../io/checkpoint';
import { manualSeed } from '../core/random';
import type { Device } from '../core/tensor';
import { runBench } from './bench';
import { checkDataOptions, runDataCommand } from './data';
import { generate } from './generate';
import { listen } from './listen';
import { ensureSpeechCorpus } from './tasks/speech';
import { runSummary } from './summary';
import { formatMetric, makeTask, TASKS, type SequenceOptions, type TaskName } from './tasks';
import { applyPreset, PRESETS, type PresetTarget } from './tasks/presets';
import type { TcnInit } from '../models/tcn';
import { readRunState, train } from './train';
import { ON_NONFINITE, type OnNonFinite } from './nonfinite';

export const USAGE = `usage: atrous <command> [options]

commands:
  train      train a model; writes checkpoint.safetensors, log.json and plot.svg into --out
             [--task fashion-mnist|adding|copy-memory|seq-fashion-mnist|text|fortunes|char-lm|speech|speech-mel|
             segmentation|detection] [--data DIR|FILE] [--epochs N]
             [--batch-size B] [--lr X] [--max-batches N] [--out DIR] [--resume FILE] [--threads N] [--seed N] [--augment]
             [--device cpu|cuda] [--tensorboard DIR]  (event files; view: tensorboard --logdir DIR) [--clip-grad-norm X]
             TCN tasks: [--seq-len T (adding, copy-memory)] [--levels N] [--channels C] [--kernel-size K] [--weight-norm]
             [--init default|paper|normal] [--permute (seq-fashion-mnist)] [--preset ${Object.keys(PRESETS).join('|')}]
             [--causal]  (speech: the streamable WaveNet that \`atrous listen\` runs)
             [--class-weights auto]  (segmentation: weight the loss by label frequency)
             [--detect-anomaly] (name the op and layer of the first NaN/Inf) [--on-nonfinite stop|skip]
  finetune   --checkpoint FILE: freeze the backbone, put a new head on it and train that (same options)
  eval       --checkpoint FILE [--data DIR] [--threads N] [--device cpu|cuda]: test loss and accuracy (or MSE)
             (a TCN task's --seq-len and model flags, if given, must match the checkpoint's)
  summary    [--task T]: the model's layers, output shapes, parameters and receptive fields
             [--dilations 2,2,2 (repeatable): plain 3×3 dilated stacks instead] [--picture FILE.svg]
  generate   --checkpoint FILE (a char-lm run) [--prompt TEXT] [--length N] [--temperature T] [--seed N]:
             sample text with streaming inference, printing characters as they come
  listen     --checkpoint FILE (a speech --causal run) [--input FILE.wav | -] [--realtime] [--threads N]:
             recognise words in audio streamed in 100 ms chunks (stdin '-': raw 16-bit mono PCM at the
             model's rate, or WAV), printing them as they come, then the real-time factor
  bench      [--repeats N] [--threads N] [--shapes S1,S2]: the conv suite, beside PyTorch if installed
  data speech  [--out DIR] [--size tiny|small|medium|large] [--seed N] [--sample-rate 8000|16000] [--jobs N]:
             synthesise the spoken-words corpus with espeak-ng (default --out ~/.cache/atrous/speech)

data for fashion-mnist, in order: --data DIR, $ATROUS_DATA, /usr/share/datasets/fashion-mnist
(Debian's dataset-fashion-mnist), else the subset embedded in the package. --task text needs
--data FILE (label<TAB>text lines, .csv or .jsonl); fortunes and char-lm read Debian's fortunes
package (char-lm: or --data FILE, any UTF-8 text). speech and speech-mel read --data DIR (a corpus
built by \`atrous data speech\`, or DIR/train/<word>/*.wav and DIR/test/<word>/*.wav), else the
default corpus, built on first use.`;

const OPTIONS = {
  task: { type: 'string' },
  data: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'max-batches': { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'string' },
  threads: { type: 'string' },
  seed: { type: 'string' },
  augment: { type: 'boolean' },
  checkpoint: { type: 'string' },
  repeats: { type: 'string' },
  shapes: { type: 'string' },
  device: { type: 'string' },
  tensorboard: { type: 'string' },
  dilations: { type: 'string', multiple: true },
  picture: { type: 'string' },
  size: { type: 'string' },
  prompt: { type: 'string' },
  length: { type: 'string' },
  temperature: { type: 'string' },
  'sample-rate': { type: 'string' },
  jobs: { type: 'string' },
  causal: { type: 'boolean' },
  input: { type: 'string' },
  realtime: { type: 'boolean' },
  'class-weights': { type: 'string' },
  preset: { type: 'string' },
  'seq-len': { type: 'string' },
  levels: { type: 'string' },
  channels: { type: 'string' },
  'kernel-size': { type: 'string' },
  'weight-norm': { type: 'boolean' },
  init: { type: 'string' },
  permute: { type: 'boolean' },
  'clip-grad-norm': { type: 'string' },
  'detect-anomaly': { type: 'boolean' },
  'on-nonfinite': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SEQUENCE_OPTIONS = ['seq-len', 'levels', 'channels', 'kernel-size', 'weight-norm', 'init', 'permute'];
const TRAIN_TCN_OPTIONS = [...SEQUENCE_OPTIONS, 'preset', 'clip-grad-norm'];

const ALLOWED: Record<string, string[]> = {
  train: ['task', 'data', 'epochs', 'batch-size', 'lr', 'max-batches', 'out', 'resume', 'threads', 'seed', 'augment', 'device', 'tensorboard', 'causal', 'class-weights', 'detect-anomaly', 'on-nonfinite', ...TRAIN_TCN_OPTIONS],
  finetune: ['checkpoint', 'data', 'epochs', 'batch-size', 'lr', 'max-batches', 'out', 'resume', 'threads', 'seed', 'augment', 'device', 'tensorboard', 'class-weights', 'detect-anomaly', 'on-nonfinite', ...TRAIN_TCN_OPTIONS],
  eval: ['checkpoint', 'data', 'threads', 'device', ...SEQUENCE_OPTIONS],
  summary: ['task', 'dilations', 'picture'],
  bench: ['repeats', 'threads', 'shapes'],
  data: ['out', 'size', 'seed', 'sample-rate', 'jobs'],
  generate: ['checkpoint', 'prompt', 'length', 'temperature', 'seed', 'threads'],
  listen: ['checkpoint', 'input', 'realtime', 'threads'],
};

class UsageError extends Error {}

function onNonFiniteOption(value: string | undefined): OnNonFinite {
  if (value === undefined) return 'stop';
  if ((ON_NONFINITE as readonly string[]).includes(value)) return value as OnNonFinite;
  throw new UsageError(`--on-nonfinite expects ${ON_NONFINITE.join(' or ')}, but got '${value}'`);
}

function deviceOption(value: string | undefined): Device {
  if (value === undefined || value === 'cpu') return 'cpu';
  if (value !== 'cuda') throw new UsageError(`--device expects cpu or cuda, but got '${value}'`);
  const cuda = cudaStatus();
  if (!cuda.usable) throw new UsageError(`--device cuda: CUDA is not available: ${cuda.reason}`);
  return 'cuda';
}

function intOption(name: string, value: string | undefined, min: number, fallback: number): number;
function intOption(name: string, value: string | undefined, min: number, fallback?: number): number | undefined;
function intOption(name: string, value: string | undefined, min: number, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} expects an integer >= ${min}, but got '${value}'`);
  return n;
}

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} expects a number > 0, but got '${value}'`);
  return n;
}

function taskOption(value: string | undefined, fallback: TaskName): TaskName {
  if (value === undefined) return fallback;
  if (!(TASKS as readonly string[]).includes(value)) throw new UsageError(`--task expects one of ${TASKS.join(', ')}, but got '${value}'`);
  return value as TaskName;
}

function classWeightsOption(value: string | undefined, fallback: 'auto' | undefined): 'auto' | undefined {
  if (value === undefined) return fallback;
  if (value !== 'auto') throw new UsageError(`--class-weights expects auto, but got '${value}'`);
  return 'auto';
}

/** The TCN tasks' flags as given (undefined where not). */
function sequenceOptions(values: Record<string, string | boolean | string[] | undefined>): SequenceOptions {
  const str = (k: string) => values[k] as string | undefined;
  return {
    seqLen: intOption('seq-len', str('seq-len'), 1), levels: intOption('levels', str('levels'), 1), channels: intOption('channels', str('channels'), 1),
    kernelSize: intOption('kernel-size', str('kernel-size'), 1), weightNorm: values['weight-norm'] as boolean | undefined, init: str('init') as TcnInit | undefined,
    permute: values.permute as boolean | undefined,
  };
}

/** What train/finetune's flags give, with --preset's values filled in (a conflict is a usage error). */
function trainTargets(values: Record<string, string | boolean | string[] | undefined>): PresetTarget {
  const str = (k: string) => values[k] as string | undefined;
  const given: PresetTarget = {
    task: str('task') === undefined ? undefined : taskOption(str('task'), 'fashion-mnist'),
    sequence: sequenceOptions(values),
    batchSize: intOption('batch-size', str('batch-size'), 1),
    lr: str('lr') === undefined ? undefined : positiveNumber('lr', str('lr'), 0),
    clipGradNorm: str('clip-grad-norm') === undefined ? undefined : positiveNumber('clip-grad-norm', str('clip-grad-norm'), 0),
  };
  if (str('preset') === undefined) return given;
  try {
    return applyPreset(str('preset')!, given);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-');
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage, 130 interrupted). */
export async function main(argv: string[], print: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  const printError = (l: string) => process.stderr.write(l + '\n');
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    print(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    if (!(command in ALLOWED)) throw new UsageError(`unknown command '${command}' (expected one of ${Object.keys(ALLOWED).join(', ')})`);
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
    if (values.help) {
      print(USAGE);
      return 0;
    }
    const maxPositionals = command === 'data' ? 1 : 0; // `data <set>`
    if (positionals.length > maxPositionals) throw new UsageError(`${command}: unexpected argument '${positionals[maxPositionals]}'`);
    for (const key of Object.keys(values)) {
      if (!ALLOWED[command].includes(key)) throw new UsageError(`${command}: --${key} is not an option of this command (expected ${ALLOWED[command].map((k) => `--${k}`).join(', ')})`);
    }
    const threads = intOption('threads', values.threads, 1);
    if (threads !== undefined) setNumThreads(threads);

    switch (command) {
      case 'train':
      case 'finetune': {
        const source = command === 'finetune' ? values.checkpoint : undefined;
        if (command === 'finetune' && !source && !values.resume) throw new UsageError('finetune: --checkpoint FILE (a checkpoint written by `atrous train`) is required');
        const fromRun = source ? readRunState(source) : values.resume ? readRunState(values.resume) : null;
        const given = trainTargets(values);
        const task = given.task ?? fromRun?.task ?? 'fashion-mnist';
        const defaults = fromRun?.config;
        if (values.causal && task !== 'speech') throw new UsageError(`--causal is an option of --task speech, not ${task}`);
        if (task === 'speech' || task === 'speech-mel') await ensureSpeechCorpus(values.data ?? defaults?.data, print);
        // Ctrl-C: finish the batch, save, exit 130; a second one exits at once.
        const stop = new AbortController();
        const onSigint = () => {
          if (stop.signal.aborted) process.exit(130);
          stop.abort();
        };
        process.on('SIGINT', onSigint);
        const result = await train(
          {
            task,
            data: values.data ?? (values.resume ? defaults?.data : undefined),
            epochs: intOption('epochs', values.epochs, 1, values.resume ? (defaults?.epochs ?? 2) : command === 'finetune' ? 1 : 2),
            batchSize: given.batchSize ?? (values.resume ? (defaults?.batchSize ?? 64) : 64),
            lr: given.lr ?? (values.resume ? (defaults?.lr ?? 1e-3) : command === 'finetune' ? 1e-3 : 2e-3),
            clipGradNorm: given.clipGradNorm ?? (values.resume ? defaults?.clipGradNorm : undefined),
            sequence: given.sequence,
            maxBatches: intOption('max-batches', values['max-batches'], 1, values.resume ? defaults?.maxBatches : undefined),
            out: values.out ?? (values.resume ? path.dirname(values.resume) : path.join('runs', `${timestamp()}${command === 'finetune' ? '-finetune' : ''}`)),
            resume: values.resume,
            seed: intOption('seed', values.seed, 0, values.resume ? (defaults?.seed ?? 0) : 0),
            augment: values.augment ?? (values.resume ? Boolean(defaults?.augment) : false),
            causal: values.causal,
            finetuneFrom: source ?? (values.resume ? defaults?.finetuneFrom : undefined),
            tensorboard: values.tensorboard,
            classWeights: classWeightsOption(values['class-weights'], values.resume || source ? defaults?.classWeights : undefined),
            device: deviceOption(values.device),
            detectAnomaly: values['detect-anomaly'] ?? false,
            onNonFinite: onNonFiniteOption(values['on-nonfinite']),
          },
          { print, signal: stop.signal },
        ).finally(() => process.removeListener('SIGINT', onSigint));
        return result.interrupted ? 130 : 0;
      }
      case 'eval': {
        if (!values.checkpoint) throw new UsageError('eval: --checkpoint FILE is required');
        const run = readRunState(values.checkpoint);
        manualSeed(0);
        const device = deviceOption(values.device);
        const task = makeTask(run.task, { data: values.data ?? run.config.data, batchSize: 64, seed: run.config.seed, augment: false, maxBatches: 1, device, classWeights: run.config.classWeights, sequence: sequenceOptions(values) }, run.spec);
        loadCheckpoint(values.checkpoint, { model: task.model });
        task.model.to(device);
        print(task.description);
        const e = task.evaluate(task.model);
        print(`${values.checkpoint}: ${run.task}${run.finetune ? ' (fine-tuned)' : ''} after ${run.history.length} epoch(s): ${formatMetric(e)}, test loss ${e.loss.toFixed(4)}`);
        return 0;
      }
      case 'summary': {
        if (values.task !== undefined && values.dilations) throw new UsageError('summary: --task and --dilations exclude each other (--dilations summarises plain dilated stacks)');
        const dilations = values.dilations?.map((list) => list.split(',').map((d) => intOption('dilations', d, 1, 1)));
        runSummary({ task: taskOption(values.task, 'fashion-mnist'), dilations, picture: values.picture }, print);
        return 0;
      }
      case 'generate': {
        if (!values.checkpoint) throw new UsageError('generate: --checkpoint FILE (a char-lm run) is required');
        const temperature = values.temperature === undefined ? 0.8 : Number(values.temperature);
        if (values.temperature !== undefined && (values.temperature.trim() === '' || !Number.isFinite(temperature) || temperature < 0)) {
          throw new UsageError(`--temperature expects a number >= 0, but got '${values.temperature}'`);
        }
        const write = (text: string) => process.stdout.write(text);
        const result = generate({ checkpoint: values.checkpoint, prompt: values.prompt, length: intOption('length', values.length, 1, 400), temperature, seed: intOption('seed', values.seed, 0, 0) }, write, printError);
        write('\n');
        printError(`${result.text.length} characters in ${result.seconds.toFixed(2)} s (${(result.text.length / result.seconds).toFixed(0)} characters/s, streaming)`);
        return 0;
      }
      case 'listen': {
        if (!values.checkpoint) throw new UsageError('listen: --checkpoint FILE (a `train --task speech --causal` run) is required');
        const input = values.input ?? '-';
        const r = await listen({ checkpoint: values.checkpoint, input, realtime: values.realtime }, print, printError);
        const speed = r.audioSeconds / r.computeSeconds;
        print(`${r.words.length} word(s) in ${r.audioSeconds.toFixed(2)} s of audio; processing took ${r.computeSeconds.toFixed(3)} s: real-time factor ${(1 / speed).toFixed(3)} (${speed.toFixed(1)}× faster than real time)`);
        return 0;
      }
      case 'bench':
        runBench({ repeats: intOption('repeats', values.repeats, 1, 5), threads, only: values.shapes ? values.shapes.split(',') : [] }, print);
        return 0;
      case 'data': {
        const opts = { out: values.out, size: values.size, seed: intOption('seed', values.seed, 0, 0), sampleRate: intOption('sample-rate', values['sample-rate'], 1, 8000), jobs: intOption('jobs', values.jobs, 1, 2) };
        let size;
        try {
          size = checkDataOptions(positionals[0], opts);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        await runDataCommand(size, opts, print);
        return 0;
      }
    }
    return 2;
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    printError(`atrous ${command}: ${(e as Error).message}`);
    if (usage) {
      printError(`(run \`atrous --help\` for the usage)`);
      return 2;
    }
    return 1;
  }
}
