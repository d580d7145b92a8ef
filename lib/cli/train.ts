// The training loop behind `atrous train` and `atrous finetune`: Adam with a per-batch cosine learning
// rate, a progress bar per epoch, one summary line per epoch, and after each epoch a checkpoint
// (safetensors), a JSON log and an SVG plot (per-epoch points and per-step smoothed loss, learning rate and
// throughput) in the output directory; with --tensorboard DIR, TensorBoard event files as well. Ctrl-C stops after the current
// batch and saves a checkpoint that --resume continues from, mid-epoch included.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint';
import { writeFileAtomically } from '../io/atomic-write';
import { DilatedCnn } from '../models/dilated-cnn';
import { Tcn } from '../models/tcn';
import { Linear, type Module } from '../nn';
import { Adam } from '../optim/adam';
import { CosineAnnealingLR } from '../optim/schedulers';
import { renderSvgPlot } from '../plot/svg';
import { tileImages } from '../plot/tile';
import { encodePng } from '../io/png';
import { TensorBoardWriter } from '../io/tensorboard';
import { manualSeed } from '../core/random';
import { withModelOutputsDisposed } from '../core/autograd';
import { EpochProgress } from './progress';
import { cudaStatus, expectCuda } from '../native/cuda-status';
import type { Device } from '../core/tensor';
import { guardedStep, type OnNonFinite } from './nonfinite';
import { formatMetric, isFractionMetric, makeTask, type Evaluation, type SequenceOptions, type Task, type TaskName } from './tasks';
import { startDataParallel } from './tasks/data-parallel';
import { clipGradNorm } from '../optim/clip';
import { DeepLabLite } from '../models/aspp';
import { CenterNet } from '../models/centernet-head';

/** Tasks whose samples are images (the progress bar and throughput count images, not sequences). */
const IMAGE_TASKS: readonly TaskName[] = ['fashion-mnist', 'segmentation', 'detection'];
/** What one sample is called: the task's own unit (texts, characters, clips), else images or sequences. */
const unitOf = (task: TaskName, own?: string) => own ?? (IMAGE_TASKS.includes(task) ? 'images' : 'sequences');

export interface TrainConfig {
  task: TaskName;
  data?: string;
  epochs: number;
  batchSize: number;
  lr: number;
  maxBatches?: number;
  out: string;
  resume?: string;
  seed: number;
  augment: boolean;
  /** speech: train the causal (streamable) WaveNet; kept in the checkpoint's spec. */
  causal?: boolean;
  /** Fine-tuning: the checkpoint whose backbone is frozen under a new head. */
  finetuneFrom?: string;
  /** Where the model trains: 'cpu' (default) or 'cuda'; not kept in the checkpoint (a resume picks anew). */
  device?: Device;
  /** A directory for TensorBoard event files (per-step and per-epoch scalars, sample pictures); none when unset. */
  tensorboard?: string;
  /** 'auto': segmentation's loss weighted per label by label frequency (classWeights). */
  classWeights?: 'auto';
  /** Clips the gradients' global 2-norm to this before each step (torch.nn.utils.clip_grad_norm_); none when unset. */
  clipGradNorm?: number;
  /** The TCN tasks' length and model flags (the checkpoint's spec keeps what they resolved to). */
  sequence?: SequenceOptions;
  /** at.autograd anomaly mode for the run: the first NaN/Inf names its op and layer. */
  detectAnomaly?: boolean;
  /** A non-finite step: 'stop' (default) ends the run with an error; 'skip' drops the update and counts it. */
  onNonFinite?: OnNonFinite;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  metricName: Evaluation['metricName'];
  metric: number;
  /** Further scores beside the metric (segmentation: pixel accuracy). */
  extra?: Record<string, number>;
  seconds: number;
  samplesPerSecond: number;
}

/** One training step, for the plot: x in epochs (1.5 = half-way through the second), smoothed values. */
export interface StepRecord {
  x: number;
  loss: number;
  lr: number;
  samplesPerSecond: number;
}

