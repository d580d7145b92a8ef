// The text tasks end to end through the CLI: a classifier on the user's own TSV learns a keyword rule
// and draws its confusion matrix, eval of its checkpoint reproduces the accuracy, the fortunes demo
// runs on Debian's corpus, and a character model trains and `atrous generate` streams text from it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli';
import type { TrainLog } from '../lib/cli/train';

const root = path.join(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-text-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** 'animals' texts name an animal, 'tools' texts a tool, among shared filler words. */
function keywordCorpus(n: number): string {
  const animals = ['cat', 'dog', 'horse', 'owl', 'fox'];
  const tools = ['hammer', 'saw', 'drill', 'wrench', 'chisel'];
  const filler = ['the', 'a', 'old', 'red', 'is', 'near', 'my', 'big', 'there', 'again'];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2 === 0 ? 'animals' : 'tools';
    const key = (label === 'animals' ? animals : tools)[(i * 7) % 5];
    const words = Array.from({ length: 4 + (i % 5) }, (_, k) => filler[(i * 3 + k * 5) % filler.length]);
    words.splice((i * 11) % words.length, 0, key);
    lines.push(`${label}\t${words.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

// Real training runs: seconds each, more when the machine is shared.
describe('atrous train --task text / fortunes / char-lm, eval and generate', { timeout: 120_000 }, () => {
  it('learns a keyword rule from a TSV, writes the confusion matrix, and eval agrees', async () => {
    const data = path.join(dir, 'keywords.tsv');
    fs.writeFileSync(data, keywordCorpus(400));
    const out = path.join(dir, 'text');
    const r = await cli('train', '--task', 'text', '--data', data, '--epochs', '3', '--batch-size', '16', '--lr', '0.003', '--threads', '1', '--out', out);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('360 training and 40 test texts in 2 classes (animals, tools)');
    const log = JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')) as TrainLog;
    const last = log.epochs[log.epochs.length - 1];
    expect(last.metricName).toBe('accuracy');
    expect(last.metric).toBeGreaterThanOrEqual(0.9);
    const svg = fs.readFileSync(path.join(out, 'confusion.svg'), 'utf8');
    expect(svg).toContain('test confusion matrix');
    const ev = await cli('eval', '--checkpoint', path.join(out, 'checkpoint.safetensors'), '--threads', '1');
    expect(ev.code, ev.out).toBe(0);
    expect(ev.out).toContain(`test accuracy ${(100 * last.metric).toFixed(2)}%`);
  });

  it('runs the fortunes demo (Debian\'s corpus, 10 topics)', async () => {
    const out = path.join(dir, 'fortunes');
    const r = await cli('train', '--task', 'fortunes', '--epochs', '1', '--max-batches', '3', '--batch-size', '16', '--threads', '1', '--out', out);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/in 10 classes \(computers, food, law, linux, love, medicine, politics, science, sports, startrek\)/);
    expect(fs.existsSync(path.join(out, 'confusion.svg'))).toBe(true);
  });

  it('trains a character model and generates text from it with streaming inference', async () => {
    const text = path.join(dir, 'corpus.txt');
    fs.writeFileSync(text, 'abcabcabc abcabc '.repeat(800));
    const out = path.join(dir, 'lm');
    const r = await cli('train', '--task', 'char-lm', '--data', text, '--epochs', '2', '--batch-size', '8', '--lr', '0.005', '--threads', '1', '--max-batches', '25', '--out', out);
    expect(r.code, r.out).toBe(0);
    const log = JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')) as TrainLog;
    expect(log.epochs[1].metricName).toBe('bits/char');
    expect(log.epochs[1].metric).toBeLessThan(1); // a 5-symbol periodic text: far below log2(5) ≈ 2.3
    expect(fs.existsSync(path.join(root, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build:ts`').toBe(true);
    const gen = spawnSync(process.execPath, [path.join(root, 'bin', 'atrous.js'), 'generate', '--checkpoint', path.join(out, 'checkpoint.safetensors'),
      '--prompt', 'abcab#', '--length', '30', '--temperature', '0', '--threads', '1'], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    const sampled = gen.stdout.replace(/\n$/, '');
    expect(sampled).toHaveLength(30);
    expect(new Set(sampled)).toEqual(new Set(sampled.split('').filter((c) => 'abc '.includes(c))));
    expect(sampled).toMatch(/abc/); // greedy decoding reproduces the period
    expect(gen.stderr).toContain('the prompt holds 1 character(s) the model never saw ("#")');
    expect(gen.stderr).toMatch(/30 characters in [\d.]+ s/);
    const wrong = await cli('generate', '--checkpoint', path.join(dir, 'text', 'checkpoint.safetensors'));
    expect(wrong.code).toBe(1);
  });
});
