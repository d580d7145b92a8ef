// at.memory() and at.emptyCache(): what the caching allocator (lib/core/memory.ts) holds, for users who
// watch a long run's memory, and the way to hand its cached buffers back.
import { emptyCache as emptyHostCache, memoryStats, type MemoryStats } from './memory';

export type { MemoryStats } from './memory';

export interface MemoryReport extends MemoryStats {
  /** The same for CUDA device memory, once any has been allocated (pooledBytes: the stream-ordered pool's, not counted: 0). */
  cuda?: MemoryStats;
}

/**
 * CPU tensor memory: `tensors` and `bytes` are the storages the allocator handed out and that are live
 * now (a graph's activations and saved values, gradients, optimizer state; storages under 64 KiB,
 * arrays given to at.tensor() and op results no graph will own are plain memory, not counted),
 * `pooledBytes` what its free lists cache for reuse, `peakBytes` the most live at once. A counted
 * storage nobody released (a model's output the caller dropped) is counted until the garbage collector
 * has collected it (its finalizers run between event-loop turns).
 */
export function memory(): MemoryReport {
  const report: MemoryReport = memoryStats('cpu');
  const cuda = memoryStats('cuda');
  if (cuda.peakBytes > 0 || cuda.tensors > 0) report.cuda = cuda;
  return report;
}

/** Drops the allocator's cached free buffers (the collector then frees them), as torch.cuda.empty_cache(). */
export function emptyCache(): void {
  emptyHostCache();
}
