// CI's check that the CUDA sources still compile (CI has nvcc but no GPU): configures build-cuda/
// with ATROUS_CUDA=ON, builds libatrous_cuda, the CUDA tests and the bench with nvcc warnings as
// errors (-j2), and runs the tests, which skip the device cases with the reason and run the
// argument checks. Without nvcc it says so and succeeds: the CPU addon never needs CUDA.
// Usage: node scripts/cuda-check.mjs [test filter]
import { spawnSync } from 'node:child_process';
import { findNvcc } from './find-nvcc.mjs';

function run(cmd, args) {
  console.log(`cuda-check: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const nvcc = findNvcc();
if (!nvcc) {
  console.log('cuda-check: skipped: no nvcc on PATH, in $CUDACXX or at /usr/local/cuda/bin/nvcc');
  process.exit(0);
}
run('cmake', ['-S', '.', '-B', 'build-cuda', '-DCMAKE_BUILD_TYPE=Release', '-DATROUS_CUDA=ON',
  '-DATROUS_NATIVE_TESTS=ON', `-DCMAKE_CUDA_COMPILER=${nvcc}`,
  '-DCMAKE_CUDA_FLAGS=--Werror=all-warnings -Xcompiler=-Werror']);
run('cmake', ['--build', 'build-cuda', '-j', '2', '--target', 'atrous_cuda', 'atrous_cuda_tests', 'atrous_cuda_bench']);
run('./build-cuda/atrous_cuda_tests', process.argv.slice(2));