/** What a checkpoint keeps beside the tensors, to rebuild the run and continue it. */
export interface RunState {
  task: TaskName;
  finetune: boolean;
  /** The epoch in progress (0-based) and the batches of it already done. */
  epoch: number;
  batch: number;
  partial: { lossSum: number; samples: number; seconds: number };
  history: EpochRecord[];
  /** Per training step (absent in checkpoints from before it was kept). */
  steps?: StepRecord[];
  /** What the task needs to rebuild its model and encoding (Task.spec: a text task's vocabulary and labels). */
  spec?: object;
  config: Omit<TrainConfig, 'resume' | 'out' | 'device' | 'tensorboard' | 'sequence' | 'detectAnomaly' | 'onNonFinite'>;
}

export interface TrainResult {
  outDir: string;
  checkpoint: string;
  history: EpochRecord[];
  interrupted: boolean;
}

export interface TrainHooks {
  /** Where the start lines and the per-epoch summaries go (default: stdout). */
  print?: (line: string) => void;
  /** Stops after the current batch and saves, as Ctrl-C does (the CLI wires SIGINT to it). */
  signal?: AbortSignal;
  /** Called after every training batch with the epoch (0-based) and the batches done in it. */
  onBatch?: (epoch: number, batchesDone: number, loss: number) => void;
}

export function readRunState(file: string): RunState {
  // Metadata only: loadCheckpoint with no parts checks the file and returns the record.
  const { extra } = loadCheckpoint(file, {});
  const state = extra as RunState | null;
  if (!state || typeof state !== 'object' || typeof state.task !== 'string' || !Array.isArray(state.history)) {
    throw new Error(`'${file}' is an atrous checkpoint but not one written by \`atrous train\` (no run state in its metadata)`);
  }
  return state;
}

/** Freezes the backbone and puts a freshly initialised head in its place; returns the trainable part. */
function newHeadOnFrozenBackbone(model: Module): { head: Module; backbone: Module } {
  if (model instanceof DilatedCnn) {
    model.features.freeze();
    model.head = model.newHead();
    return { head: model.head, backbone: model.features };
  }
  if (model instanceof DeepLabLite || model instanceof CenterNet) {
    model.backbone.freeze();
    model.head = model.newHead();
    return { head: model.head, backbone: model.backbone };
  }
  if (model instanceof Tcn) {
    for (const b of model.blocks) b.freeze();
    model.head = new Linear(model.head.inFeatures, model.head.outFeatures);
    return { head: model.head, backbone: model };
  }
  throw new Error(`finetune: no backbone/head split for ${model.constructor.name}`);
}

