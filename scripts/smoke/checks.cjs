// The installed package's smoke checks, shared by smoke.cjs (require) and smoke.mjs (import): dilated
// conv1d/conv2d forward and backward against a hand-worked case and against naive float64 loops
// written here, so a bad binary, a wrong ISA dispatch or a broken entry point fails loudly.
'use strict';
const path = require('node:path');
const { createRequire } = require('node:module');

/** Deterministic, exactly representable inputs: multiples of 1/8 in [-1, 1]. */
function pattern(n, seed) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (((i * 7 + seed * 5) % 17) - 8) / 8;
  return a;
}

function compare(what, got, want, tol = 1e-4) {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    if (!(err <= tol)) throw new Error(`${what}[${i}] = ${got[i]}, expected ${want[i]} (relative error ${err})`);
    worst = Math.max(worst, err);
  }
  return worst;
}

/** y[n,o,l] = b[o] + sum_{c,k} w[o,c,k] x[n,c,l*s-p+k*d], with its gradients for the upstream g. */
function conv1dNaive(x, w, b, g, N, C, L, O, K, s, p, d) {
  const Lout = Math.floor((L + 2 * p - d * (K - 1) - 1) / s) + 1;
  const y = new Float64Array(N * O * Lout), dx = new Float64Array(N * C * L);
  const dw = new Float64Array(O * C * K), db = new Float64Array(O);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let l = 0; l < Lout; l++) {
    const yi = (n * O + o) * Lout + l;
    let acc = b[o];
    for (let c = 0; c < C; c++) for (let k = 0; k < K; k++) {
      const i = l * s - p + k * d;
      if (i < 0 || i >= L) continue;
      const xi = (n * C + c) * L + i, wi = (o * C + c) * K + k;
      acc += w[wi] * x[xi];
      dx[xi] += g[yi] * w[wi];
      dw[wi] += g[yi] * x[xi];
    }
    y[yi] = acc;
    db[o] += g[yi];
  }
  return { y, dx, dw, db, Lout };
}

/** The same for 2-d, with groups (per-axis stride/padding/dilation). */
function conv2dNaive(x, w, b, g, N, C, H, W, O, KH, KW, [sh, sw], [ph, pw], [dh, dw_], groups) {
  const OH = Math.floor((H + 2 * ph - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - dw_ * (KW - 1) - 1) / sw) + 1;
  const Cg = C / groups, Og = O / groups;
  const y = new Float64Array(N * O * OH * OW), dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length), db = new Float64Array(O);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const yi = ((n * O + o) * OH + oh) * OW + ow;
    const grp = Math.floor(o / Og);
    let acc = b[o];
    for (let cg = 0; cg < Cg; cg++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw_;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      const c = grp * Cg + cg;
      const xi = ((n * C + c) * H + ih) * W + iw, wi = ((o * Cg + cg) * KH + kh) * KW + kw;
      acc += w[wi] * x[xi];
      dx[xi] += g[yi] * w[wi];
      dw[wi] += g[yi] * x[xi];
    }
    y[yi] = acc;
    db[o] += g[yi];
  }
  return { y, dx, dw, db, OH, OW };
}

/** Runs op on fresh leaf tensors, backpropagates sum(out * g) and returns the values and gradients. */
function runOp(at, op, xs, xShape, ws, wShape, bs, gFor) {
  const x = at.tensor(xs, xShape, { requiresGrad: true });
  const w = at.tensor(ws, wShape, { requiresGrad: true });
  const b = bs === null ? null : at.tensor(bs, [bs.length], { requiresGrad: true });
  const y = op(x, w, b);
  const g = gFor(y.shape);
  y.mul(at.tensor(g, y.shape)).sum().backward();
  return { shape: y.shape, y: y.toFloat32Array(), dx: x.grad.toFloat32Array(), dw: w.grad.toFloat32Array(), db: b?.grad.toFloat32Array(), g };
}

