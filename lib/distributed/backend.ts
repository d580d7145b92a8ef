// The seam between the process group (lib/distributed/process-group.ts) and a communication engine.
// 'mpi' (mpi-backend.ts) reduces host memory through Open MPI. A 'nccl' backend would implement the
// same interface over DeviceBuffers (device 'cuda'): libnccl dlopen()ed beside libatrous_cuda, its
// collectives queued on a CUDA stream instead of the communication thread, Work.wait() a stream
// sync; initProcessGroup would pick it by name (process-group.ts: createBackend), and nothing
// above this file would change.
import type { Device, Storage } from '../core/storage';

/** A collective in flight: wait() blocks until it is done (and throws what the engine reported). */
export interface Work {
  wait(): void;
}

export type BackendName = 'mpi';

export interface CommBackend {
  readonly name: BackendName;
  readonly rank: number;
  readonly size: number;
  /** Where this engine's tensors live. */
  readonly device: Device;
  /** In-place sum over ranks. data must not be touched until the Work is waited. */
  allReduceSum(data: Storage): Work;
  broadcast(data: Storage, src: number): Work;
  barrier(): Work;
  /** In-place maxima over ranks, blocking: the cheap agreement check before any data moves. */
  agreeMax(values: Float64Array): void;
  finalize(): void;
  /** Ends every rank (MPI_Abort); does not return. */
  abort(code: number): void;
}
