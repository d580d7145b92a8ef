// Crashes lose nothing: the built `atrous train` is killed with SIGKILL again and again — at seeded random
// moments, and the instant its checkpoint's temp file appears (mid-write) — and after every kill the last
// checkpoint still loads, is never older than the one before, and --resume carries on from it to the end.
// A write that hits a file-size limit (ulimit -f: EFBIG, as a full disk gives ENOSPC) fails with a clear
// error and leaves the old checkpoint byte for byte. Needs dist/ (npm run build:ts). CRASH_SEED replays.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunState, type TrainLog } from '../lib/cli/train';
import { EMBEDDED_DIR } from '../lib/data/fashion-mnist';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'atrous.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-crash-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
// Small epochs (2 batches of 16) so that each run reaches a checkpoint write within a second or two.
const trainArgs = (out: string, epochs: number) =>
  ['train', '--data', EMBEDDED_DIR, '--epochs', String(epochs), '--max-batches', '2', '--batch-size', '16', '--threads', '1', '--out', out];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

/** Runs the command (through `sh -c` when a shell prefix is given); arm(child) may kill it. */
function runCli(args: string[], arm: (child: ReturnType<typeof spawn>) => void = () => {}, shellPrefix?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const quoted = [process.execPath, bin, ...args].map((a) => `'${a}'`).join(' ');
    const child = shellPrefix
      ? spawn('sh', ['-c', `${shellPrefix}; exec ${quoted}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, out }));
    arm(child);
  });
}

function mulberry32(s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tempsIn = (folder: string) => fs.readdirSync(folder).filter((n) => n.endsWith('.tmp'));

// One finished epoch, copied by each test: the checkpoint every kill must leave loadable.
const baseline = path.join(dir, 'baseline');
beforeAll(async () => {
  expect(fs.existsSync(path.join(root, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build:ts`').toBe(true);
  const first = await runCli(trainArgs(baseline, 1));
  expect(first.code, first.out).toBe(0);
}, 60_000);

function copyOfBaseline(name: string): { out: string; checkpoint: string } {
  const out = path.join(dir, name);
  fs.cpSync(baseline, out, { recursive: true });
  return { out, checkpoint: path.join(out, 'checkpoint.safetensors') };
}

describe('atrous train under kill -9', () => {
  it(`keeps the last checkpoint loadable and resumable (seed ${seed})`, async () => {
    const { out, checkpoint } = copyOfBaseline('run');
    let epoch = readRunState(checkpoint).epoch;
    expect(epoch).toBe(1);

    const random = mulberry32(seed);
    let midWriteKills = 0;
    for (let round = 0; round < 6; round++) {
      const midWrite = round % 2 === 0;
      let watcher: fs.FSWatcher | null = null;
      const run = await runCli([...trainArgs(out, 50), '--resume', checkpoint], (child) => {
        if (midWrite) {
          // The checkpoint's temp file appearing means a save is under way: kill it there.
          watcher = fs.watch(out, (_event, name) => {
            if (name?.startsWith('.checkpoint.safetensors.') && name.endsWith('.tmp')) child.kill('SIGKILL');
          });
        } else {
          setTimeout(() => child.kill('SIGKILL'), 300 + random() * 2500);
        }
      });
      (watcher as fs.FSWatcher | null)?.close();
      const where = `round ${round} (${midWrite ? 'mid-write' : 'random'} kill, seed ${seed}):\n${run.out}`;
      expect(run.signal, where).toBe('SIGKILL');
      if (midWrite && tempsIn(out).some((n) => n.startsWith('.checkpoint.safetensors.'))) midWriteKills++;
      const state = readRunState(checkpoint); // throws if the file were torn
      expect(state.epoch, where).toBeGreaterThanOrEqual(epoch); // never older than before the kill
      expect(state.batch, where).toBe(0); // only whole epochs are saved without Ctrl-C
      epoch = state.epoch;
      const log = JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')) as TrainLog; // never torn either
      expect(log.epochs.length, where).toBeGreaterThanOrEqual(epoch - 1);
    }
    // The kills on the temp file's appearance did land inside writes (their temp files were left).
    expect(midWriteKills).toBeGreaterThan(0);

    const resumed = await runCli([...trainArgs(out, epoch + 1), '--resume', checkpoint]);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toContain(`resuming from ${checkpoint}: epoch ${epoch + 1}, batch 0`);
    const final = readRunState(checkpoint);
    expect(final.epoch).toBe(epoch + 1);
    expect(final.history.map((r) => r.epoch)).toEqual(Array.from({ length: epoch + 1 }, (_, i) => i + 1));
    expect(tempsIn(out), 'temp files of killed writes are removed by the next save').toEqual([]);
    console.log(`crash test: seed ${seed}, 6 kills (${midWriteKills} of 3 inside a checkpoint write), resumed at epoch ${epoch + 1}`);
  }, 120_000);

  it('a write over the file-size limit fails clearly and keeps the old checkpoint', async () => {
    const { out, checkpoint } = copyOfBaseline('full');
    const before = fs.readFileSync(checkpoint);
    // `ulimit -f` counts 1024-byte blocks: room for the log and the plot, not for the checkpoint.
    const limitedKiB = Math.floor(before.length / 1024 / 2);
    const full = await runCli([...trainArgs(out, 2), '--resume', checkpoint], () => {}, `ulimit -f ${limitedKiB}`);
    expect(full.code, full.out).toBe(1);
    expect(full.out).toMatch(new RegExp(`atrous train: save: could not write '${checkpoint}': EFBIG`));
    expect(fs.readFileSync(checkpoint).equals(before), 'the old checkpoint is untouched').toBe(true);
    expect(readRunState(checkpoint).epoch).toBe(1);
    expect(tempsIn(out)).toEqual([]);
  }, 60_000);
});
