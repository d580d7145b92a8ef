// `atrous train --task segmentation` and `--task detection` end to end on the embedded Fashion-MNIST
// subset, a few batches at a time: they run, log mIoU / pixel accuracy or mAP@0.5 in range, write a
// picture per epoch (inputs, true and predicted masks or boxes), and eval / finetune read the run back.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EMBEDDED_DIR } from '../lib/data/fashion-mnist';
import { main } from '../lib/cli/main';
import type { TrainLog } from '../lib/cli/train';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-seg-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(args, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

const base = ['--data', EMBEDDED_DIR, '--batch-size', '16', '--threads', '2'];
const readLog = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')) as TrainLog;

describe('atrous train --task segmentation / detection on the embedded subset', () => {
  it('segmentation with --class-weights auto: mIoU and pixel accuracy per epoch, a mask picture per epoch; eval and finetune', async () => {
    const out = path.join(dir, 'seg');
    const { code, out: text } = await cli('train', '--task', 'segmentation', ...base, '--epochs', '2', '--max-batches', '6', '--class-weights', 'auto', '--out', out);
    expect(code, text).toBe(0);
    expect(text).toContain('class weights (median frequency)');
    expect(text).toContain('backbone.layer4.2.conv2');
    expect(text).toMatch(/epoch 2\/2 +train loss [\d.]+ +test mIoU [\d.]+% \(pixel accuracy [\d.]+%\)/);
    const log = readLog(out);
    expect(log.config.classWeights).toBe('auto');
    for (const e of log.epochs) {
      expect(e.metricName).toBe('mIoU');
      expect(e.metric).toBeGreaterThan(0);
      expect(e.metric).toBeLessThanOrEqual(1);
      expect(e.extra!['pixel accuracy']).toBeGreaterThan(e.metric); // background dominates the pixels
      expect(e.extra!['pixel accuracy']).toBeLessThanOrEqual(1);
    }
    expect(log.epochs[1].trainLoss).toBeLessThan(log.epochs[0].trainLoss);
    for (const epoch of [1, 2]) {
      const svg = fs.readFileSync(path.join(out, `masks-epoch-${epoch}.svg`), 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.match(/<image /g)).toHaveLength(12); // 4 scenes × input, true mask, predicted mask
      expect(svg).toContain('>background</text>');
      expect(svg).toContain('>Ankle boot</text>');
      expect(svg).toContain(`epoch ${epoch}: mIoU`);
    }
    const plot = fs.readFileSync(path.join(out, 'plot.svg'), 'utf8');
    expect(plot).toContain('test mIoU');
    expect(plot).toContain('test pixel accuracy');

    const evaluated = await cli('eval', '--checkpoint', path.join(out, 'checkpoint.safetensors'), '--data', EMBEDDED_DIR);
    expect(evaluated.code, evaluated.out).toBe(0);
    expect(evaluated.out).toContain(`test mIoU ${(100 * log.epochs[1].metric).toFixed(2)}%`);

    const tuned = path.join(dir, 'seg-ft');
    const ft = await cli('finetune', '--checkpoint', path.join(out, 'checkpoint.safetensors'), ...base, '--max-batches', '2', '--out', tuned);
    expect(ft.code, ft.out).toBe(0);
    expect(ft.out).toMatch(/fine-tuning: backbone frozen, new head/);
    expect(readLog(tuned).config.classWeights).toBe('auto');
  }, 300_000);

  it('detection: mAP@0.5 per epoch and a picture of predicted boxes', async () => {
    const out = path.join(dir, 'det');
    const { code, out: text } = await cli('train', '--task', 'detection', ...base, '--epochs', '1', '--max-batches', '6', '--out', out);
    expect(code, text).toBe(0);
    expect(text).toMatch(/epoch 1\/1 +train loss [\d.]+ +test mAP@0\.5 [\d.]+%/);
    const [e] = readLog(out).epochs;
    expect(e.metricName).toBe('mAP@0.5');
    expect(e.metric).toBeGreaterThanOrEqual(0);
    expect(e.metric).toBeLessThanOrEqual(1);
    expect(Number.isFinite(e.testLoss)).toBe(true);
    const svg = fs.readFileSync(path.join(out, 'boxes-epoch-1.svg'), 'utf8');
    expect(svg.match(/<image /g)).toHaveLength(8); // 4 scenes × true boxes, predicted boxes
    expect(svg).toContain('stroke-dasharray'); // the true boxes
    expect(svg).toMatch(/ 0\.\d\d<\/text>/); // a predicted box's caption: class and score
  }, 300_000);

  it('refuses a bad --class-weights', async () => {
    const lines: string[] = [];
    const code = await main(['train', '--task', 'segmentation', '--class-weights', 'inverse'], (l) => lines.push(l));
    expect(code).toBe(2);
  });
});
