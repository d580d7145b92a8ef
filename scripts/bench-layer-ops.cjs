// Times the Fashion-MNIST model's non-conv layer ops at training size (batch 64), through the
// package as training calls them (outputs allocated, autograd on): one step's two 2x2 max pools
// (forward) and a forward+backward of its two batch-norm sizes. Medians of 11-15 rounds. For an A/B
// of a native change, run it alternately with the old and the new build/Release/atrous.node.
// Usage: node scripts/bench-layer-ops.cjs
'use strict';
const at = require(require('node:path').resolve(__dirname, '..'));

at.setNumThreads(2);

function median(rounds, perRound, fn) {
  for (let i = 0; i < 3; i++) fn();
  const ms = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) fn();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6 / perRound);
  }
  ms.sort((a, b) => a - b);
  return ms[rounds >> 1];
}

const p1 = at.randn([64, 32, 28, 28]);
const p2 = at.randn([64, 64, 14, 14]);
const pools = median(15, 10, () => at.noGrad(() => { at.maxPool2d(p1, 2); at.maxPool2d(p2, 2); }));
console.log(`max pool 2x2 forward, [64,32,28,28] + [64,64,14,14]: median ${pools.toFixed(3)} ms`);

const bn1 = new at.nn.BatchNorm2d(32);
const bn2 = new at.nn.BatchNorm2d(64);
const x1 = at.randn([64, 32, 28, 28], { requiresGrad: true });
const x2 = at.randn([64, 64, 14, 14], { requiresGrad: true });
const g1 = at.randn([64, 32, 28, 28]);
const g2 = at.randn([64, 64, 14, 14]);
const norms = median(11, 5, () => {
  bn1.forward(x1).backward(g1);
  bn2.forward(x2).backward(g2);
});
console.log(`batch norm forward+backward (train), [64,32,28,28] + [64,64,14,14]: median ${norms.toFixed(2)} ms`);
