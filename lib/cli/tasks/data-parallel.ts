// `atrous train` under mpirun: every task runs data-parallel without knowing it. Each rank walks the
// task's global batch order (its seeded per-epoch shuffle, the same on every rank) and trains on
// every size-th batch: global step s is batches s·N .. s·N+N−1, one per rank, so the global batch
// is the per-rank batch × N, each sample is seen by one rank per epoch, and every rank takes the
// same number of steps (the remainder of an epoch, under N batches, is dropped). One small
// allreduce per step sums the loss and sample counts for the log, and whether any rank was asked to
// stop (Ctrl-C), so all ranks stop after the same step.
import { Tensor } from '../../core/tensor';
import * as distributed from '../../distributed';
import { DistributedDataParallel } from '../../nn/parallel';
import type { Module } from '../../nn';
import type { Task, TrainBatch } from './task';

export interface DataParallel {
  rank: number;
  size: number;
  /** The model that the batches run through (DDP around the task's model). */
  wrap(model: Module): Module;
  /** This rank's batches of an epoch, indexed in global steps from startStep. */
  batches(task: Task, epoch: number, startStep: number): Iterable<TrainBatch>;
  stepsPerEpoch(task: Task): number;
  /** Over all ranks: the loss sum, the samples and whether any rank stops. */
  reduceStep(lossSum: number, samples: number, stop: boolean): { lossSum: number; samples: number; stop: boolean };
  end(): void;
}

/** Whether Open MPI's mpirun started this process as one of several ranks. */
export function launchedByMpirun(): boolean {
  return Number(process.env.OMPI_COMM_WORLD_SIZE ?? '1') > 1;
}

/** Joins mpirun's job (initProcessGroup), or null when not launched by mpirun with more than one rank. */
export function startDataParallel(): DataParallel | null {
  if (!launchedByMpirun()) return null;
  const ownsGroup = !distributed.isInitialized();
  if (ownsGroup) distributed.initProcessGroup({ backend: 'mpi' });
  const rank = distributed.getRank();
  const size = distributed.getWorldSize();
  const stepsPerEpoch = (task: Task) => Math.floor(task.batchesPerEpoch / size);
  return {
    rank,
    size,
    wrap: (model) => new DistributedDataParallel(model),
    stepsPerEpoch,
    *batches(task, epoch, startStep) {
      const steps = stepsPerEpoch(task);
      for (const b of task.batches(epoch, startStep * size)) {
        const step = Math.floor(b.index / size);
        if (step >= steps) return;
        if (b.index % size === rank) yield { ...b, index: step };
      }
    },
    reduceStep(lossSum, samples, stop) {
      const t = new Tensor(new Float32Array([lossSum, samples, stop ? 1 : 0]), [3]);
      distributed.allReduce(t);
      const [l, s, st] = t.toFloat32Array();
      return { lossSum: l, samples: s, stop: st > 0 };
    },
    end() {
      if (ownsGroup) distributed.destroyProcessGroup();
    },
  };
}
