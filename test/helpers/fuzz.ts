// Shared fast-check settings for the fuzz tests: a bounded run count for CI (FUZZ_RUNS overrides it for a
// long run) and a fresh seed each time unless FUZZ_SEED replays one. fast-check prints the seed and the
// shrunk counterexample's path when a property fails; pass both back (FUZZ_SEED, FUZZ_PATH) to replay it.
import type { Parameters } from 'fast-check';

export function fuzzParameters<T>(defaultRuns: number): Parameters<T> {
  const runs = Number(process.env.FUZZ_RUNS ?? defaultRuns);
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  return { numRuns: runs, ...(seed === undefined ? {} : { seed }), ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}) };
}

/** The per-test timeout: bounded for CI, none to speak of for a long FUZZ_RUNS run. */
export const fuzzTimeout = process.env.FUZZ_RUNS === undefined ? 60_000 : 24 * 3_600_000;
