// The 'mpi' backend: Open MPI's libmpi.so.40, dlopen()ed by the addon (native/napi/mpi_library.cpp)
// only when initProcessGroup asks, so `require('atrous')` never needs MPI. Collectives run on the
// addon's communication thread (native/napi/mpi_comm_thread.h), in submission order.
import { native } from '../native/load-addon';
import type { Storage } from '../core/storage';
import type { CommBackend, Work } from './backend';

const INSTALL_HINT = 'install Open MPI (Debian/Ubuntu: `apt-get install openmpi-bin libopenmpi-dev`) and start the program with `mpirun -np N node ...`';

/** The library to load: $ATROUS_MPI_LIBRARY when set, else Open MPI 4's soname on the default search path. */
function mpiLibrary(): string {
  return process.env.ATROUS_MPI_LIBRARY || 'libmpi.so.40';
}

function hostArray(op: string, data: Storage): Float32Array {
  if (!(data instanceof Float32Array)) throw new TypeError(`${op}: the mpi backend reduces host (cpu) memory only`);
  return data;
}

class MpiWork implements Work {
  #id: number;
  constructor(id: number) {
    this.#id = id;
  }
  wait(): void {
    if (this.#id === 0) return;
    const id = this.#id;
    this.#id = 0; // a second wait() is a no-op, as in PyTorch
    native().mpiWait(id);
  }
}

export class MpiBackend implements CommBackend {
  readonly name = 'mpi' as const;
  readonly device = 'cpu' as const;
  readonly rank: number;
  readonly size: number;

  /** Loads libmpi and calls MPI_Init_thread(MPI_THREAD_SERIALIZED); throws saying what to install. */
  constructor() {
    if (process.platform !== 'linux') {
      throw new Error(`initProcessGroup: the mpi backend is built for Linux only (this is ${process.platform})`);
    }
    const state = native().mpiLoad(mpiLibrary());
    if (!state.usable) throw new Error(`initProcessGroup: MPI is not available: ${state.reason}; ${INSTALL_HINT}`);
    const { rank, size } = native().mpiInit();
    this.rank = rank;
    this.size = size;
  }

  allReduceSum(data: Storage): Work {
    return new MpiWork(native().mpiAllreduceSumAsync(hostArray('allReduce', data)));
  }

  broadcast(data: Storage, src: number): Work {
    return new MpiWork(native().mpiBroadcastAsync(hostArray('broadcast', data), src));
  }

  barrier(): Work {
    return new MpiWork(native().mpiBarrierAsync());
  }

  agreeMax(values: Float64Array): void {
    new MpiWork(native().mpiAllreduceMaxAsync(values)).wait();
  }

  finalize(): void {
    native().mpiFinalize();
  }

  abort(code: number): void {
    native().mpiAbort(code);
  }
}
