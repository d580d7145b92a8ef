// Configures and builds the native kernel tests and microbenchmarks with CMake. Shared by
// scripts/native-tests.mjs and scripts/bench-native.mjs; exits the process on failure.
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/**
 * Builds into build-native/ (Release), or with sanitize into build-sanitize/ (AddressSanitizer and
 * UndefinedBehaviorSanitizer, for the tests only: they catch an out-of-bounds access the float64
 * comparisons could miss). With toolchain (a CMake toolchain file), a cross build of the tests into
 * dir. Returns the build folder.
 */
export function buildNative({ sanitize = false, toolchain = undefined, dir: into = undefined } = {}) {
  const dir = into ?? (sanitize ? 'build-sanitize' : 'build-native');
  const flags = sanitize
    ? ['-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer']
    : ['-DCMAKE_BUILD_TYPE=Release'];
  if (toolchain) flags.push(`-DCMAKE_TOOLCHAIN_FILE=${toolchain}`);
  run('cmake', ['-S', '.', '-B', dir, '-DATROUS_NATIVE_TESTS=ON', ...flags]);
  const targets = sanitize || toolchain ? ['--target', 'atrous_native_tests'] : [];
  run('cmake', ['--build', dir, ...targets, '-j', String(Math.max(1, os.cpus().length))]);
  return dir;
}
