// at.distributed: one process group per process (MPI_COMM_WORLD), as torch.distributed's default
// group. Every collective first runs a cheap agreement check (one small allreduce of what each rank
// passes: collective, element count, source, op, device, dtype), so tensors that differ across ranks
// give the same clear Error on every rank before any data moves, instead of a hang or a wrong sum.
import * as fs from 'node:fs';
import { inspect } from 'node:util';
import { type Tensor } from '../core/tensor';
import { describeValue, expectAnyTensor, formatShape } from '../core/shape-checks';
import { native } from '../native/load-addon';
import type { BackendName, CommBackend } from './backend';
import { MpiBackend } from './mpi-backend';

export type ReduceOp = 'sum' | 'avg';

export interface InitProcessGroupOptions {
  /** The communication engine: 'mpi' (Open MPI, CPU tensors). */
  backend?: BackendName;
}

let group: CommBackend | null = null;
const ABORT_GRACE_MS = 200;

/** The named engine; 'nccl' would be added here (see backend.ts). */
function createBackend(name: BackendName): CommBackend {
  switch (name) {
    case 'mpi':
      return new MpiBackend();
  }
}

/** Joins the job mpirun started: MPI_Init_thread, rank and size. Once per process. */
export function initProcessGroup(opts: InitProcessGroupOptions = {}): void {
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError(`initProcessGroup: opts expects an object like { backend: 'mpi' }, but got ${describeValue(opts)}`);
  }
  const name = opts.backend ?? 'mpi';
  if (name !== 'mpi') {
    throw new TypeError(`initProcessGroup: opts.backend expects 'mpi' (the one engine in this version), but got ${describeValue(name)}`);
  }
  if (group !== null) throw new Error('initProcessGroup: the process group is already initialized (once per process; destroyProcessGroup ends it)');
  group = createBackend(name);
  process.once('exit', endAtExit);
  process.on('uncaughtExceptionMonitor', noteUncaught); // observes only: Node's handling is unchanged
}

let uncaught: unknown;
function noteUncaught(err: unknown): void {
  uncaught = err;
}

/**
 * At exit: a clean exit (code 0) finalizes MPI after the queued collectives; any other exit (an
 * uncaught error, process.exit(1)) calls MPI_Abort, which ends every rank, so no peer hangs in a
 * collective waiting for this one.
 */
function endAtExit(code: number): void {
  if (group === null) return;
  const g = group;
  group = null;
  if (code === 0) {
    g.finalize();
    return;
  }
  // Node prints an uncaught error after 'exit', which MPI_Abort would cut short: print it now, and
  // give mpirun a moment to forward it before the job is killed.
  if (uncaught !== undefined) fs.writeSync(2, `rank ${g.rank}: ${inspect(uncaught)}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ABORT_GRACE_MS);
  g.abort(code > 0 && code < 256 ? code : 1);
}

/** Ends the process group: the queued collectives finish, then MPI_Finalize (MPI cannot start again in this process). */
export function destroyProcessGroup(): void {
  const g = requireGroup('destroyProcessGroup');
  group = null;
  process.removeListener('exit', endAtExit);
  process.removeListener('uncaughtExceptionMonitor', noteUncaught);
  g.finalize();
}

export function isInitialized(): boolean {
  return group !== null;
}

export function getRank(): number {
  return requireGroup('getRank').rank;
}

export function getWorldSize(): number {
  return requireGroup('getWorldSize').size;
}

/** The process group's engine (for DistributedDataParallel); throws naming op when there is none. */
export function requireGroup(op: string): CommBackend {
  if (group === null) throw new Error(`${op}: the process group is not initialized (call at.distributed.initProcessGroup({ backend: 'mpi' }) first, in a program started by mpirun)`);
  return group;
}

/** Ends every rank now (MPI_Abort), for a rank that cannot go on; the CLI's error path. */
export function abortAll(code = 1): void {
  if (group !== null) group.abort(code);
}

/** Sums (or averages) t over ranks, in place. Every rank must pass a float32 tensor with as many elements. */
export function allReduce(t: Tensor, opts: { op?: ReduceOp } = {}): void {
  const g = requireGroup('allReduce');
  expectAnyTensor('allReduce', 't', t);
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`allReduce: opts expects an object like { op: 'sum' }, but got ${describeValue(opts)}`);
  const op = opts.op ?? 'sum';
  if (op !== 'sum' && op !== 'avg') throw new TypeError(`allReduce: opts.op expects 'sum' or 'avg', but got ${describeValue(op)}`);
  agree(g, 'allReduce', t, { collective: 1, src: 0, op: op === 'sum' ? 0 : 1 });
  g.allReduceSum(t.storage).wait();
  if (op === 'avg') native().axpby(t.storage, 1 / g.size, null, 0, t.storage);
}

/** Copies rank src's t into t on every other rank. */
export function broadcast(t: Tensor, src: number): void {
  const g = requireGroup('broadcast');
  expectAnyTensor('broadcast', 't', t);
  if (!Number.isInteger(src) || src < 0 || src >= g.size) {
    throw new RangeError(`broadcast: src expects a rank in [0, ${g.size - 1}], but got ${describeValue(src)}`);
  }
  agree(g, 'broadcast', t, { collective: 2, src, op: 0 });
  g.broadcast(t.storage, src).wait();
}

/** Returns once every rank has called barrier(). */
export function barrier(): void {
  const g = requireGroup('barrier');
  agree(g, 'barrier', null, { collective: 3, src: 0, op: 0 });
  g.barrier().wait();
}

/**
 * The agreement check: every rank contributes its call's descriptor and the per-rank flags; one
 * allreduce of maxima over [d, −d] gives each field's max and min on every rank, so all ranks see
 * the same answer and throw the same Error (or none).
 */
function agree(g: CommBackend, op: string, t: Tensor | null, call: { collective: number; src: number; op: number }): void {
  const fields = [call.collective, t?.numel ?? 0, call.src, call.op, t !== null && t.device !== g.device ? 1 : 0, t !== null && t.dtype !== 'float32' ? 1 : 0];
  const values = new Float64Array(fields.length * 2);
  fields.forEach((v, i) => {
    values[i] = v;
    values[fields.length + i] = -v;
  });
  g.agreeMax(values);
  const max = (i: number) => values[i];
  const min = (i: number) => -values[fields.length + i];
  const mine = t === null ? '' : ` (this rank, ${g.rank}, passed ${t.dtype} shape ${formatShape(t.shape)} on '${t.device}')`;
  if (max(0) !== min(0)) throw new Error(`${op}: the ranks called different collectives at the same point (each rank must call the same collectives in the same order)${mine}`);
  if (max(4) > 0) throw new TypeError(`${op}: a tensor is not on '${g.device}' on some rank; the ${g.name} backend reduces '${g.device}' tensors (move it with .to('${g.device}'))${mine}`);
  if (max(5) > 0) throw new TypeError(`${op}: a tensor is not float32 on some rank; the ${g.name} backend moves float32 tensors${mine}`);
  if (max(1) !== min(1)) throw new RangeError(`${op}: the tensors differ across ranks: from ${min(1)} to ${max(1)} elements (every rank must pass as many)${mine}`);
  if (max(2) !== min(2)) throw new RangeError(`${op}: the ranks passed different src: from ${min(2)} to ${max(2)}${mine}`);
  if (max(3) !== min(3)) throw new RangeError(`${op}: the ranks passed different ops ('sum' on some, 'avg' on others)${mine}`);
}
