// Cross-compiles the native kernel tests for arm64 (cmake/aarch64-linux-gnu.cmake: Debian's
// g++-aarch64-linux-gnu) and runs them under qemu-aarch64 (package qemu-user): every kernel, the
// NEON ones included, against the same float64 references as on x86. Emulated speed means nothing.
// Usage: node scripts/native-tests-arm64.mjs [filter]
import { spawnSync } from 'node:child_process';
import { buildNative, run } from './native-build.mjs';

const sysroot = '/usr/aarch64-linux-gnu';
for (const [tool, pkg] of [['aarch64-linux-gnu-g++', 'g++-aarch64-linux-gnu'], ['qemu-aarch64', 'qemu-user']]) {
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) {
    console.error(`native-tests-arm64: ${tool} not found; install it with apt-get install ${pkg}`);
    process.exit(1);
  }
}
const dir = buildNative({ toolchain: 'cmake/aarch64-linux-gnu.cmake', dir: 'build-arm64' });
run('qemu-aarch64', ['-L', sysroot, `./${dir}/atrous_native_tests`, ...process.argv.slice(2)]);
