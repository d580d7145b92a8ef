// Streaming (at.nn.stream, the Fast-WaveNet algorithm) vs recomputing the receptive field, per generated
// step, through the public API: stacks of 4-12 causal dilated Conv1d + ReLU (dilations 1, 2, 4, ...),
// kernel 2 and 3, 1 and 2 threads. "recompute" runs model.forward on the last receptive-field steps
// and keeps the final output, which is what a generator without caches must do for every new step.
// The two are interleaved in rounds; medians per step.
// Usage: node scripts/bench-stream.cjs [--channels 32] [--rounds 5] [--steps 200] [--layers 4,8,12]
'use strict';
const path = require('node:path');
const { median, header } = require('./bench-common.cjs');

const root = path.resolve(__dirname, '..');
const at = require(path.join(root, 'dist', 'index.js'));

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const channels = Number(option('channels', '32'));
const rounds = Number(option('rounds', '5'));
const steps = Number(option('steps', '200'));
const layerCounts = option('layers', '4,8,12').split(',').map(Number);

function causalStack(layers, kernel) {
  const mods = [];
  for (let i = 0; i < layers; i++) {
    mods.push(new at.nn.Conv1d(i === 0 ? 1 : channels, channels, kernel, { padding: 'causal', dilation: 2 ** i }), new at.nn.ReLU());
  }
  mods.push(new at.nn.Conv1d(channels, 1, 1));
  const model = new at.nn.Sequential(...mods);
  model.eval();
  return model;
}

/** Milliseconds per step over `steps` single-step pushes. */
function timeStream(model) {
  const s = at.nn.stream(model);
  const x = at.randn([1, 1, 1]);
  for (let i = 0; i < 20; i++) s.push(x);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) s.push(x);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / steps;
  s.close();
  return ms;
}

/** Milliseconds per step when each step reruns the model over its receptive field. */
function timeRecompute(model, field) {
  const x = at.randn([1, 1, field]);
  const n = Math.max(5, Math.min(steps, Math.round(2000 / field)));
  for (let i = 0; i < 3; i++) at.noGrad(() => model.forward(x));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) at.noGrad(() => model.forward(x));
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
}

console.log(header({ root, threads: 'as listed', at, extra: [`channels ${channels}, ${rounds} rounds, ${steps} steps per stream timing`] }).join('\n'));
console.log('| layers | kernel | receptive field | threads | stream ms/step | recompute ms/step | stream steps/s | speedup |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const threads of [1, 2]) {
  at.setNumThreads(threads);
  for (const kernel of [2, 3]) {
    for (const layers of layerCounts) {
      at.manualSeed(1);
      const model = causalStack(layers, kernel);
      const field = 1 + (kernel - 1) * (2 ** layers - 1);
      const streamMs = [];
      const recomputeMs = [];
      for (let r = 0; r < rounds; r++) {
        streamMs.push(timeStream(model));
        recomputeMs.push(timeRecompute(model, field));
      }
      const s = median(streamMs);
      const c = median(recomputeMs);
      console.log(`| ${layers} | ${kernel} | ${field} | ${threads} | ${s.toFixed(3)} | ${c.toFixed(3)} | ${Math.round(1000 / s)} | ${(c / s).toFixed(1)}x |`);
    }
  }
}
