// The addon itself under the sanitizers, as Node runs it (issue 18, item 5). The native tests under
// ASan (npm run test:sanitize) call the kernels from C++; this runs them from JS, through the N-API
// glue, the caching allocator, worker threads and the readers, as users do.
//   asan      the addon built with AddressSanitizer + UndefinedBehaviorSanitizer into
//             build-addon-sanitize/ (CMake; build/Release is left alone), then a representative part
//             of the vitest suite run against it (ATROUS_ADDON_PATH) with the sanitizer runtimes
//             LD_PRELOADed into node (node itself is not instrumented; its allocations are tracked),
//             once per instruction set the machine runs (ATROUS_CPU=avx512, avx2, scalar on x86).
//             Leaks are checked at every process's exit.
//   valgrind  memcheck over a short training run (scripts/sanitizers/short-train.cjs: the CLI's
//             Fashion-MNIST model, 3 Adam steps on the embedded subset, save and reload) with the
//             release addon (build/Release, dist/: what users run): invalid reads and writes, jumps
//             on uninitialised values, definite leaks. (ATROUS_ADDON_PATH, if set, passes through:
//             memcheck then runs that build instead.)
// Every report (ASan, LSan, UBSan, memcheck) of every process, child processes included, is written
// to a file under build-addon-sanitize/reports/; any file there fails the run, and is printed.
// LeakSanitizer needs no suppressions (the tests run in worker threads, which Node tears down fully,
// and Node's own allocations at exit stay reachable); memcheck's (scripts/sanitizers/valgrind-node.supp)
// cover V8's own code only, each with its reason.
// Usage: node scripts/addon-sanitize.mjs [--asan | --valgrind] [test files...]  (default: both; the
// test files replace the default set below)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'build-addon-sanitize');
const reports = path.join(buildDir, 'reports');
const suppressions = path.join(root, 'scripts', 'sanitizers');

// The files that drive the native code widest: every op and its gradient against references, the
// conv paths, the fuzzers (bounded: their default run counts), the readers, the nn layers and
// optimizers, training, the CLI, checkpoints, async forward and worker threads.
const DEFAULT_TESTS = [
  'test/ops-values.test.ts', 'test/wave2-ops.test.ts', 'test/fixtures-ops.test.ts', 'test/fixtures-wave2.test.ts',
  'test/conv.test.ts', 'test/fixtures-conv.test.ts', 'test/fuzz-conv.test.ts', 'test/fuzz-readers.test.ts',
  'test/gradcheck.test.ts', 'test/arg-checks.test.ts', 'test/tensor.test.ts', 'test/tensor-int32.test.ts',
  'test/memory.test.ts', 'test/resize-pool1d.test.ts', 'test/batchnorm-relu.test.ts', 'test/random.test.ts',
  'test/nn-layers.test.ts', 'test/nn-module.test.ts', 'test/nn-train.test.ts', 'test/nn-stream.test.ts',
  'test/nn-forward-async.test.ts', 'test/fixtures-cnn.test.ts', 'test/fixtures-sequence-models.test.ts',
  'test/optim-optimizers.test.ts', 'test/io-safetensors.test.ts', 'test/io-checkpoint.test.ts',
  'test/data-idx.test.ts', 'test/data-loader.test.ts', 'test/audio-wav.test.ts', 'test/worker-threads.test.ts',
  'test/addon-path.test.ts',
];

