// The conv suite and linear through the public API, as users call them, against PyTorch called the
// same way, and against our native bench for the same shape and pass (to show what the JS layer costs).
//
// For each suite shape (native/bench/conv-suite.json) and pass, every round times, one after the other:
//   api    at.conv2d / at.conv1d (S5: padding 'causal') in this process, a bias not requiring grad;
//   native build-native/atrous_bench conv --shape ID --pass P (its own process, kernels only, output
//          buffers reused; for fwd+bwd its fwdbwd pass: forward, data and weight gradients back to
//          back, as a step runs them, so that each pass finds the caches as the API's does);
//   torch  F.conv2d / F.conv1d (S5: F.pad then conv1d) in a PyTorch worker (scripts/torch-op-worker.py).
// Passes: fwd (inputs not requiring grad) and fwdbwd (input and weight requiring grad, their .grad
// cleared, then y.sum().backward(): forward, sum, data and weight gradients; both sides alike).
// --clear-grads says how ours are cleared: 'null' (x.grad = null, as torch's x.grad = None: each call's
// gradients are new memory the collector frees later) or 'zero-grad' (an optimizer's zeroGrad(), the
// training loop's way: set to null too, the buffers kept for the next backward). PyTorch's side is
// x.grad = None either way (what its zero_grad(set_to_none=True) does).
// Each side's figure is the median of its per-round medians (median of --repeats after a warm-up of
// 30 calls or 1.5 s, whichever comes first, on both sides).
// GFLOP/s are nominal (2*N*Cout*OH*OW*Cin/groups*k*k per pass, fwdbwd counts three passes).
// Then at.linear(x, w) (x M x K, w N x K, no bias) against torch's x @ w.T, forward only.
//
// Usage: node scripts/bench-api-vs-torch.mjs [--rounds 3] [--repeats 5] [--threads 2] [--shapes S1,S7]
//        [--passes fwd,fwdbwd] [--clear-grads null|zero-grad] [--linear 512,1024,2048 | --linear none]
//        [--bench build-native/atrous_bench]
//        [--python /usr/bin/python3]
// The PyTorch worker runs with GLIBC_TUNABLES=TORCH_GLIBC_TUNABLES (scripts/bench-common.cjs: glibc's mmap
// and trim thresholds raised); the atrous addon raises the same two itself when it loads (unless
// ATROUS_MALLOC_TUNING=0), so a large output the pool cannot serve reuses already-mapped heap memory.
// Without --bench it first brings build-native/atrous_bench up to date (cmake), so the native figures
// are of the same sources as the addon in build/Release (which `npm run build` rebuilds).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { header, median, TORCH_GLIBC_TUNABLES } = require('./bench-common.cjs');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    repeats: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    shapes: { type: 'string', default: '' },
    passes: { type: 'string', default: 'fwd,fwdbwd' },
    'clear-grads': { type: 'string', default: 'null' },
    linear: { type: 'string', default: '512,1024,2048' },
    bench: { type: 'string', default: path.join(root, 'build-native', 'atrous_bench') }, // given: used as it is
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const positive = (name, s) => {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} expects a positive integer, but got '${s}'`);
  return v;
};
const rounds = positive('rounds', values.rounds);
const repeats = positive('repeats', values.repeats);
const threads = positive('threads', values.threads);
const passes = values.passes.split(',').filter(Boolean);
for (const p of passes) if (p !== 'fwd' && p !== 'fwdbwd') throw new RangeError(`--passes expects fwd and/or fwdbwd, but got '${p}'`);
const clearGrads = values['clear-grads'];
if (clearGrads !== 'null' && clearGrads !== 'zero-grad') throw new RangeError(`--clear-grads expects null or zero-grad, but got '${clearGrads}'`);
const linearSizes = values.linear === 'none' ? [] : values.linear.split(',').filter(Boolean).map((s) => positive('linear', s));
const suite = JSON.parse(fs.readFileSync(path.join(root, 'native', 'bench', 'conv-suite.json'), 'utf8')).shapes;
const wanted = values.shapes.split(',').filter(Boolean);
for (const id of wanted) if (!suite.some((s) => s.id === id)) throw new RangeError(`--shapes: no shape ${id} in the suite (${suite.map((s) => s.id).join(', ')})`);
const shapes = suite.filter((s) => wanted.length === 0 || wanted.includes(s.id));
const defaultBench = path.join(root, 'build-native', 'atrous_bench');
if (shapes.length && passes.length && values.bench === defaultBench) buildNativeBench();
if (shapes.length && passes.length && !fs.existsSync(values.bench)) {
  throw new Error(`no native bench at ${values.bench}: build it with \`npm run bench:native\` (or node scripts/native-tests.mjs), or pass --bench PATH`);
}

