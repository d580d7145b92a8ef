import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every storage the allocator hands out starts as NaN (lib/core/memory.ts): an op that reads an output
    // element it did not write, or a buffer reused while still in use, fails its test instead of
    // passing on the zeros a fresh Float32Array happens to hold.
    env: { ATROUS_POOL_POISON: '1' },
  },
});
