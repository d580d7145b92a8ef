// Times the Fashion-MNIST model's four conv layers (lib/models/dilated-cnn.ts, batch 64) pass by
// pass through the addon, one native call each (convForward, convBackwardData, convBackwardWeight):
// median of 15 calls after 3 warm-ups, nominal GFLOP/s (2 N Cout H W Cin 9). L1's data gradient is
// never needed in training and is left out. The same shapes natively: atrous_bench conv --suite
// native/bench/training-layers.json. For an A/B of a native change, run it alternately against the
// old and the new package root (each with its build/Release/atrous.node and dist/).
// Usage: node scripts/bench-training-convs.cjs [packageRoot] [threads]
'use strict';
const path = require('node:path');
const root = path.resolve(process.argv[2] || path.join(__dirname, '..'));
const threads = Number(process.argv[3] || 2);
const { native } = require(path.join(root, 'dist', 'binding.js'));
const nat = native();
nat.setNumThreads(threads);

const N = 64;
const layers = [  // id, Cin, Cout, H = W, dilation (padding = dilation)
  ['L1', 1, 32, 28, 1], ['L2', 32, 32, 28, 2], ['L3', 32, 64, 14, 1], ['L4', 64, 64, 14, 2],
];
const random = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);

console.log(`# node scripts/bench-training-convs.cjs ${process.argv.slice(2).join(' ')} (threads=${threads})`);
for (const [id, cin, cout, hw, d] of layers) {
  const xShape = [N, cin, hw, hw], wShape = [cout, cin, 3, 3];
  const p = { strideH: 1, strideW: 1, dilationH: d, dilationW: d, groups: 1, padTop: d, padBottom: d, padLeft: d, padRight: d };
  const x = random(N * cin * hw * hw), w = random(cout * cin * 9), dy = random(N * cout * hw * hw);
  const y = new Float32Array(dy.length), dx = new Float32Array(x.length), dw = new Float32Array(w.length);
  const passes = [
    ['fwd', () => nat.convForward(x, xShape, w, wShape, null, y, p)],
    ['bwd-data', () => nat.convBackwardData(dy, w, wShape, dx, xShape, p)],
    ['bwd-weight', () => nat.convBackwardWeight(x, xShape, dy, dw, wShape, p)],
  ];
  const flops = 2 * N * cout * hw * hw * cin * 9;
  for (const [name, run] of passes) {
    if (id === 'L1' && name === 'bwd-data') continue;
    for (let i = 0; i < 3; i++) run();
    const ms = [];
    for (let r = 0; r < 15; r++) {
      const t0 = process.hrtime.bigint();
      run();
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ms.sort((a, b) => a - b);
    const median = ms[ms.length >> 1];
    console.log(`${id} ${name.padEnd(10)} ${median.toFixed(3)} ms  ${(flops / median / 1e6).toFixed(1)} GFLOP/s  (min ${ms[0].toFixed(3)})`);
  }
}
