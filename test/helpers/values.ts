// Deterministic test values from a small JS generator (mulberry32), independent of the addon's RNG.
export function seededValues(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo));
  }
  return out;
}

/** Distinct values spaced `gap` apart, shuffled: no ties for max, no zeros for relu, far from kinks. */
export function distinctValues(count: number, seed: number, gap = 0.05): Float32Array {
  const order = seededValues(count, seed);
  const ranks = Array.from(order, (v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Float32Array(count);
  ranks.forEach(([, i], r) => {
    out[i] = (r - (count - 1) / 2) * gap + (r >= (count - 1) / 2 ? gap / 2 : -gap / 2);
  });
  return out;
}

/** A tensor's values as a plain array, with -0 read as 0 (the sign of a zero is not under test). */
export function valuesOf(t: { toFloat32Array(): Float32Array } | null): number[] {
  if (t === null) throw new Error('expected a tensor, got null');
  return Array.from(t.toFloat32Array(), (v) => v + 0);
}
