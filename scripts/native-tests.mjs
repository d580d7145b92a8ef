// Builds the native kernel tests and microbenchmarks with CMake (into build-native/) and runs the
// tests. Usage: node scripts/native-tests.mjs [filter]   (the filter picks tests by name)
import { spawnSync } from 'node:child_process';
import os from 'node:os';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run('cmake', ['-S', '.', '-B', 'build-native', '-DATROUS_NATIVE_TESTS=ON', '-DCMAKE_BUILD_TYPE=Release']);
run('cmake', ['--build', 'build-native', '-j', String(Math.max(1, os.cpus().length))]);
run('./build-native/atrous_native_tests', process.argv.slice(2));
