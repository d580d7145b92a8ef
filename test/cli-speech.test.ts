// The speech tasks end to end through the CLI on the 'tiny' espeak-ng corpus: a few batches of the
// causal WaveNet train and write the confusion matrix, eval reproduces the accuracy, `atrous listen`
// streams two test clips joined together (from a WAV file, a 16 kHz WAV that it resamples, and raw
// PCM on stdin) and reports the real-time factor; bad input gets clear errors. Needs espeak-ng.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav, writeWav } from '../lib/audio/wav';
import { resample } from '../lib/audio/resample';
import { listen, WordSpotter } from '../lib/cli/listen';
import { main } from '../lib/cli/main';
import type { TrainLog } from '../lib/cli/train';
import { buildSpeechCorpus } from '../lib/data/speech';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-speech-cli-'));
const corpus = path.join(dir, 'corpus');
const TIMEOUT = 240_000;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await buildSpeechCorpus({ out: corpus, size: 'tiny' });
}, TIMEOUT);

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(args, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

/** Two test clips with half a second of silence between them. */
function twoClips(): Float32Array {
  const a = readWav(path.join(corpus, 'test/seven/en-gb-scotland+m3-0.wav')).samples;
  const b = readWav(path.join(corpus, 'test/no/en-gb-scotland+m3-0.wav')).samples;
  const out = new Float32Array(a.length + 4000 + b.length);
  out.set(a);
  out.set(b, a.length + 4000);
  return out;
}

describe('atrous train --task speech / speech-mel, eval, listen', () => {
  const run = path.join(dir, 'causal');
  const checkpoint = path.join(run, 'checkpoint.safetensors');

  it('trains the causal WaveNet for a few batches: accuracy in [0, 1], confusion.svg, the receptive field in ms; eval agrees', async () => {
    const r = await cli('train', '--task', 'speech', '--causal', '--data', corpus, '--epochs', '1', '--max-batches', '2', '--batch-size', '4', '--out', run);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('56 training and 14 test clips of 14 words');
    expect(r.out).toContain('receptive field 2048 samples = 256.0 ms');
    const log = JSON.parse(fs.readFileSync(path.join(run, 'log.json'), 'utf8')) as TrainLog;
    const accuracy = log.epochs[0].metric;
    expect(log.epochs[0].metricName).toBe('accuracy');
    expect(accuracy).toBeGreaterThanOrEqual(0);
    expect(accuracy).toBeLessThanOrEqual(1);
    const svg = fs.readFileSync(path.join(run, 'confusion.svg'), 'utf8');
    expect(svg).toContain('speech: test confusion matrix');
    expect(svg).toContain('seven');
    expect(fs.existsSync(path.join(run, 'plot.svg'))).toBe(true);
    const e = await cli('eval', '--checkpoint', checkpoint);
    expect(e.code, e.out).toBe(0);
    expect(e.out).toContain(`test accuracy ${(100 * accuracy).toFixed(2)}%`);
  }, TIMEOUT);

  it('listen streams two joined test clips from a WAV file and reports the real-time factor', async () => {
    const wav = path.join(dir, 'two.wav');
    writeWav(wav, twoClips(), 8000);
    const r = await cli('listen', '--checkpoint', checkpoint, '--input', wav, '--threads', '1');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/word\(s\) in 1\.43 s of audio; processing took \d+\.\d+ s: real-time factor \d+\.\d+ \(\d+\.\d× faster than real time\)/);
  }, TIMEOUT);

  it('listen: a 16 kHz file is resampled (and says so); raw PCM on stdin gives the same words as the file', async () => {
    const audio = twoClips();
    const wav16 = path.join(dir, 'two16k.wav');
    writeWav(wav16, resample(audio, 8000, 16000), 16000);
    const warnings: string[] = [];
    const fromFile = await listen({ checkpoint, input: wav16 }, () => {}, (l) => warnings.push(l));
    expect(warnings).toEqual([`listen: ${wav16} is at 16000 Hz; the model listens at 8000 Hz: resampling`]);
    expect(fromFile.audioSeconds).toBeCloseTo(audio.length / 8000, 6);
    const pcm = Buffer.alloc(2 * audio.length);
    audio.forEach((v, i) => pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32768))), 2 * i));
    // Delivered in odd-sized pieces, as a pipe does.
    const pieces = [pcm.subarray(0, 3), pcm.subarray(3, 1001), pcm.subarray(1001)];
    const fromStdin = await listen({ checkpoint, input: '-', stdin: Readable.from(pieces) }, () => {}, () => {});
    expect(fromStdin.audioSeconds).toBe(audio.length / 8000);
    const wav8 = path.join(dir, 'two8k.wav');
    writeWav(wav8, audio, 8000);
    const fromWav = await listen({ checkpoint, input: wav8 }, () => {}, () => {});
    expect(fromStdin.words).toEqual(fromWav.words);
  }, TIMEOUT);

  it('listen: clear errors for a stream that stops mid-sample, non-WAV input, empty stdin, and a pooled (non-causal) checkpoint', async () => {
    const odd = Readable.from([Buffer.alloc(801)]);
    await expect(listen({ checkpoint, input: '-', stdin: odd }, () => {}, () => {})).rejects.toThrow(/^stdin: the stream stopped in the middle of a sample \(801 bytes, an odd count; expected raw 16-bit little-endian mono PCM at 8000 Hz\)/);
    await expect(listen({ checkpoint, input: '-', stdin: Readable.from([]) }, () => {}, () => {})).rejects.toThrow(/^stdin: no audio/);
    const notWav = path.join(dir, 'notes.wav');
    fs.writeFileSync(notWav, 'these are not samples\n');
    await expect(listen({ checkpoint, input: notWav }, () => {}, () => {})).rejects.toThrow(/notes\.wav: not a WAV file/);
    const truncated = path.join(dir, 'truncated.wav');
    fs.writeFileSync(truncated, fs.readFileSync(path.join(dir, 'two.wav')).subarray(0, 500));
    await expect(listen({ checkpoint, input: truncated }, () => {}, () => {})).rejects.toThrow(/truncated\.wav: its data chunk declares \d+ bytes but only 456 remain \(truncated\)/);
    const pooledRun = path.join(dir, 'pooled');
    const t = await cli('train', '--task', 'speech', '--data', corpus, '--epochs', '1', '--max-batches', '1', '--batch-size', '2', '--out', pooledRun);
    expect(t.code, t.out).toBe(0);
    await expect(listen({ checkpoint: path.join(pooledRun, 'checkpoint.safetensors'), input: truncated }, () => {}, () => {})).rejects.toThrow(/holds the pooled WaveNet, which needs whole clips; .*--task speech --causal/);
    expect((await cli('train', '--task', 'fortunes', '--causal')).code).toBe(2);
    expect((await cli('listen', '--input', truncated)).code).toBe(2);
  }, TIMEOUT);

  it('speech-mel: the log-mel CNN trains a few batches and reports its field in frames and ms', async () => {
    const r = await cli('train', '--task', 'speech-mel', '--data', corpus, '--epochs', '1', '--max-batches', '2', '--batch-size', '8', '--out', path.join(dir, 'mel'));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('dilated CNN on 40-band log-mels, receptive field 31 frames = 325 ms');
    expect(r.out).toMatch(/test accuracy \d+\.\d\d%/);
    expect(fs.existsSync(path.join(dir, 'mel', 'confusion.svg'))).toBe(true);
  }, TIMEOUT);
});

describe('WordSpotter', () => {
  it('fires when the mean posterior over the window passes the threshold, once per crossing', () => {
    const spot = new WordSpotter(['a', 'b'], 4, 0.8, 0.01);
    // 10 blocks: logits favour b for blocks 0..5, then a.
    const blocks = new Float32Array(2 * 10);
    for (let t = 0; t < 10; t++) {
      blocks[t] = t < 6 ? 0 : 6; // class a
      blocks[10 + t] = t < 6 ? 5 : 0; // class b
    }
    const found = spot.push(blocks, 10);
    expect(found.map((w) => w.word)).toEqual(['b', 'a']); // b once, though above the threshold for 7 blocks
    expect(found[0].at).toBeCloseTo(0.01, 9); // after one block (a quarter of the window)
    expect(found[0].probability).toBeCloseTo(1 / (1 + Math.exp(-5)), 6);
    // Block 8: the window holds blocks 5..8, means a 4.5, b 1.25 (block 7: a 3, b 2.5, p 0.62, below).
    expect(found[1].at).toBeCloseTo(0.09, 9);
    expect(found[1].probability).toBeCloseTo(1 / (1 + Math.exp(-3.25)), 6);
  });
});