/** Brings build-native/atrous_bench up to date with the sources (CMake, quietly; its log only on failure). */
function buildNativeBench() {
  const dir = path.join(root, 'build-native');
  const steps = [];
  if (!fs.existsSync(path.join(dir, 'CMakeCache.txt'))) steps.push(['-S', root, '-B', dir, '-DATROUS_NATIVE_TESTS=ON', '-DCMAKE_BUILD_TYPE=Release']);
  steps.push(['--build', dir, '--target', 'atrous_bench', '-j', String(Math.max(1, os.cpus().length))]);
  for (const args of steps) {
    const r = spawnSync('cmake', args, { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cmake ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
  }
}

const at = require(path.join(root, 'dist', 'index.js'));
const { convFlops } = require(path.join(root, 'dist', 'cli', 'bench.js'));
at.setNumThreads(threads);

// --- PyTorch worker: one JSON request per line, one JSON answer per line ---
const worker = spawn(values.python, [path.join(root, 'scripts', 'torch-op-worker.py'), '--threads', String(threads)], {
  env: { ...process.env, GLIBC_TUNABLES: TORCH_GLIBC_TUNABLES },
  stdio: ['pipe', 'pipe', 'inherit'],
});
const answers = readline.createInterface({ input: worker.stdout })[Symbol.asyncIterator]();
worker.on('error', (e) => {
  console.error(`could not start the PyTorch worker (${values.python}): ${e.message}`);
  process.exit(1);
});
async function torch(request) {
  worker.stdin.write(JSON.stringify(request) + '\n');
  const { value, done } = await answers.next();
  if (done) throw new Error(`the PyTorch worker exited (code ${worker.exitCode}) on ${JSON.stringify(request)}`);
  const answer = JSON.parse(value);
  if (answer.error) throw new Error(`PyTorch worker: ${answer.error}`);
  return answer;
}

// --- ours ---
/**
 * Calls run until at least WARM_UP_CALLS calls or WARM_UP_SECONDS have passed (at least 2 calls): both
 * sides reach the steady state of a loop (PyTorch reuses a freed output at once; ours once V8 has
 * collected the first outputs the loop dropped, which takes tens of calls for small ones).
 */
const WARM_UP_CALLS = 30;
const WARM_UP_SECONDS = 1.5;
function warmUp(run) {
  const start = process.hrtime.bigint();
  for (let calls = 0; calls < WARM_UP_CALLS; calls++) {
    run();
    if (calls >= 1 && Number(process.hrtime.bigint() - start) / 1e9 >= WARM_UP_SECONDS) break;
  }
}

function medianSeconds(run) {
  warmUp(run);
  const t = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    run();
    t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(t);
}

function apiConvRunner(s, pass) {
  const grad = pass === 'fwdbwd';
  const oneD = s.dims === 1;
  const x = at.randn(oneD ? [s.N, s.Cin, s.W] : [s.N, s.Cin, s.H, s.W], { requiresGrad: grad });
  const w = at.randn(oneD ? [s.Cout, s.Cin / s.groups, s.k] : [s.Cout, s.Cin / s.groups, s.k, s.k], { requiresGrad: grad });
  const b = at.randn([s.Cout]);
  const opts = { stride: s.stride, padding: s.causal ? 'causal' : s.pad, dilation: s.dil, groups: s.groups };
  const forward = () => (oneD ? at.conv1d(x, w, b, opts) : at.conv2d(x, w, b, opts));
  if (!grad) return forward;
  const optimizer = clearGrads === 'zero-grad' ? new at.optim.SGD([x, w], { lr: 0.1 }) : null; // never stepped
  return () => {
    if (optimizer) {
      optimizer.zeroGrad();
    } else {
      x.grad = null;
      w.grad = null;
    }
    forward().sum().backward();
  };
}

function nativeSeconds(s, pass) {
  const r = spawnSync(values.bench, ['conv', '--shape', s.id, '--pass', pass, '--repeats', String(repeats)], {
    cwd: root, encoding: 'utf8', env: { ...process.env, ATROUS_NUM_THREADS: String(threads) },
  });
  if (r.status !== 0) throw new Error(`${values.bench} conv --shape ${s.id} --pass ${pass} failed: ${r.error?.message ?? r.stderr}`);
  const m = /seconds=(\S+)/.exec(r.stdout);
  if (!m) throw new Error(`no seconds= in the native bench's output: ${r.stdout}`);
  return Number(m[1]);
}

// --- the run ---
const version = await torch({ op: 'version' });
for (const line of header({ root, threads, at, extra: [`torch ${version.torch} (mkldnn=${version.mkldnn}, threads=${version.threads}, BLAS ${version.blas})`, `fwdbwd clears atrous's gradients with ${clearGrads === 'null' ? 'x.grad = null' : 'an optimizer\'s zeroGrad()'}, PyTorch's with x.grad = None`] })) console.log(line);
console.log(`# medians over ${rounds} interleaved rounds (api, native, torch) of median-of-${repeats} after a warm-up; nominal GFLOP/s`);
console.log('# vs torch = torch time / api time (> 1: atrous faster); api/native = API time / native bench time (the JS layer\'s cost: allocation, autograd, sum, GC)');

const f1 = (v) => v.toFixed(1);
if (shapes.length && passes.length) {
  console.log(`${'id'.padEnd(4)} ${'pass'.padEnd(7)} ${'api'.padStart(7)} ${'native'.padStart(7)} ${'torch'.padStart(7)} ${'vs torch'.padStart(8)}  ` +
    `${'api ms'.padStart(8)} ${'native ms'.padStart(9)} ${'torch ms'.padStart(8)} ${'api/native'.padStart(10)}`);
  for (const s of shapes) {
    for (const pass of passes) {
      const flops = convFlops(s) * (pass === 'fwd' ? 1 : 3);
      const run = apiConvRunner(s, pass);
      const api = [];
      const nat = [];
      const tor = [];
      for (let r = 0; r < rounds; r++) {
        api.push(medianSeconds(run));
        nat.push(nativeSeconds(s, pass));
        tor.push((await torch({ op: 'conv', shape: s, pass, repeats })).seconds);
      }
      const [a, n, t] = [median(api), median(nat), median(tor)];
      console.log(`${s.id.padEnd(4)} ${pass.padEnd(7)} ${f1(flops / a * 1e-9).padStart(7)} ${f1(flops / n * 1e-9).padStart(7)} ${f1(flops / t * 1e-9).padStart(7)} ` +
        `${(t / a).toFixed(2).padStart(8)}  ${(a * 1e3).toFixed(2).padStart(8)} ${(n * 1e3).toFixed(2).padStart(9)} ${(t * 1e3).toFixed(2).padStart(8)} ${(a / n).toFixed(2).padStart(10)}`);
    }
  }
}

if (linearSizes.length) {
  console.log(`\n# at.linear(x, w), x M x K, w N x K (M = N = K), no bias, forward, vs torch x @ w.T; GFLOP/s = 2MNK / time`);
  console.log(`${'size'.padEnd(6)} ${'api'.padStart(7)} ${'torch'.padStart(7)} ${'vs torch'.padStart(8)}  ${'api ms'.padStart(8)} ${'torch ms'.padStart(8)}`);
  for (const size of linearSizes) {
    const x = at.randn([size, size]);
    const w = at.randn([size, size]);
    const api = [];
    const tor = [];
    for (let r = 0; r < rounds; r++) {
      api.push(medianSeconds(() => at.linear(x, w)));
      tor.push((await torch({ op: 'linear', m: size, n: size, k: size, repeats })).seconds);
    }
    const [a, t] = [median(api), median(tor)];
    const flops = 2 * size ** 3;
    console.log(`${String(size).padEnd(6)} ${f1(flops / a * 1e-9).padStart(7)} ${f1(flops / t * 1e-9).padStart(7)} ${(t / a).toFixed(2).padStart(8)}  ` +
      `${(a * 1e3).toFixed(2).padStart(8)} ${(t * 1e3).toFixed(2).padStart(8)}`);
  }
}
worker.stdin.end();
