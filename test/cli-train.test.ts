// The CLI end to end on the embedded Fashion-MNIST subset, a few batches at a time: the loss goes
// down, the checkpoint, log and plot are written, a stopped run resumes to the same parameters as an
// unbroken one, fine-tuning trains only a new head, eval/summary work, and bad options are refused.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as at from '../lib';
import { EMBEDDED_DIR } from '../lib/data/fashion-mnist';
import { cli } from './helpers/cli';
import { train, type TrainConfig, type TrainLog } from '../lib/cli/train';
import { EventType } from '../lib/io/tensorboard';
import { readRecords } from './helpers/tfrecord';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A well-formedness check: one root <svg>, every tag closed in order, attributes quoted. */
function expectWellFormedSvg(svg: string): void {
  expect(svg.startsWith('<?xml')).toBe(true);
  const body = svg.replace(/^<\?xml[^>]*\?>/, '').trim();
  const stack: string[] = [];
  let roots = 0;
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|>/g)) {
    expect(m[2], `stray '${m[0]}' at ${m.index}`).toBeDefined();
    if (m[1]) expect(stack.pop(), `closing </${m[2]}>`).toBe(m[2]);
    else if (!m[4]) {
      if (stack.length === 0) roots++;
      stack.push(m[2]);
    } else if (stack.length === 0) roots++;
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  expect(body.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
}

const base = ['--data', EMBEDDED_DIR, '--batch-size', '32', '--threads', '2'];

describe('atrous train on the embedded subset', () => {
  it('lowers the loss over a few batches and writes checkpoint, log and SVG plot', async () => {
    const out = path.join(dir, 'run');
    const { code, out: text } = await cli('train', ...base, '--epochs', '2', '--max-batches', '8', '--out', out);
    expect(code, text).toBe(0);
    expect(text).toContain('Receptive field');
    expect(text).toMatch(/epoch 2\/2 +train loss [\d.]+ +test accuracy [\d.]+%/);
    const log = JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')) as TrainLog;
    expect(log.epochs).toHaveLength(2);
    expect(log.epochs[1].trainLoss).toBeLessThan(log.epochs[0].trainLoss);
    expect(log.epochs[0].trainLoss).toBeLessThan(2.4); // below chance after 8 batches
    expect(log.epochs[1].metric).toBeGreaterThan(0.3); // chance is 0.1
    const sd = at.load(path.join(out, 'checkpoint.safetensors'));
    expect(sd['model.features.0.weight'].shape).toEqual([32, 1, 3, 3]);
    expectWellFormedSvg(fs.readFileSync(path.join(out, 'plot.svg'), 'utf8'));

    const evaluated = await cli('eval', '--checkpoint', path.join(out, 'checkpoint.safetensors'), '--data', EMBEDDED_DIR);
    expect(evaluated.code, evaluated.out).toBe(0);
    expect(evaluated.out).toContain(`test accuracy ${(100 * log.epochs[1].metric).toFixed(2)}%`);
  }, 120_000);

  it('plots per-step loss, lr and throughput, and writes TensorBoard events with --tensorboard', async () => {
    const out = path.join(dir, 'run-tb');
    const board = path.join(dir, 'board');
    const { code, out: text } = await cli('train', ...base, '--epochs', '2', '--max-batches', '4', '--out', out, '--tensorboard', board);
    expect(code, text).toBe(0);
    const log = JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')) as TrainLog;
    expect(log.steps.map((s) => s.x)).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    expect(log.steps[0].lr).toBe(2e-3); // the first step runs at the initial rate; the cosine lowers it after
    for (let i = 1; i < 8; i++) expect(log.steps[i].lr).toBeLessThan(log.steps[i - 1].lr);
    const svg = fs.readFileSync(path.join(out, 'plot.svg'), 'utf8');
    expectWellFormedSvg(svg);
    for (const title of ['Learning rate', 'Throughput (smoothed)', 'train, per step (smoothed)']) expect(svg).toContain(title);

    const files = fs.readdirSync(board);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
    type Decoded = { wallTime: number; step?: number; fileVersion?: string; summary?: { value: { tag: string; simpleValue?: number; image?: { height: number; width: number; colorspace: number; encodedImageString: Buffer } }[] } };
    const events = readRecords(fs.readFileSync(path.join(board, files[0]))).map((r) => EventType.toObject(EventType.decode(r), { longs: Number }) as Decoded);
    expect(events[0].fileVersion).toBe('brain.Event:2');
    const image = events[1].summary!.value[0];
    expect(image.tag).toBe('test/samples');
    expect(image.image!.height).toBe(4 * 28); // 16 test images, 4 by 4
    expect(image.image!.encodedImageString.subarray(1, 4).toString('latin1')).toBe('PNG');
    const scalars = (tag: string) => events.flatMap((e) => (e.summary?.value ?? []).filter((v) => v.tag === tag).map((v) => [e.step ?? 0, v.simpleValue!]));
    const loss = scalars('train/loss');
    expect(loss.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(scalars('train/lr').map(([, v]) => v)).toEqual(log.steps.map((s) => Math.fround(s.lr)));
    expect(scalars('train/throughput')).toHaveLength(8);
    expect(scalars('test/accuracy')).toEqual([[4, Math.fround(log.epochs[0].metric)], [8, Math.fround(log.epochs[1].metric)]]);
    // The plot's loss is the bias-corrected moving average (0.9) of the per-step losses TensorBoard got.
    let avg = 0;
    loss.forEach(([, v], i) => {
      avg = 0.9 * avg + 0.1 * v;
      expect(log.steps[i].loss).toBeCloseTo(avg / (1 - 0.9 ** (i + 1)), 5);
    });
  }, 120_000);

  it('resumes a stopped run to the same parameters as the unbroken run', async () => {
    const config = (out: string): TrainConfig => ({
      task: 'fashion-mnist', data: EMBEDDED_DIR, epochs: 2, batchSize: 16, lr: 2e-3, maxBatches: 4, out, seed: 5, augment: true,
    });
    const quiet = () => {};
    const whole = await train(config(path.join(dir, 'whole')), { print: quiet });
    const stop = new AbortController();
    const first = await train(config(path.join(dir, 'parts')), {
      print: quiet, signal: stop.signal, onBatch: (epoch, done) => epoch === 1 && done === 2 && stop.abort(),
    });
    expect(first.interrupted).toBe(true);
    expect(first.history).toHaveLength(1);
    const lines: string[] = [];
    const resumed = await train({ ...config(path.join(dir, 'parts')), resume: first.checkpoint }, { print: (l) => lines.push(l) });
    expect(lines.join('\n')).toContain('resuming from');
    expect(resumed.interrupted).toBe(false);
    expect(resumed.history.map((r) => r.trainLoss)).toEqual(whole.history.map((r) => r.trainLoss));
    const a = at.load(whole.checkpoint);
    const b = at.load(resumed.checkpoint);
    for (const k of Object.keys(a)) expect(b[k].toFloat32Array(), k).toEqual(a[k].toFloat32Array());
  }, 120_000);

  it('fine-tunes a new head on the frozen backbone', async () => {
    const src = path.join(dir, 'run', 'checkpoint.safetensors');
    const out = path.join(dir, 'ft');
    const { code, out: text } = await cli('finetune', '--checkpoint', src, ...base, '--max-batches', '4', '--out', out);
    expect(code, text).toBe(0);
    expect(text).toMatch(/backbone frozen, new head \(402,826 trainable parameters\)/);
    const before = at.load(src);
    const after = at.load(path.join(out, 'checkpoint.safetensors'));
    expect(after['model.features.3.weight'].toFloat32Array()).toEqual(before['model.features.3.weight'].toFloat32Array());
    expect(after['model.features.4.running_mean'].toFloat32Array()).toEqual(before['model.features.4.running_mean'].toFloat32Array());
    expect(after['model.head.4.weight'].toFloat32Array()).not.toEqual(before['model.head.4.weight'].toFloat32Array());
  }, 120_000);
});

describe('atrous on the sequence tasks, summary and bad options', () => {
  it('trains the TCN on the adding problem for a few steps (the MSE goes down)', async () => {
    const out = path.join(dir, 'adding');
    const { code, out: text } = await cli('train', '--task', 'adding', '--epochs', '2', '--max-batches', '10', '--batch-size', '16', '--lr', '0.002', '--out', out);
    expect(code, text).toBe(0);
    const log = JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')) as TrainLog;
    expect(log.epochs[0].metricName).toBe('mse');
    expect(log.epochs[1].trainLoss).toBeLessThan(log.epochs[0].trainLoss);
    expectWellFormedSvg(fs.readFileSync(path.join(out, 'plot.svg'), 'utf8'));
  }, 120_000);

  it('prints the receptive-field table', async () => {
    const { code, out } = await cli('summary');
    expect(code).toBe(0);
    expect(out).toMatch(/features\.10 \(Conv2d\) +\[1, 64, 14, 14\] +36,864 +20×20/);
    const tcn = await cli('summary', '--task', 'copy-memory');
    expect(tcn.code).toBe(0);
    expect(tcn.out).toContain('Tcn on input [1, 10, 60]');
  });

  it('refuses unknown commands and bad values, naming what it expected', async () => {
    const errors: string[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back in finally, never called here
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => errors.push(s) > 0);
    try {
      expect((await cli('train', '--epochs', 'two')).code).toBe(2);
      expect((await cli('train', '--task', 'mnist')).code).toBe(2);
      expect((await cli('eval')).code).toBe(2);
      expect((await cli('fly')).code).toBe(2);
      expect((await cli('train', '--device', 'tpu')).code).toBe(2);
      if (!at.backend().cuda) expect((await cli('train', '--device', 'cuda', '--max-batches', '1')).code).toBe(2);
      expect((await cli('train', '--data', dir, '--max-batches', '1')).code).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toContain("--epochs expects an integer >= 1, but got 'two'");
    expect(errors.join('')).toContain("--task expects one of fashion-mnist, adding, copy-memory, seq-fashion-mnist, text, fortunes, char-lm, speech, speech-mel, segmentation, detection, but got 'mnist'");
    expect(errors.join('')).toContain('eval: --checkpoint FILE is required');
    expect(errors.join('')).toContain("unknown command 'fly'");
    expect(errors.join('')).toContain("--device expects cpu or cuda, but got 'tpu'");
    if (!at.backend().cuda) expect(errors.join('')).toContain(`--device cuda: CUDA is not available: ${at.backend().cudaReason}`);
    expect(errors.join('')).toMatch(/--data is '.*', but it lacks/);
  });
});
