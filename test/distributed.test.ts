// at.distributed and nn.parallel.DistributedDataParallel for real: 2 ranks under Open MPI's mpirun
// on this machine, running test/mpi/ranks.cjs on the built dist/. The reference for DDP is one
// process training on the concatenated batch; for the collectives, integer-valued floats whose
// sums are exact. Skipped, saying why, where mpirun is absent (.ci/run installs Open MPI).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const script = path.join(__dirname, 'mpi', 'ranks.cjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-mpi-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const hasMpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
const skipReason = 'mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)';

/** Runs ranks.cjs MODE on np ranks (np 0: plain node, no MPI); returns each rank's JSON. */
function run(mode: string, np: number, env: NodeJS.ProcessEnv = {}): unknown[] {
  expect(fs.existsSync(path.join(root, 'dist', 'index.js')), 'dist/ is missing: run `npm run build:ts`').toBe(true);
  const node = [process.execPath, script, mode, dir];
  const [cmd, ...args] = np === 0 ? node : ['mpirun', '--oversubscribe', '--allow-run-as-root', '-np', String(np), ...node];
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  expect(r.status, `${mode}: exit ${r.status} ${r.signal ?? ''}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return Array.from({ length: Math.max(np, 1) }, (_, rank) => JSON.parse(fs.readFileSync(path.join(dir, `${mode}-${rank}.json`), 'utf8')) as unknown);
}

/** ||a - b|| / ||b|| */
function relativeError(a: number[], b: number[]): number {
  let d = 0;
  let n = 0;
  b.forEach((v, i) => {
    d += (a[i] - v) ** 2;
    n += v ** 2;
  });
  return Math.sqrt(d / n);
}

describe('at.distributed without MPI', () => {
  it('initProcessGroup says what to install when libmpi cannot be loaded', () => {
    const r = spawnSync(process.execPath, ['-e', "require('./dist/index.js').distributed.initProcessGroup({ backend: 'mpi' })"], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ATROUS_MPI_LIBRARY: '/nonexistent/libmpi.so.40' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/initProcessGroup: MPI is not available: cannot load \/nonexistent\/libmpi\.so\.40.*apt-get install openmpi-bin libopenmpi-dev/);
  });
});

// Each test starts mpirun (and node twice): seconds on a busy machine.
describe.skipIf(!hasMpirun)(`at.distributed on 2 ranks${hasMpirun ? '' : ` (skipped: ${skipReason})`}`, { timeout: 180_000 }, () => {
  it('DistributedDataParallel: 3 SGD steps on 2 ranks give the parameters of 1 process on the concatenated batch', () => {
    const [reference] = run('reference', 0) as Record<string, number[]>[];
    const [rank0, rank1] = run('ddp', 2) as Record<string, number[]>[];
    expect(Object.keys(rank0)).toEqual(Object.keys(reference));
    for (const name of Object.keys(reference)) {
      expect(rank1[name], `${name}: ranks differ`).toEqual(rank0[name]);
      expect(relativeError(rank0[name], reference[name]), name).toBeLessThanOrEqual(1e-5);
    }
  });

  it('allReduce (sum, avg), broadcast and barrier on 1 to 10^7 elements are exact', () => {
    const [rank0, rank1] = run('collectives', 2);
    expect(rank0).toEqual([]);
    expect(rank1).toEqual([]);
  });

  it('bad input gives the same clear Error on every rank, and the group still works after', () => {
    const [rank0, rank1] = run('bad-input', 2) as Record<string, string | number | null>[];
    expect(rank1).toEqual(rank0);
    expect(rank0.initTwice).toMatch(/initProcessGroup: the process group is already initialized/);
    expect(rank0.sizeMismatch).toMatch(/allReduce: the tensors differ across ranks: from 2 to 3 elements/);
    expect(rank0.broadcastSizeMismatch).toMatch(/broadcast: the tensors differ across ranks: from 4 to 5 elements/);
    expect(rank0.dtypeOnOneRank).toMatch(/allReduce: a tensor is not float32 on some rank/);
    expect(rank0.srcMismatch).toMatch(/broadcast: the ranks passed different src: from 0 to 1/);
    expect(rank0.opMismatch).toMatch(/allReduce: the ranks passed different ops/);
    expect(rank0.srcOutOfRange).toMatch(/broadcast: src expects a rank in \[0, 1\], but got 7/);
    expect(rank0.badOp).toMatch(/allReduce: opts.op expects 'sum' or 'avg'/);
    if ('deviceOnOneRank' in rank0) expect(rank0.deviceOnOneRank).toMatch(/allReduce: a tensor is not on 'cpu' on some rank/);
    expect(rank0.afterwards).toBe(3);
  });

  it('atrous train under mpirun: one report from rank 0, sharded steps, and --resume', () => {
    const out = path.join(dir, 'cli-run');
    const bin = path.join(root, 'bin', 'atrous.js');
    const mpirun = (args: string[]) => spawnSync('mpirun', ['--oversubscribe', '--allow-run-as-root', '-np', '2', process.execPath, bin, 'train', ...args, '--threads', '1'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const first = mpirun(['--task', 'adding', '--epochs', '1', '--max-batches', '6', '--batch-size', '8', '--out', out]);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/data-parallel: 2 ranks, global batch 8 × 2/);
    expect(first.stdout.match(/epoch 1\/1 /g)).toHaveLength(1); // rank 0 alone reports
    const second = mpirun(['--resume', path.join(out, 'checkpoint.safetensors'), '--epochs', '2']);
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/resuming from .*epoch 2, batch 0/);
    const log = JSON.parse(fs.readFileSync(path.join(out, 'log.json'), 'utf8')) as { epochs: { epoch: number }[] };
    expect(log.epochs.map((e) => e.epoch)).toEqual([1, 2]);
  });

  it('a rank that throws ends every rank (MPI_Abort at exit), no hang', () => {
    const code = [
      "const at = require('./dist/index.js'); at.distributed.initProcessGroup({ backend: 'mpi' });",
      "if (at.distributed.getRank() === 1) throw new Error('rank 1 fails');",
      'at.distributed.barrier();',
    ].join(' ');
    const r = spawnSync('mpirun', ['--oversubscribe', '--allow-run-as-root', '-np', '2', process.execPath, '-e', code], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.signal, 'mpirun hung').toBeNull();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/rank 1 fails/);
  });
});