export async function train(config: TrainConfig, hooks: TrainHooks = {}): Promise<TrainResult> {
  // Under mpirun: data-parallel, and only rank 0 prints and writes (lib/cli/tasks/data-parallel.ts).
  const parallel = startDataParallel();
  const lead = parallel === null || parallel.rank === 0;
  const print = lead ? (hooks.print ?? ((l: string) => process.stdout.write(l + '\n'))) : () => {};
  const resumed = config.resume ? readRunState(config.resume) : null;
  if (resumed && resumed.task !== config.task) {
    throw new Error(`--resume: '${config.resume}' is a ${resumed.task} run, but --task is ${config.task}`);
  }
  const device = config.device ?? 'cpu';
  if (device === 'cuda') expectCuda('--device cuda');
  manualSeed(config.seed);
  const sourceSpec = resumed?.spec ?? (config.finetuneFrom ? readRunState(config.finetuneFrom).spec : undefined);
  const task: Task = makeTask(config.task, {
    data: config.data, batchSize: config.batchSize, seed: config.seed, augment: config.augment, maxBatches: config.maxBatches, device, causal: config.causal,
    classWeights: config.classWeights, sequence: config.sequence,
  }, sourceSpec);
  const model = task.model;
  const finetune = Boolean(config.finetuneFrom) || Boolean(resumed?.finetune);
  let backbone: Module | null = null;
  if (config.finetuneFrom && !resumed) {
    const source = readRunState(config.finetuneFrom);
    if (source.task !== config.task) throw new Error(`finetune: '${config.finetuneFrom}' holds a ${source.task} model, but --task is ${config.task}`);
    loadCheckpoint(config.finetuneFrom, { model });
    manualSeed(config.seed); // the new head's initialisation does not depend on the source run
  }
  if (finetune) backbone = newHeadOnFrozenBackbone(model).backbone;
  model.to(device); // before the optimizer and any resumed state: both follow the parameters
  const trainable = model.parameters().filter((p) => p.requiresGrad);
  const steps = parallel ? parallel.stepsPerEpoch(task) : task.batchesPerEpoch;
  const optimizer = new Adam(trainable, { lr: config.lr });
  const scheduler = new CosineAnnealingLR(optimizer, { tMax: Math.max(1, config.epochs * task.batchesPerEpoch) });
  const setTrainMode = () => {
    model.train();
    backbone?.eval(); // a frozen backbone keeps its BatchNorm statistics
  };

  let state: RunState = {
    task: config.task, finetune, epoch: 0, batch: 0, partial: { lossSum: 0, samples: 0, seconds: 0 }, history: [], spec: task.spec,
    config: { task: config.task, data: config.data, epochs: config.epochs, batchSize: config.batchSize, lr: config.lr, maxBatches: config.maxBatches, seed: config.seed, augment: config.augment, finetuneFrom: config.finetuneFrom, classWeights: config.classWeights, clipGradNorm: config.clipGradNorm },
  };
  if (resumed && config.resume) {
    loadCheckpoint(config.resume, { model, optimizer, scheduler });
    state = { ...resumed, config: state.config };
  }

  const runModel = parallel ? parallel.wrap(model) : model; // after --resume: DDP broadcasts rank 0's state
  if (lead) fs.mkdirSync(config.out, { recursive: true });
  const files = { checkpoint: path.join(config.out, 'checkpoint.safetensors'), log: path.join(config.out, 'log.json'), plot: path.join(config.out, 'plot.svg') };
  print(task.description);
  print(model.summary(task.summaryShape, { dtype: task.summaryDtype }).table);
  if (finetune) print(`fine-tuning: backbone frozen, new head (${trainable.reduce((n, p) => n + p.numel, 0).toLocaleString('en-US')} trainable parameters)`);
  if (resumed) print(`resuming from ${config.resume}: epoch ${state.epoch + 1}, batch ${state.batch}`);
  if (device === 'cuda') print(`device: cuda, ${cudaStatus().device}`);
  if (parallel) print(`data-parallel: ${parallel.size} ranks, global batch ${config.batchSize} × ${parallel.size}`);
  print(`output: ${config.out}`);

  let stopAgreed = false; // data-parallel: some rank was asked to stop, so all stop after the same step
  const stopped = () => hooks.signal?.aborted === true;
  let interrupted = stopped();
  const save = () => {
    if (!lead) return;
    saveCheckpoint(files.checkpoint, { model, optimizer, scheduler, epoch: state.epoch, extra: state });
    writeLog(files.log, state, interrupted);
    writeFileAtomically(files.plot, plotHistory(state.history, config.task, state.steps ?? []));
  };
  const board = config.tensorboard && lead ? new TensorBoardWriter(config.tensorboard) : null;
  const globalStep = () => state.epoch * steps + state.batch;
  if (board) print(`tensorboard: ${board.file} (view with: tensorboard --logdir ${config.tensorboard})`);
  if (board && task.sampleImages) {
    const { images, height, width } = task.sampleImages;
    const grid = tileImages(images, height, width, 16);
    board.addImages(globalStep(), { 'test/samples': { png: encodePng(grid.width, grid.height, 1, grid.pixels), height: grid.height, width: grid.width, channels: 1 } });
  }
  // Exponential moving averages with bias correction (as TensorBoard's smoothing), restarted per run.
  const smoothLoss = ema(0.9);
  const smoothRate = ema(0.9);
  const onNonFinite = config.onNonFinite ?? 'stop';
  const anomaly = config.detectAnomaly === true;
  const stepGuard = { params: model.namedParameters().filter(([, p]) => p.requiresGrad), buffers: model.buffers(), skip: onNonFinite === 'skip', detectAnomaly: anomaly };
  const skipped: string[] = []; // this epoch's skipped steps, reported with its summary line
  try {
    while (state.epoch < config.epochs && !interrupted) {
      setTrainMode();
      const unit = unitOf(config.task, task.unit);
      const bar = lead ? new EpochProgress(`epoch ${state.epoch + 1}/${config.epochs}`, steps, state.batch, unit) : null;
      const started = process.hrtime.bigint();
      const secondsSoFar = () => state.partial.seconds + Number(process.hrtime.bigint() - started) / 1e9;
      for (const batch of parallel ? parallel.batches(task, state.epoch, state.batch) : task.batches(state.epoch, state.batch)) {
        const stepStarted = process.hrtime.bigint();
        const lr = optimizer.paramGroups[0].lr; // this step's rate (the scheduler moves it after)
        optimizer.zeroGrad();
        // The model's output dies with the step: disposed, its buffer serves the next step's.
        const { loss: stepLoss, fault } = guardedStep(() => withModelOutputsDisposed(() => {
          const loss = batch.loss(runModel);
          loss.backward();
          return loss.item();
        }), stepGuard);
        const where = `epoch ${state.epoch + 1}, batch ${batch.index + 1} (step ${globalStep() + 1})`;
        if (fault && onNonFinite === 'stop') {
          throw new Error(`training stopped at ${where}: ${fault}${anomaly ? '' : ' (rerun with --detect-anomaly to find the op and layer where it first appeared)'}`);
        }
        if (fault) {
          skipped.push(`${where}: ${fault}`); // the update is dropped; the schedule still moves on
        } else {
          if (config.clipGradNorm !== undefined) clipGradNorm(trainable, config.clipGradNorm);
          optimizer.step();
        }
        scheduler.step();
        let value = stepLoss;
        let size = batch.size;
        if (parallel) {
          const all = parallel.reduceStep(value * batch.size, batch.size, stopped());
          [value, size] = [all.lossSum / all.samples, all.samples];
          stopAgreed = all.stop;
        }
        state.batch = batch.index + 1;
        const rate = size / (Number(process.hrtime.bigint() - stepStarted) / 1e9);
        if (!fault) { // a skipped step's NaN stays out of the averages, the plot and TensorBoard
          state.partial.lossSum += value * size;
          state.partial.samples += size;
          (state.steps ??= []).push({ x: state.epoch + state.batch / steps, loss: smoothLoss(value), lr, samplesPerSecond: smoothRate(rate) });
          board?.addScalars(globalStep(), { 'train/loss': value, 'train/lr': lr, 'train/throughput': rate });
        }
        bar?.update(state.batch, size, value);
        hooks.onBatch?.(state.epoch, state.batch, value);
        await new Promise((resolve) => setImmediate(resolve)); // lets Ctrl-C in between batches
        interrupted = parallel ? stopAgreed : stopped(); // a rank's own Ctrl-C counts from the next step's allreduce
        if (interrupted) break;
      }
      bar?.stop();
      if (interrupted) {
        state.partial.seconds = secondsSoFar();
        break;
      }
      const seconds = secondsSoFar();
      const evaluation = lead ? task.evaluate(model) : { loss: NaN, metric: NaN, metricName: 'mse' as const }; // rank 0 reports
      const record: EpochRecord = {
        epoch: state.epoch + 1,
        trainLoss: state.partial.samples > 0 ? state.partial.lossSum / state.partial.samples : Number.NaN, // NaN: every step skipped
        testLoss: evaluation.loss,
        metricName: evaluation.metricName,
        metric: evaluation.metric,
        ...(evaluation.extra ? { extra: evaluation.extra } : {}),
        seconds,
        samplesPerSecond: state.partial.samples / seconds,
      };
      state = { ...state, epoch: state.epoch + 1, batch: 0, partial: { lossSum: 0, samples: 0, seconds: 0 }, history: [...state.history, record] };
      print(formatEpoch(record, config.epochs, unitOf(config.task, task.unit)));
      if (skipped.length > 0) print(`  skipped ${skipped.length} non-finite step(s); the first at ${skipped[0]}`);
      skipped.length = 0;
      if (lead) for (const picture of task.pictures?.(record.epoch) ?? []) fs.writeFileSync(path.join(config.out, picture.file), picture.svg);
      board?.addScalars(globalStep(), {
        'epoch/train_loss': record.trainLoss, 'test/loss': record.testLoss, [`test/${record.metricName}`]: record.metric, 'epoch/throughput': record.samplesPerSecond,
      });
      save();
    }
  } finally {
    board?.close();
  }
  parallel?.end(); // a failing rank skips this: its exit aborts every rank (lib/distributed)
  if (interrupted) {
    save();
    print(`interrupted: checkpoint saved to ${files.checkpoint} (epoch ${state.epoch + 1}, batch ${state.batch}); continue with --resume ${files.checkpoint}`);
  } else if (!fs.existsSync(files.checkpoint)) {
    save(); // a resumed run that was already complete
  }
  print(`wrote ${files.checkpoint}, ${files.log}, ${files.plot}${board ? `, ${board.file}` : ''}`);
  return { outDir: config.out, checkpoint: files.checkpoint, history: state.history, interrupted };
}