function runChecks(at, entry) {
  const log = (s) => console.log(`smoke (${entry}): ${s}`);
  const info = at.backend();
  const root = path.dirname(require.resolve('atrous/package.json', { paths: [process.cwd()] }));
  const addon = createRequire(path.join(root, 'package.json'))('node-gyp-build').resolve(root);
  log(`atrous ${info.version} from ${root}`);
  log(`addon ${path.relative(root, addon)}; backend cpu=${info.cpu} threads=${info.threads} cuda=${info.cuda} (${info.cudaReason})`);
  // The installed package loads its prebuild; after a build from source, build/Release.
  const from = process.env.ATROUS_SMOKE_ADDON === 'build' ? path.join('build', 'Release') : 'prebuilds';
  if (!addon.startsWith(path.join(root, from) + path.sep)) throw new Error(`the addon did not come from ${from}/: ${addon}`);
  // Where the package ships libatrous_cuda, it must load and answer for itself (usable, or the
  // driver's or device's reason), never "not installed" or a loading failure.
  const cudaLibrary = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'libatrous_cuda.so');
  if (require('node:fs').existsSync(cudaLibrary) && !info.cuda && /not installed|cannot load|atrous_cuda_api/.test(info.cudaReason)) {
    throw new Error(`the shipped ${path.relative(root, cudaLibrary)} did not load: ${info.cudaReason}`);
  }

  // By hand: x = 1..7, w = [1, 0, -1], dilation 2, no padding: y[l] = x[l] - x[l+4] = -4;
  // with an upstream gradient of ones, dx = [1, 1, 1, 0, -1, -1, -1] and dw = [1+2+3, 3+4+5, 5+6+7].
  const hand = runOp(at, (x, w) => at.conv1d(x, w, null, { dilation: 2 }),
    [1, 2, 3, 4, 5, 6, 7], [1, 1, 7], [1, 0, -1], [1, 1, 3], null, (s) => new Float32Array(s.reduce((a, b) => a * b, 1)).fill(1));
  compare('conv1d by hand: y', hand.y, [-4, -4, -4], 0);
  compare('conv1d by hand: dx', hand.dx, [1, 1, 1, 0, -1, -1, -1], 0);
  compare('conv1d by hand: dw', hand.dw, [6, 12, 18], 0);
  log('conv1d by hand (x=1..7, w=[1,0,-1], dilation 2): y=[-4,-4,-4], dx=[1,1,1,0,-1,-1,-1], dw=[6,12,18]: exact');

  {
    const [N, C, L, O, K, s, p, d] = [2, 3, 23, 4, 3, 2, 3, 3];
    const xs = pattern(N * C * L, 1), ws = pattern(O * C * K, 2), bs = pattern(O, 3);
    const got = runOp(at, (x, w, b) => at.conv1d(x, w, b, { stride: s, padding: p, dilation: d }),
      xs, [N, C, L], ws, [O, C, K], bs, (shape) => pattern(shape.reduce((a, c) => a * c, 1), 4));
    const ref = conv1dNaive(xs, ws, bs, got.g, N, C, L, O, K, s, p, d);
    if (String(got.shape) !== String([N, O, ref.Lout])) throw new Error(`conv1d shape ${got.shape}, expected ${[N, O, ref.Lout]}`);
    const err = Math.max(compare('conv1d y', got.y, ref.y), compare('conv1d dx', got.dx, ref.dx),
      compare('conv1d dw', got.dw, ref.dw), compare('conv1d db', got.db, ref.db));
    log(`conv1d [${N},${C},${L}] * [${O},${C},${K}] stride ${s} padding ${p} dilation ${d} -> [${got.shape}]: ` +
      `y, dx, dw, db match the naive loop (max relative error ${err.toExponential(1)})`);
  }

  for (const c of [
    { N: 2, C: 4, H: 9, W: 8, O: 6, KH: 3, KW: 3, stride: [1, 2], padding: [2, 1], dilation: [2, 3], groups: 1 },
    { N: 1, C: 6, H: 13, W: 11, O: 6, KH: 3, KW: 3, stride: [1, 1], padding: [4, 4], dilation: [4, 4], groups: 6 },
  ]) {
    const xs = pattern(c.N * c.C * c.H * c.W, 5), ws = pattern(c.O * (c.C / c.groups) * c.KH * c.KW, 6), bs = pattern(c.O, 7);
    const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
    const got = runOp(at, (x, w, b) => at.conv2d(x, w, b, opts), xs, [c.N, c.C, c.H, c.W], ws,
      [c.O, c.C / c.groups, c.KH, c.KW], bs, (shape) => pattern(shape.reduce((a, v) => a * v, 1), 8));
    const ref = conv2dNaive(xs, ws, bs, got.g, c.N, c.C, c.H, c.W, c.O, c.KH, c.KW, c.stride, c.padding, c.dilation, c.groups);
    if (String(got.shape) !== String([c.N, c.O, ref.OH, ref.OW])) throw new Error(`conv2d shape ${got.shape}, expected ${[c.N, c.O, ref.OH, ref.OW]}`);
    const err = Math.max(compare('conv2d y', got.y, ref.y), compare('conv2d dx', got.dx, ref.dx),
      compare('conv2d dw', got.dw, ref.dw), compare('conv2d db', got.db, ref.db));
    log(`conv2d [${c.N},${c.C},${c.H},${c.W}] * [${c.O},${c.C / c.groups},${c.KH},${c.KW}] ${JSON.stringify(opts)} -> [${got.shape}]: ` +
      `y, dx, dw, db match the naive loop (max relative error ${err.toExponential(1)})`);
  }
  log('ok');
}

module.exports = { runChecks };
