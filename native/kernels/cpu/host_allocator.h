// How the process's C allocator treats large blocks (glibc only; a no-op elsewhere).
#pragma once

namespace atrous {

/**
 * Keeps large freed blocks in the malloc heap instead of returning them to the kernel: glibc's mmap
 * and trim thresholds are raised to 1 GiB (unless ATROUS_MALLOC_TUNING=0). On VMs where a first
 * touch costs ~3.4 ms/MB, a tensor allocated after a free of the same size is then already-mapped
 * memory. Returns true when the thresholds were set.
 */
bool keepFreedBlocksInHeap();

}  // namespace atrous