export function formatEpoch(r: EpochRecord, epochs: number, unit: string): string {
  return `epoch ${r.epoch}/${epochs}  train loss ${r.trainLoss.toFixed(4)}  ${formatMetric(r)}  test loss ${r.testLoss.toFixed(4)}  ${r.seconds.toFixed(1)} s  ${r.samplesPerSecond.toFixed(0)} ${unit}/s`;
}

/** log.json: the run's configuration, every epoch so far, and where it stopped. */
export interface TrainLog {
  task: RunState['task'];
  finetune: RunState['finetune'];
  config: RunState['config'];
  epochs: EpochRecord[];
  steps: StepRecord[];
  interrupted: boolean;
  position: { epoch: number; batch: number };
}

function writeLog(file: string, state: RunState, interrupted: boolean): void {
  const log: TrainLog = { task: state.task, finetune: state.finetune, config: state.config, epochs: state.history, steps: state.steps ?? [], interrupted, position: { epoch: state.epoch, batch: state.batch } };
  writeFileAtomically(file, JSON.stringify(log, null, 2) + '\n'); // a kill mid-write keeps the last whole log
}

/** An exponential moving average with bias correction: each call adds a value and returns the average. */
function ema(beta: number): (v: number) => number {
  let avg = 0;
  let n = 0;
  return (v) => {
    avg = beta * avg + (1 - beta) * v;
    n++;
    return avg / (1 - beta ** n);
  };
}

