// Times a training step of the Fashion-MNIST model (DilatedCnn, batch 64, random inputs, Adam:
// zeroGrad, forward, cross-entropy, backward, step) through the package: median of the steps after
// the first 20. For an A/B of a native change, run it alternately against the old and the new
// package root (each with its build/Release/atrous.node and dist/).
// Usage: node scripts/bench-training-step.cjs [packageRoot] [steps]
'use strict';
const path = require('node:path');
const root = path.resolve(process.argv[2] || path.join(__dirname, '..'));
const steps = Math.max(30, Number(process.argv[3] || 60));
const at = require(path.join(root, 'dist', 'index.js'));
const { DilatedCnn } = require(path.join(root, 'dist', 'models', 'dilated-cnn.js'));

at.setNumThreads(2);
at.manualSeed(0);
const model = new DilatedCnn();
const opt = new at.optim.Adam(model.parameters(), { lr: 1e-3 });
const x = at.randn([64, 1, 28, 28]);
const targets = Array.from({ length: 64 }, (_, i) => i % 10);
const ms = [];
for (let s = 0; s < steps; s++) {
  const t0 = process.hrtime.bigint();
  opt.zeroGrad();
  const loss = at.crossEntropy(model.forward(x), targets);
  loss.backward();
  opt.step();
  loss.item();
  ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const kept = ms.slice(20).sort((a, b) => a - b);
const median = kept[kept.length >> 1];
console.log(`# node scripts/bench-training-step.cjs ${process.argv.slice(2).join(' ')}`);
console.log(`training step: median ${median.toFixed(2)} ms over ${kept.length} steps (${(64000 / median).toFixed(0)} images/s)`);
