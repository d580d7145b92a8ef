// at.memory() and at.emptyCache(): what the caching allocator (lib/memory.ts) holds, for users who
// watch a long run's memory, and the way to hand its cached buffers back.
import { emptyCache as emptyHostCache, hostMemoryStats, type MemoryStats } from './memory';

export type { MemoryStats } from './memory';

/**
 * CPU tensor memory: `tensors` and `bytes` are the pooled storages live now (op outputs, gradients,
 * saved values, optimizer state; storages under 1 KiB and arrays given to at.tensor() are not
 * counted), `pooledBytes` what the free lists cache for reuse, `peakBytes` the most live at once.
 * Storages that nobody released are counted until the garbage collector has collected them.
 */
export function memory(): MemoryStats {
  return hostMemoryStats();
}

/** Drops the allocator's cached free buffers (the collector then frees them), as torch.cuda.empty_cache(). */
export function emptyCache(): void {
  emptyHostCache();
}