export function plotHistory(history: EpochRecord[], task: TaskName, steps: StepRecord[] = []): string {
  const x = history.map((r) => r.epoch);
  const sx = steps.map((s) => s.x);
  const metricName = history[0]?.metricName ?? (task === 'adding' ? 'mse' : 'accuracy');
  const unit = `${unitOf(task)}/s`;
  return renderSvgPlot(
    [
      {
        title: 'Loss', yLabel: 'loss', series: [
          { name: 'train', x, y: history.map((r) => r.trainLoss) }, { name: 'test', x, y: history.map((r) => r.testLoss) },
          { name: 'train, per step (smoothed)', x: sx, y: steps.map((s) => s.loss), color: '#aec7e8', dots: false },
        ],
      },
      isFractionMetric(metricName)
        ? { title: `Test ${metricName}`, yLabel: `${metricName} (%)`, series: [
          { name: `test ${metricName}`, x, y: history.map((r) => 100 * r.metric), color: '#2ca02c' },
          ...Object.keys(history[0]?.extra ?? {}).map((k) => ({ name: `test ${k}`, x, y: history.map((r) => 100 * (r.extra?.[k] ?? NaN)), color: '#17becf' })),
        ] }
        : { title: `Test ${metricName}`, yLabel: metricName, series: [{ name: `test ${metricName}`, x, y: history.map((r) => r.metric), color: '#2ca02c' }] },
      { title: 'Learning rate', yLabel: 'lr', series: [{ name: 'per step', x: sx, y: steps.map((s) => s.lr), color: '#9467bd', dots: false }] },
      { title: 'Throughput (smoothed)', yLabel: unit, series: [{ name: 'per step', x: sx, y: steps.map((s) => s.samplesPerSecond), color: '#ff7f0e', dots: false }] },
    ],
    `atrous: ${task}`,
  );
}
