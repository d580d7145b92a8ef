// BatchNorm2d + ReLU at the Fashion-MNIST model's sizes (batch 64: [64,32,28,28] and [64,64,14,14]) in
// one process: the nn.Sequential pair (fused into batchNormRelu2d) against the same two modules called
// one at a time (batch norm, then relu: unfused), alternated sample by sample so that a noisy machine
// slows both alike; forward+backward (train) and forward alone (no graph). Medians of 41 samples.
// Usage: node scripts/bench-bn-relu.cjs [PACKAGE_DIR]   (default: this checkout)
'use strict';
const path = require('node:path');
const at = require(path.resolve(process.argv[2] ?? path.join(__dirname, '..')));
at.setNumThreads(2);
const shapes = [[64, 32, 28, 28], [64, 64, 14, 14]];
const pairs = shapes.map((s) => new at.nn.Sequential(new at.nn.BatchNorm2d(s[1]), new at.nn.ReLU()));
const xs = shapes.map((s) => at.randn(s, { requiresGrad: true }));
const gs = shapes.map((s) => at.randn(s));
const fused = () => pairs.forEach((p, i) => p.forward(xs[i]).backward(gs[i]));
const split = () => pairs.forEach((p, i) => p.at(1).forward(p.at(0).forward(xs[i])).backward(gs[i]));
const fwdF = () => at.noGrad(() => pairs.forEach((p, i) => p.forward(xs[i])));
const fwdS = () => at.noGrad(() => pairs.forEach((p, i) => p.at(1).forward(p.at(0).forward(xs[i]))));
const fns = { 'fused fwd+bwd': fused, 'unfused fwd+bwd': split, 'fused fwd': fwdF, 'unfused fwd': fwdS };
const t = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
for (let i = 0; i < 3; i++) Object.values(fns).forEach((f) => f());
for (let r = 0; r < 41; r++) {
  const keys = Object.keys(fns);
  for (const k of r % 2 ? keys : [keys[1], keys[0], keys[3], keys[2]]) {
    const t0 = process.hrtime.bigint();
    fns[k]();
    t[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
const med = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const q = (v, p) => [...v].sort((a, b) => a - b)[Math.floor(v.length * p)];
console.log(`node scripts/bench-bn-relu.cjs: ${require('node:os').cpus()[0].model}, ${at.backend().cpu}, 2 threads`);
for (const k of Object.keys(t)) console.log(`${k}: median ${med(t[k]).toFixed(2)} ms, p10 ${q(t[k], 0.1).toFixed(2)}, p90 ${q(t[k], 0.9).toFixed(2)}`);
