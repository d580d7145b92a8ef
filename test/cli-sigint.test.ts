// Ctrl-C for real: the built `atrous` command gets a SIGINT mid-training, finishes its batch, saves a
// checkpoint and exits with 130; `--resume` picks that checkpoint up.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrainLog } from '../lib/cli/train';
import { EMBEDDED_DIR } from '../lib/data/fashion-mnist';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'atrous.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-sigint-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the command; calls onOutput with everything printed so far, and resolves with the exit code. */
function runCli(args: string[], onOutput: (text: string, child: ReturnType<typeof spawn>) => void = () => {}) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const take = (chunk: Buffer) => {
      out += chunk.toString();
      onOutput(out, child);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, out }));
  });
}

describe('atrous train and SIGINT', () => {
  it('saves a checkpoint and exits 130 on Ctrl-C, and --resume continues from it', async () => {
    expect(fs.existsSync(path.join(root, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build:ts`').toBe(true);
    const out = path.join(dir, 'run');
    let sent = false;
    const stopped = await runCli(
      ['train', '--data', EMBEDDED_DIR, '--epochs', '40', '--batch-size', '32', '--threads', '1', '--out', out],
      (text, child) => {
        if (!sent && /epoch 1\/40/.test(text)) {  // one epoch done: training is under way
          sent = true;
          child.kill('SIGINT');
        }
      },
    );
    expect(sent, stopped.out).toBe(true);
    expect(stopped.signal, stopped.out).toBe(null);  // it exited by itself, not killed by the signal
    expect(stopped.code, stopped.out).toBe(130);
    const checkpoint = path.join(out, 'checkpoint.safetensors');
    expect(fs.existsSync(checkpoint), stopped.out).toBe(true);
    const log = JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')) as TrainLog;
    expect(log.interrupted).toBe(true);
    expect(log.position.epoch).toBeGreaterThanOrEqual(1);
    expect(log.position.epoch).toBeLessThan(40);

    const resumed = await runCli(['train', '--data', EMBEDDED_DIR, '--epochs', String(log.position.epoch + 1),
      '--batch-size', '32', '--threads', '1', '--out', out, '--resume', checkpoint]);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toContain('resuming from');
    const after = JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')) as TrainLog;
    expect(after.interrupted).toBe(false);
    expect(after.epochs.length).toBe(log.position.epoch + 1);
  }, 120_000);
});
