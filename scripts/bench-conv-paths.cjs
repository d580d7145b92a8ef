// The planner's choice against forced paths, through the public API: for each shape, at.conv1d/at.conv2d
// forward, forward + data gradient (x requires grad) and forward + weight gradient (w requires grad),
// each `y.sum().backward()`, median ms of --calls calls after a warm-up, once with the planner's own
// plan ('auto') and once per ATROUS_CONV_PATH value given, each in a process of its own (the variable
// is read per call, but a process per setting keeps their pools and caches apart), the settings
// alternated round by round so that drift in the machine's load falls on all of them.
// The data and weight gradients are printed as the difference from the forward. --base DIR adds the
// planner's own plan in another checkout's build (its dist/ and build/Release), so that a change of the
// rules is measured against the rules before it, data gradient's inner forward included.
//
// Usage: node scripts/bench-conv-paths.cjs [--rounds 3] [--calls 40] [--threads 2] [--base DIR]
//        [--paths 'forward=by_region,weight=by_tap;forward=direct'] [--shapes tcn-d64,aspp64-d6,...]
// Shapes: tcn-dD (the adding TCN's level: 24 -> 24, T = 600, kernel 8, batch 32, causal, dilation D),
//         asppC-dD (C -> C, 16x16, 3x3, batch 32, dilation = padding = D),
//         charlm-dD (the CharLm's layer: 128 -> 128, T = 128, kernel 2, batch 32, causal, dilation D),
//         1d-C-T-K-N-dD (C -> C, length T, kernel K, batch N, causal, dilation D),
//         sS-Cin-Cout-K-H (Cin -> Cout, H x H, K x K, stride S (1 or 2), batch 32: the DRN's and ASPP's).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { header, median } = require('./bench-common.cjs');

const root = path.resolve(__dirname, '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    calls: { type: 'string', default: '40' },
    threads: { type: 'string', default: '2' },
    paths: { type: 'string', default: 'forward=by_region,weight=by_tap' },
    shapes: { type: 'string', default: 'tcn-d32,tcn-d64,tcn-d128,aspp64-d6,aspp128-d6,aspp256-d6' },
    base: { type: 'string' },
    worker: { type: 'string' },
    root: { type: 'string' },
  },
});

function shapeOf(name) {
  let m = /^tcn-d(\d+)$/.exec(name);
  if (m) return { x: [32, 24, 600], w: [24, 24, 8], opts: { dilation: Number(m[1]), padding: 'causal' } };
  m = /^aspp(\d+)-d(\d+)$/.exec(name);
  if (m) {
    const c = Number(m[1]), d = Number(m[2]);
    return { x: [32, c, 16, 16], w: [c, c, 3, 3], opts: { dilation: d, padding: d } };
  }
  m = /^charlm-d(\d+)$/.exec(name);
  if (m) return { x: [32, 128, 128], w: [128, 128, 2], opts: { dilation: Number(m[1]), padding: 'causal' } };
  m = /^1d-(\d+)-(\d+)-(\d+)-(\d+)-d(\d+)$/.exec(name);
  if (m) {
    const [c, t, k, n, d] = m.slice(1).map(Number);
    return { x: [n, c, t], w: [c, c, k], opts: { dilation: d, padding: 'causal' } };
  }
  m = /^s([12])-(\d+)-(\d+)-(\d+)-(\d+)$/.exec(name);
  if (m) {
    const [stride, ci, co, k, h] = m.slice(1).map(Number);
    return { x: [32, ci, h, h], w: [co, ci, k, k], opts: { stride, padding: (k - 1) / 2 } };
  }
  throw new RangeError(`--shapes: '${name}' is not tcn-dD, asppC-dD, charlm-dD, 1d-C-T-K-N-dD or sS-Cin-Cout-K-H`);
}

if (values.worker) {
  // One setting, one shape: prints { plan, fwd, data, weight } as JSON.
  const at = require(path.join(values.root ?? root, 'dist', 'index.js'));
  at.setNumThreads(Number(values.threads));
  const s = shapeOf(values.worker);
  const conv = s.x.length === 3 ? at.conv1d : at.conv2d;
  const x = at.randn(s.x);
  const w = at.randn(s.w).mul(0.1);
  const xg = at.tensor(x.toFloat32Array(), s.x, { requiresGrad: true });
  const wg = at.tensor(w.toFloat32Array(), s.w, { requiresGrad: true });
  const calls = Number(values.calls);
  const time = (fn) => {
    const t0 = Date.now();
    for (let i = 0; i < 1000 && (i < 8 || Date.now() - t0 < 500); i++) fn(); // warm-up: 8 calls or 0.5 s
    const ms = [];
    for (let i = 0; i < calls; i++) {
      const t = process.hrtime.bigint();
      fn();
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return median(ms);
  };
  const fwd = time(() => conv(x, w, null, s.opts));
  const data = time(() => {
    xg.grad = null;
    conv(xg, w, null, s.opts).sum().backward();
  });
  const weight = time(() => {
    wg.grad = null;
    conv(x, wg, null, s.opts).sum().backward();
  });
  const e = at.explainConv(s.x, s.w, s.opts);
  process.stdout.write(JSON.stringify({ plan: `${e.forward.plan} / ${e.data.plan} / ${e.weight.plan}`, fwd, data: data - fwd, weight: weight - fwd }) + '\n');
  process.exit(0);
}

const settings = ['auto', ...(values.base ? ['base'] : []), ...values.paths.split(';').filter(Boolean)];
const shapes = values.shapes.split(',');
const rounds = Number(values.rounds);
const at = require(path.join(root, 'dist', 'index.js'));
for (const line of header({ root, threads: Number(values.threads), at })) console.log(line);
console.log(`# median ms of ${values.calls} calls per setting and round; data and weight: (fwd + that gradient) - fwd; then the median over ${rounds} rounds`);
const results = new Map(); // shape -> setting -> { plan, fwd[], data[], weight[] }
for (let r = 0; r < rounds; r++) {
  for (const shape of shapes) {
    const order = r % 2 === 0 ? settings : [...settings].reverse();
    for (const setting of order) {
      const env = { ...process.env };
      if (setting === 'auto' || setting === 'base') delete env.ATROUS_CONV_PATH;
      else env.ATROUS_CONV_PATH = setting;
      const buildRoot = setting === 'base' ? path.resolve(values.base) : root;
      const args = [__filename, '--worker', shape, '--calls', values.calls, '--threads', values.threads, '--root', buildRoot];
      const out = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`${shape} with ${setting} failed:\n${out.stderr}`);
      const v = JSON.parse(out.stdout.trim().split('\n').pop());
      if (!results.has(shape)) results.set(shape, new Map());
      const bySetting = results.get(shape);
      if (!bySetting.has(setting)) bySetting.set(setting, { plan: v.plan, fwd: [], data: [], weight: [] });
      const acc = bySetting.get(setting);
      acc.fwd.push(v.fwd);
      acc.data.push(v.data);
      acc.weight.push(v.weight);
    }
  }
}
console.log(`${'shape'.padEnd(12)} ${'setting'.padEnd(34)} ${'fwd'.padStart(8)} ${'data'.padStart(8)} ${'weight'.padStart(8)}  plan (forward / data / weight)`);
for (const [shape, bySetting] of results) {
  for (const [setting, acc] of bySetting) {
    const f = (a) => median(a).toFixed(3).padStart(8);
    console.log(`${shape.padEnd(12)} ${setting.padEnd(34)} ${f(acc.fwd)} ${f(acc.data)} ${f(acc.weight)}  ${acc.plan}`);
  }
}
