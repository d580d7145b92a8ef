// A short training run through the compiled package, for memcheck (scripts/addon-sanitize.mjs
// --valgrind): the CLI's Fashion-MNIST model (conv2d with dilation, batchnorm, relu, max-pool,
// dropout, linear, cross-entropy, Adam) on the embedded subset for a few batches, then the weights
// saved (safetensors), loaded back into a fresh model, and one evaluation forward. It ends by
// returning from the event loop, not process.exit(), so that Node tears the isolate down and the
// leak check sees only what was really lost.
// Usage: node scripts/sanitizers/short-train.cjs [--steps N] [--batch B]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const root = path.resolve(__dirname, '..', '..');
const at = require(root);
const { DilatedCnn } = require(path.join(root, 'dist/models/dilated-cnn'));
const { EMBEDDED_DIR, loadSplit, FASHION_MNIST_MEAN, FASHION_MNIST_STD } = require(path.join(root, 'dist/data/fashion-mnist'));
const { ImageLoader } = require(path.join(root, 'dist/data/loader'));

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const steps = option('steps', 3);
const batchSize = option('batch', 16);

at.setNumThreads(2); // the kernel pool's threads run too
console.log(`short-train: cpu ${at.backend().cpu}`);
at.manualSeed(1);
const loader = new ImageLoader(loadSplit(EMBEDDED_DIR, 'train'), { batchSize, shuffle: true, seed: 1, mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });
const model = new DilatedCnn();
const optimizer = new at.optim.Adam(model.parameters(), { lr: 1e-3 });
let step = 0;
for (const batch of loader.epoch(0)) {
  if (step++ === steps) break;
  optimizer.zeroGrad();
  const loss = at.crossEntropy(model.forward(batch.x), batch.targets);
  loss.backward();
  optimizer.step();
  console.log(`short-train: step ${step}, loss ${loss.item().toFixed(4)}`);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-short-train-'));
try {
  const file = path.join(dir, 'weights.safetensors');
  at.save(model.stateDict(), file);
  const restored = new DilatedCnn();
  restored.loadStateDict(at.load(file));
  restored.eval();
  const [first] = loader.epoch(1);
  const logits = restored.forward(first.x);
  console.log(`short-train: reloaded model's logits ${logits.shape.join('x')}, first ${logits.toFloat32Array()[0].toFixed(4)}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
