// Naive float64 references, written straight from the definitions (PyTorch semantics).
export interface ConvRefParams {
  stride: [number, number];
  dilation: [number, number];
  pads: { top: number; bottom: number; left: number; right: number };
  groups: number;
}

/** x N×C×H×W, w Cout×(C/g)×KH×KW → y N×Cout×OH×OW. */
export function conv2dRef(
  x: ArrayLike<number>, xs: number[], w: ArrayLike<number>, ws: number[], b: ArrayLike<number> | null, p: ConvRefParams,
): { y: Float64Array; shape: number[] } {
  const [n, c, h, wd] = xs;
  const [co, cg, kh, kw] = ws;
  const { stride: [sh, sw], dilation: [dh, dw], pads, groups } = p;
  const oh = Math.floor((h + pads.top + pads.bottom - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + pads.left + pads.right - dw * (kw - 1) - 1) / sw) + 1;
  const y = new Float64Array(n * co * oh * ow);
  const coPerGroup = co / groups;
  for (let ni = 0; ni < n; ni++)
    for (let o = 0; o < co; o++) {
      const g = Math.floor(o / coPerGroup);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let acc = b ? b[o] : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let a = 0; a < kh; a++)
              for (let e = 0; e < kw; e++) {
                const ih = i * sh - pads.top + a * dh;
                const iw = j * sw - pads.left + e * dw;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                acc += x[((ni * c + g * cg + ci) * h + ih) * wd + iw] * w[((o * cg + ci) * kh + a) * kw + e];
              }
          y[((ni * co + o) * oh + i) * ow + j] = acc;
        }
    }
  return { y, shape: [n, co, oh, ow] };
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    if (!(Math.abs(actual[i] - e) <= tol * (1 + Math.abs(e)))) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${e} (tolerance ${tol})`);
    }
  }
}
