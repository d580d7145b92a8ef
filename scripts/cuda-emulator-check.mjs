// Runs the CUDA backend with no GPU and no nvcc: the same .cu sources compiled by g++ against the CPU
// emulator (native/test/cuda/emulator), so every CUDA test case executes, not just the argument
// checks. Then the JS side through the emulated library (ATROUS_CUDA_LIBRARY): the device tests in
// test/cuda-device.test.ts and scripts/cuda-train-check.cjs (the Fashion-MNIST model on 'cuda' vs
// 'cpu'). The emulator checks the kernels' logic (indexing, barriers, warp votes, launch
// arithmetic) and the device plumbing; never their speed, and not what only hardware can show
// (memory-model races between blocks, register limits).
// Usage: node scripts/cuda-emulator-check.mjs [--sanitize] [filters]
//   --sanitize  the native emulated tests under AddressSanitizer + UBSan (build-cuda-emu-sanitize/):
//               a kernel reading or writing past a device buffer is reported where it happens.
//               Without filters it leaves out the four cases that take 2-18 minutes each there
//               (65544 one-block GEMMs, the large TF32 GEMMs, the conv suite, the TF32 conv switch);
//               every kernel they run is run by the other cases too.
//   filters     test names containing any of them, none of those written -name.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

function run(cmd, args, env = process.env) {
  console.log(`cuda-emulator-check: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const args = process.argv.slice(2);
const sanitize = args.includes('--sanitize');
const given = args.filter((a) => a !== '--sanitize');
const slowUnderSanitizers = ['-cudaSgemmBatchedMatchesFloat64', '-cudaSgemmTf32Large', '-cudaConvSuiteShapes', '-cudaConvFollowsTheTf32Switch'];
const filter = sanitize && given.length === 0 ? slowUnderSanitizers : given;
const dir = sanitize ? 'build-cuda-emu-sanitize' : 'build-cuda-emu';
const flags = sanitize
  ? ['-DCMAKE_BUILD_TYPE=RelWithDebInfo',
    '-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer']
  : ['-DCMAKE_BUILD_TYPE=Release'];
run('cmake', ['-S', '.', '-B', dir, '-DATROUS_CUDA_EMULATOR=ON', ...flags]);
run('cmake', ['--build', dir, '-j', String(Math.max(1, os.cpus().length)), '--target', 'atrous_cuda_emulator_selftest',
  'atrous_cuda_emulated_tests']);
run(`./${dir}/atrous_cuda_emulator_selftest`, []); // the emulator catches what it claims to
run(`./${dir}/atrous_cuda_emulated_tests`, filter);
if (sanitize || given.length > 0) process.exit(0);

// The JS device path through the emulated library (needs the built package: npm install did it).
const env = { ...process.env, ATROUS_CUDA_LIBRARY: path.resolve(dir, 'libatrous_cuda.so') };
run('npx', ['vitest', 'run', 'test/cuda-device.test.ts'], env);
run('node', ['scripts/cuda-train-check.cjs', '--steps', '3', '--batch', '16', '--timed', '1'], env);
