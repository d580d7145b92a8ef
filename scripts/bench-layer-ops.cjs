// Times the Fashion-MNIST model's non-conv layer ops at training size (batch 64), through the
// package as training calls them (outputs allocated, autograd on): one step's two 2x2 max pools
// (forward), a forward+backward of its two batch-norm sizes, and the same with the ReLU that follows
// each batch norm (an nn.Sequential pair, as the model runs it). Medians of 11-15 rounds. For an A/B
// of a change, run it alternately with the old and the new build: scripts/ab-bn-relu.mjs does.
// The last line hashes the BatchNorm2d + ReLU pair's output and gradients on fixed inputs, so two
// builds that must agree bit for bit can be compared.
// Usage: node scripts/bench-layer-ops.cjs [PACKAGE_DIR]   (default: this checkout)
'use strict';
const path = require('node:path');
const at = require(path.resolve(process.argv[2] ?? path.join(__dirname, '..')));

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

const pair1 = new at.nn.Sequential(new at.nn.BatchNorm2d(32), new at.nn.ReLU());
const pair2 = new at.nn.Sequential(new at.nn.BatchNorm2d(64), new at.nn.ReLU());
const pairs = median(11, 5, () => {
  pair1.forward(x1).backward(g1);
  pair2.forward(x2).backward(g2);
});
console.log(`batch norm + relu forward+backward (train), [64,32,28,28] + [64,64,14,14]: median ${pairs.toFixed(2)} ms`);

// FNV-1a over the float bits of a fresh pair's output, input gradient, parameter gradients and
// running statistics, in training then eval, from seeded inputs.
function hashPair() {
  at.manualSeed(5);
  const pair = new at.nn.Sequential(new at.nn.BatchNorm2d(8), new at.nn.ReLU());
  let h = 0x811c9dc5;
  const mix = (t) => {
    for (const v of new Uint32Array(t.toFloat32Array().buffer)) h = Math.imul(h ^ v, 0x01000193) >>> 0;
  };
  for (const training of [true, false]) {
    pair.train(training);
    const x = at.randn([4, 8, 9, 11], { requiresGrad: true });
    const y = pair.forward(x);
    y.backward(at.randn([4, 8, 9, 11]));
    for (const t of [y, x.grad, ...pair.parameters().map((p) => p.grad), ...Object.values(pair.stateDict())]) mix(t);
  }
  return h.toString(16).padStart(8, '0');
}
console.log(`batch norm + relu bits (train, eval): ${hashPair()}`);
