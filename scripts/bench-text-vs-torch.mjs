// Text models, atrous vs PyTorch on the same encoded data, interleaved in rounds (issue 15):
//  - the fortunes topic classifier (TextCnn: 10 topics, words): training tokens/s and test accuracy
//    after the same training-time budget; a bag-of-words logistic regression (PyTorch) as the baseline;
//  - the character language model (CharLm on the fortunes prose): training tokens/s and held-out
//    bits per character after the same budget.
// Both sides time only their training steps (forward, backward, Adam), batch 32, lr 2e-3, 2 threads;
// PyTorch runs with TORCH_GLIBC_TUNABLES (its best here). Usage:
//   node scripts/bench-text-vs-torch.mjs [--rounds 2] [--budget 60] [--lm-budget 120]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = require(path.join(root, 'dist', 'index.js'));
const { textClassificationData, charLmData, LM_LENGTH } = require(path.join(root, 'dist', 'cli', 'tasks', 'text.js'));
const { TextCnn } = require(path.join(root, 'dist', 'models', 'text-cnn.js'));
const { CharLm } = require(path.join(root, 'dist', 'models', 'char-lm.js'));
const { TextLoader, languageModelEpoch } = require(path.join(root, 'dist', 'data', 'text-batches.js'));
const { median, header, TORCH_GLIBC_TUNABLES } = require('./bench-common.cjs');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const rounds = option('rounds', 2);
const budget = option('budget', 60);
const lmBudget = option('lm-budget', 120);
const BATCH = 32;
const LR = 2e-3;
at.setNumThreads(2);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-text-bench-'));
function torch(job) {
  const file = path.join(tmp, `${job.kind}.json`);
  fs.writeFileSync(file, JSON.stringify(job));
  const r = spawnSync('/usr/bin/python3', [path.join(root, 'scripts', 'text-torch-worker.py'), file], {
    encoding: 'utf8', env: { ...process.env, GLIBC_TUNABLES: TORCH_GLIBC_TUNABLES }, maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`text-torch-worker.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const ids = (values, shape) => at.tensor(values, shape, { dtype: 'int32' });

function atrousClassify(data, seed) {
  at.manualSeed(seed);
  const model = new TextCnn({ vocabSize: data.vocab.size, classes: data.labels.names.length });
  const opt = new at.optim.Adam(model.parameters(), { lr: LR });
  const loader = new TextLoader(data.train.ids, data.train.labels, { batchSize: BATCH, maxLength: 200, shuffle: true, seed });
  let trainSeconds = 0;
  let tokens = 0;
  let steps = 0;
  for (let epoch = 0; trainSeconds < budget; epoch++) {
    model.train();
    for (const b of loader.epoch(epoch)) {
      if (b.batch < BATCH) continue; // PyTorch's side drops the ragged last batch too
      const t0 = process.hrtime.bigint();
      opt.zeroGrad();
      const logits = model.forward(ids(b.tokens, [b.batch, b.length]));
      const loss = at.crossEntropy(logits, b.labels);
      loss.backward();
      opt.step();
      logits.dispose(); // the README's loop: its buffer serves the next step
      trainSeconds += seconds(t0);
      tokens += b.batch * b.length;
      steps++;
      if (trainSeconds >= budget) break;
    }
  }
  model.eval();
  const test = new TextLoader(data.test.ids, data.test.labels, { batchSize: 4096, maxLength: 200 });
  let correct = 0;
  at.noGrad(() => {
    for (const b of test.epoch(0)) {
      const predicted = model.forward(ids(b.tokens, [b.batch, b.length])).argmax(1).toInt32Array();
      for (let i = 0; i < b.batch; i++) if (predicted[i] === b.labels[i]) correct++;
    }
  });
  return { accuracy: correct / data.test.ids.length, steps, trainSeconds, tokensPerSecond: tokens / trainSeconds };
}

function atrousCharLm(data, seed) {
  at.manualSeed(seed);
  const model = new CharLm({ vocabSize: data.vocab.size });
  const opt = new at.optim.Adam(model.parameters(), { lr: LR });
  let trainSeconds = 0;
  let tokens = 0;
  let steps = 0;
  for (let epoch = 0; trainSeconds < lmBudget; epoch++) {
    for (const b of languageModelEpoch(data.trainIds, { batchSize: BATCH, length: LM_LENGTH, seed, epoch })) {
      const t0 = process.hrtime.bigint();
      opt.zeroGrad();
      const logits = model.forward(ids(b.inputs, [b.batch, b.length]));
      const loss = at.crossEntropy(logits, ids(b.targets, [b.batch, b.length]));
      loss.backward();
      opt.step();
      logits.dispose();
      trainSeconds += seconds(t0);
      tokens += b.batch * b.length;
      steps++;
      if (trainSeconds >= lmBudget) break;
    }
  }
  model.eval();
  const windows = Math.floor((data.testIds.length - 1) / LM_LENGTH);
  let loss = 0;
  at.noGrad(() => {
    for (const b of languageModelEpoch(data.testIds, { batchSize: windows, length: LM_LENGTH, epoch: 0 })) {
      loss = at.crossEntropy(model.forward(ids(b.inputs, [b.batch, b.length])), ids(b.targets, [b.batch, b.length])).item();
    }
  });
  return { bitsPerChar: loss / Math.LN2, steps, trainSeconds, tokensPerSecond: tokens / trainSeconds };
}

console.log(header({ root, threads: 2, at, extra: [`${rounds} rounds, classifier budget ${budget} s, char-lm budget ${lmBudget} s of training steps per side`] }).join('\n'));
const cls = textClassificationData('fortunes', undefined);
const lm = charLmData(undefined);
const classifyJob = (kind, seed) => ({
  kind, seed, budget, batchSize: BATCH, lr: LR, vocabSize: cls.vocab.size, classes: cls.labels.names.length,
  trainIds: cls.train.ids.map((a) => [...a]), trainLabels: [...cls.train.labels], testIds: cls.test.ids.map((a) => [...a]), testLabels: [...cls.test.labels],
});
const lmJob = (seed) => ({ kind: 'char-lm', seed, budget: lmBudget, batchSize: BATCH, lr: LR, length: LM_LENGTH, vocabSize: lm.vocab.size, trainIds: [...lm.trainIds], testIds: [...lm.testIds] });
console.log(`# fortunes: ${cls.train.ids.length} training / ${cls.test.ids.length} test texts, ${cls.labels.names.length} topics, ${cls.vocab.size} word ids; char-lm: ${lm.trainIds.length} / ${lm.testIds.length} characters, ${lm.vocab.size} ids`);

const rows = { classify: [], lm: [] };
for (let r = 0; r < rounds; r++) {
  const seed = r + 1;
  const a = atrousClassify(cls, seed);
  const t = torch(classifyJob('classify', seed));
  rows.classify.push({ a, t });
  console.log(`round ${r + 1} classifier: atrous ${a.tokensPerSecond.toFixed(0)} tokens/s, accuracy ${(100 * a.accuracy).toFixed(1)}% (${a.steps} steps) | PyTorch ${t.tokensPerSecond.toFixed(0)} tokens/s, accuracy ${(100 * t.accuracy).toFixed(1)}% (${t.steps} steps)`);
  const al = atrousCharLm(lm, seed);
  const tl = torch(lmJob(seed));
  rows.lm.push({ a: al, t: tl });
  console.log(`round ${r + 1} char-lm: atrous ${al.tokensPerSecond.toFixed(0)} tokens/s, ${al.bitsPerChar.toFixed(3)} bits/char (${al.steps} steps) | PyTorch ${tl.tokensPerSecond.toFixed(0)} tokens/s, ${tl.bitsPerChar.toFixed(3)} bits/char (${tl.steps} steps)`);
}
const bow = torch(classifyJob('bow', 1));
const m = (list, f) => median(list.map(f));
console.log('\n| model | atrous tokens/s | PyTorch tokens/s | ratio | atrous quality | PyTorch quality |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
console.log(`| TextCnn, fortunes topics | ${m(rows.classify, (x) => x.a.tokensPerSecond).toFixed(0)} | ${m(rows.classify, (x) => x.t.tokensPerSecond).toFixed(0)} | ${m(rows.classify, (x) => x.a.tokensPerSecond / x.t.tokensPerSecond).toFixed(2)}x | ${(100 * m(rows.classify, (x) => x.a.accuracy)).toFixed(1)}% | ${(100 * m(rows.classify, (x) => x.t.accuracy)).toFixed(1)}% |`);
console.log(`| bag-of-words logistic regression (PyTorch) | | | | | ${(100 * bow.accuracy).toFixed(1)}% |`);
console.log(`| CharLm, fortunes prose | ${m(rows.lm, (x) => x.a.tokensPerSecond).toFixed(0)} | ${m(rows.lm, (x) => x.t.tokensPerSecond).toFixed(0)} | ${m(rows.lm, (x) => x.a.tokensPerSecond / x.t.tokensPerSecond).toFixed(2)}x | ${m(rows.lm, (x) => x.a.bitsPerChar).toFixed(3)} bits/char | ${m(rows.lm, (x) => x.t.bitsPerChar).toFixed(3)} bits/char |`);
fs.rmSync(tmp, { recursive: true, force: true });
