// The package's smoke test (scripts/smoke/smoke.cjs: dilated conv1d/conv2d forward and backward against
// float64 loops) on an arm64 Node under qemu-aarch64, loading prebuilds/linux-arm64 (made first with
// `npm run prebuilds -- --arch=arm64`) from a staged install of the package: dist/ (npm run build:ts),
// the prebuild and this checkout's node_modules. It runs with the default ISA (neon) and ATROUS_CPU=scalar,
// and checks that ATROUS_CPU=avx512 throws naming what the machine has.
//
// Usage: node scripts/smoke-arm64.mjs ARM64_ROOT
//   ARM64_ROOT: a folder with an arm64 node extracted into it (usr/bin/node, its libraries under
//   usr/lib/aarch64-linux-gnu and lib/aarch64-linux-gnu, its JS under usr/share/nodejs), e.g. Debian's:
//     dpkg --add-architecture arm64 && apt-get update
//     apt-get download nodejs:arm64 libnode108:arm64 libuv1:arm64 libssl3:arm64 libicu72:arm64 \
//       libbrotli1:arm64 libc-ares2:arm64 libnghttp2-14:arm64 zlib1g:arm64 node-acorn node-cjs-module-lexer \
//       node-undici node-busboy
//     for d in *.deb; do dpkg -x "$d" ARM64_ROOT; done; dpkg --remove-architecture arm64
//   The C runtime comes from the cross toolchain's /usr/aarch64-linux-gnu (package libc6-arm64-cross).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arm64Root = process.argv[2] && path.resolve(process.argv[2]);
const fail = (msg) => {
  console.error(`smoke-arm64: ${msg}`);
  process.exit(1);
};
if (!arm64Root || !existsSync(path.join(arm64Root, 'usr/bin/node'))) fail('usage: node scripts/smoke-arm64.mjs ARM64_ROOT (a folder holding usr/bin/node for arm64; see the header)');
const prebuild = path.join(root, 'prebuilds', 'linux-arm64');
if (!existsSync(prebuild)) fail('no prebuilds/linux-arm64: run `npm run prebuilds -- --arch=arm64` first');
if (!existsSync(path.join(root, 'dist', 'index.js'))) fail('no dist/: run `npm run build:ts` first');

// qemu's -L folder: the cross C runtime plus the arm64 node's absolute /usr/share/nodejs.
const stage = mkdtempSync(path.join(os.tmpdir(), 'atrous-smoke-arm64-'));
try {
  const sysroot = path.join(stage, 'sysroot');
  cpSync('/usr/aarch64-linux-gnu', sysroot, { recursive: true });
  if (existsSync(path.join(arm64Root, 'usr/share/nodejs'))) {
    cpSync(path.join(arm64Root, 'usr/share/nodejs'), path.join(sysroot, 'usr/share/nodejs'), { recursive: true });
  }
  const project = path.join(stage, 'project');
  const pkg = path.join(project, 'node_modules', 'atrous');
  mkdirSync(path.join(pkg, 'prebuilds'), { recursive: true });
  for (const f of ['package.json', 'dist']) cpSync(path.join(root, f), path.join(pkg, f), { recursive: true });
  cpSync(prebuild, path.join(pkg, 'prebuilds', 'linux-arm64'), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
  cpSync(path.join(root, 'scripts', 'smoke'), project, { recursive: true });

  const libs = ['usr/lib/aarch64-linux-gnu', 'lib/aarch64-linux-gnu'].map((d) => path.join(arm64Root, d)).join(':');
  const node = (args, env = {}) =>
    spawnSync('qemu-aarch64', ['-L', sysroot, '-E', `LD_LIBRARY_PATH=${libs}`, ...Object.entries(env).flatMap(([k, v]) => ['-E', `${k}=${v}`]),
      path.join(arm64Root, 'usr/bin/node'), ...args], { cwd: project, encoding: 'utf8' });

  for (const env of [{}, { ATROUS_CPU: 'scalar' }]) {
    const r = node(['smoke.cjs'], env);
    process.stdout.write(r.stdout);
    if (r.status !== 0) fail(`smoke.cjs ${JSON.stringify(env)} exited ${r.status}: ${r.stderr}`);
    const want = env.ATROUS_CPU ?? 'neon';
    if (!r.stdout.includes(`backend cpu=${want} `)) fail(`expected backend cpu=${want}`);
  }
  const r = node(['-e', 'try { require("atrous").backend() } catch (e) { console.log(e.message) }'], { ATROUS_CPU: 'avx512' });
  if (!r.stdout.includes('ATROUS_CPU=avx512: this machine cannot run avx512; it has neon, scalar')) {
    fail(`ATROUS_CPU=avx512 should throw naming neon and scalar, but printed: ${r.stdout}${r.stderr}`);
  }
  console.log(`smoke-arm64: ATROUS_CPU=avx512 throws: ${r.stdout.trim()}`);
  console.log('smoke-arm64: ok');
} finally {
  rmSync(stage, { recursive: true, force: true });
}
