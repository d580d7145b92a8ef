// Configures and builds the native kernel tests and microbenchmarks with CMake into build-native/.
// Shared by scripts/native-tests.mjs and scripts/bench-native.mjs; exits the process on failure.
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}

export function buildNative() {
  run('cmake', ['-S', '.', '-B', 'build-native', '-DATROUS_NATIVE_TESTS=ON', '-DCMAKE_BUILD_TYPE=Release']);
  run('cmake', ['--build', 'build-native', '-j', String(Math.max(1, os.cpus().length))]);
}