function run(cmd, args, opts = {}) {
  console.log(`addon-sanitize: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  return r.status ?? 1;
}

function mustRun(cmd, args, opts) {
  const status = run(cmd, args, opts);
  if (status !== 0) process.exit(status);
}

/** A sanitizer runtime that g++ links against (libasan.so, libubsan.so), as a real file path. */
function gccRuntime(name) {
  const r = spawnSync('g++', [`-print-file-name=${name}`], { encoding: 'utf8' });
  const file = r.stdout?.trim();
  if (r.status !== 0 || !file || !path.isAbsolute(file) || !fs.existsSync(file)) {
    throw new Error(`addon-sanitize: g++ does not know ${name} (install GCC's sanitizer runtimes: libasan, libubsan)`);
  }
  return fs.realpathSync(file);
}

/** Node's headers (node_api.h): beside the binary (official builds, Debian's nodejs), else node-gyp's cache. */
function nodeIncludeDir() {
  const candidates = [
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
  if (!found) throw new Error(`addon-sanitize: no node_api.h in ${candidates.join(' or ')}; \`npx node-gyp install\` fetches the headers`);
  return found;
}

/** Fails (exit 1) printing every report file written; otherwise says how many processes wrote none. */
function checkReports(what) {
  const files = fs.existsSync(reports) ? fs.readdirSync(reports).sort() : [];
  if (files.length === 0) {
    console.log(`addon-sanitize: ${what}: no reports`);
    return true;
  }
  for (const f of files) {
    console.error(`\n===== ${path.join(path.relative(root, reports), f)} =====`);
    console.error(fs.readFileSync(path.join(reports, f), 'utf8'));
  }
  console.error(`addon-sanitize: ${what}: ${files.length} report file(s) above`);
  return false;
}

function freshReports() {
  fs.rmSync(reports, { recursive: true, force: true });
  fs.mkdirSync(reports, { recursive: true });
}

function asan(tests) {
  const cores = String(Math.max(1, os.cpus().length));
  mustRun('cmake', ['-S', '.', '-B', buildDir, `-DATROUS_NODE_INCLUDE_DIR=${nodeIncludeDir()}`,
    '-DCMAKE_BUILD_TYPE=RelWithDebInfo',
    '-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer']);
  mustRun('cmake', ['--build', buildDir, '--target', 'atrous_addon', '-j', cores]);
  const addon = path.join(buildDir, 'atrous.node');

  freshReports();
  const env = {
    ...process.env,
    ATROUS_ADDON_PATH: addon,
    // Buffers of exactly the size asked for (lib/core/memory.ts): a kernel writing one element past a
    // tensor lands in ASan's redzone instead of the pool's size-class slack.
    ATROUS_POOL_EXACT: '1',
    // 20 workers loading and unloading the addon (80 by default, ~1 s each under ASan); the leak check
    // at exit covers each one's teardown.
    WORKER_CYCLES: process.env.WORKER_CYCLES ?? '20',
    // Node is not built with ASan: the runtimes must come first in the process (the addon links them).
    LD_PRELOAD: [gccRuntime('libasan.so'), gccRuntime('libubsan.so'), process.env.LD_PRELOAD].filter(Boolean).join(' '),
    ASAN_OPTIONS: [
      'halt_on_error=1', 'detect_leaks=1',
      // A failed allocation returns null as it does without ASan (node then throws a RangeError),
      // instead of ending the process: the fuzzers feed sizes no allocator can serve.
      'allocator_may_return_null=1', `log_path=${path.join(reports, 'asan')}`, `strip_path_prefix=${root}/`,
      // V8 handles SIGSEGV itself (WebAssembly bounds traps): ASan passes on what it does not own.
      'allow_user_segv_handler=1',
    ].join(':'),
    UBSAN_OPTIONS: `halt_on_error=1:print_stacktrace=1:log_path=${path.join(reports, 'ubsan')}:strip_path_prefix=${root}/`,
  };

  // The sanitized addon is the one loaded (not build/Release), through the compiled package too;
  // it prints the instruction set the kernels chose (the widest this machine has, or ATROUS_CPU's).
  console.log('addon-sanitize: checking that dist/ loads the sanitized addon');
  const check = spawnSync(process.execPath, ['-e', `
    const at = require('./dist'); at.conv1d(at.ones([1, 1, 5]), at.ones([1, 1, 3]));
    const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
    if (!maps.includes(${JSON.stringify(addon)})) { console.error('the sanitized addon was not loaded'); process.exit(1); }
    if (!maps.includes('libasan')) { console.error('libasan is not in the process'); process.exit(1); }
    process.stdout.write(at.backend().cpu);`], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (check.status !== 0) process.exit(check.status ?? 1);
  const widest = check.stdout.trim();
  // The kernels of every instruction set the machine runs: each has its own code (GEMM microkernels,
  // depthwise rows, direct conv tiles), and only the chosen one runs in a process.
  const ladder = { avx512: ['avx512', 'avx2', 'scalar'], avx2: ['avx2', 'scalar'], neon: ['neon', 'scalar'], scalar: ['scalar'] };
  const isas = process.env.ATROUS_CPU ? [process.env.ATROUS_CPU] : (ladder[widest] ?? [widest]);
  console.log(`addon-sanitize: dist/ loads ${path.relative(root, addon)} under ASan; the tests run with ATROUS_CPU=${isas.join(', then ')}`);

  // One process per instruction set (threads pool): the leak check at its exit covers every test file.
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  for (const isa of isas) {
    const status = run(process.execPath, [vitest, 'run', '--pool=threads', '--maxWorkers=1', ...tests], { env: { ...env, ATROUS_CPU: isa } });
    const clean = checkReports(`asan, ATROUS_CPU=${isa}`);
    if (status !== 0 || !clean) process.exit(status || 1);
  }
}

function valgrind() {
  if (spawnSync('valgrind', ['--version']).error) throw new Error('addon-sanitize: valgrind is not installed (Debian: apt-get install valgrind)');
  for (const f of ['dist/index.js', 'build/Release/atrous.node']) {
    if (!fs.existsSync(path.join(root, f))) throw new Error(`addon-sanitize: ${f} is missing: run \`npm run build\``);
  }
  freshReports();
  const status = run('valgrind', [
    '--tool=memcheck', '--error-exitcode=99', '--leak-check=full', '--show-leak-kinds=definite,possible',
    '--errors-for-leak-kinds=definite', '--num-callers=40', `--suppressions=${path.join(suppressions, 'valgrind-node.supp')}`,
    `--log-file=${path.join(reports, 'valgrind.%p')}`,
    process.execPath, 'scripts/sanitizers/short-train.cjs', '--steps', '3', '--batch', '16',
  ], { env: { ...process.env, ATROUS_POOL_EXACT: '1' } }); // no size-class slack (see asan above)
  // memcheck writes its log whatever it finds: only one with errors counts.
  const logs = fs.readdirSync(reports).map((f) => path.join(reports, f));
  const dirty = logs.filter((f) => !/ERROR SUMMARY: 0 errors/.test(fs.readFileSync(f, 'utf8')));
  for (const f of logs) console.log(`addon-sanitize: ${path.relative(root, f)}: ${fs.readFileSync(f, 'utf8').match(/ERROR SUMMARY: .*/)?.[0] ?? 'no summary'}`);
  for (const f of dirty) console.error(`\n===== ${path.relative(root, f)} =====\n${fs.readFileSync(f, 'utf8')}`);
  if (status !== 0 || dirty.length > 0) process.exit(status || 1);
}

const args = process.argv.slice(2);
const only = args.find((a) => a === '--asan' || a === '--valgrind');
const tests = args.filter((a) => !a.startsWith('--'));
if (only !== '--valgrind') asan(tests.length > 0 ? tests : DEFAULT_TESTS);
if (only !== '--asan') valgrind();
