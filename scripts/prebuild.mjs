// `npm run prebuild`: builds the N-API addon with prebuildify into prebuilds/<platform>-<arch>/, the
// binary that ships in the npm tarball and that node-gyp-build loads without compiling anything.
// It builds in a scratch copy of binding.gyp + native/, so a developer's build/Release is left alone
// (node-gyp-build prefers build/Release over prebuilds/ in a checkout). One N-API build serves
// every Node >= 20; the ISA files carry their own flags and dispatch at run time (never -march=native).
// Where nvcc is present (Linux), it also builds libatrous_cuda (CMake, cudart linked statically,
// sm_80/sm_90 code plus PTX), strips it and ships it beside the addon, which dlopen()s it at run time
// only on machines with a driver; without nvcc it says so and ships the CPU addon alone.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNvcc } from './find-nvcc.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `--arch=arm64` on an x86-64 Linux host: a cross build for linux-arm64 with Debian's
// g++-aarch64-linux-gnu (N-API needs only Node's headers, which are the same for every arch).
const arch = process.argv.find((a) => a.startsWith('--arch='))?.slice('--arch='.length) ?? process.arch;
const cross = arch !== process.arch;
if (cross && !(process.platform === 'linux' && arch === 'arm64')) {
  throw new Error(`prebuild: cross builds are set up for linux-arm64 only, but got --arch=${arch} on ${process.platform}-${process.arch}`);
}
const crossPrefix = 'aarch64-linux-gnu-';
const target = `${process.platform}-${arch}`;
const outDir = path.join(root, 'prebuilds', target);

const stage = mkdtempSync(path.join(os.tmpdir(), 'atrous-prebuild-'));
try {
  for (const f of ['package.json', 'binding.gyp']) cpSync(path.join(root, f), path.join(stage, f));
  for (const d of ['native/kernels', 'native/napi', 'native/compat']) {
    cpSync(path.join(root, d), path.join(stage, d), { recursive: true });
  }
  cpSync(path.join(root, 'native/sources.json'), path.join(stage, 'native/sources.json'));
  symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'), 'dir');

  const env = { ...process.env, JOBS: process.env.JOBS ?? String(os.availableParallelism()) };
  if (cross) Object.assign(env, { CC: `${crossPrefix}gcc`, CXX: `${crossPrefix}g++`, LINK: `${crossPrefix}g++`, AR: `${crossPrefix}ar` });
  // Build against this Node's own headers when it ships them (no download); npm sets this itself.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
    env.npm_config_nodedir = prefix;
  }

  rmSync(outDir, { recursive: true, force: true });
  const prebuildify = path.join(root, 'node_modules', 'prebuildify', 'bin.js');
  // An explicit node target: without one, prebuildify --napi also builds for the newest Electron.
  const args = [prebuildify, '--napi', '--strip', '--tag-libc', `--target=node@${process.versions.node}`, `--out=${root}`, stage];
  if (cross) args.splice(1, 0, `--arch=${arch}`, `--strip-bin=${crossPrefix}strip`);
  console.log(`prebuild: prebuildify ${args.slice(1).join(' ')}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: stage, env, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);

  const built = readdirSync(outDir).filter((f) => f.endsWith('.node'));
  if (built.length === 0) throw new Error(`prebuild: prebuildify wrote no .node file into ${outDir}`);
  for (const f of built) {
    const size = (statSync(path.join(outDir, f)).size / 1024).toFixed(0);
    console.log(`prebuild: prebuilds/${target}/${f} (${size} KiB, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  if (cross) console.log(`prebuild: no CUDA library: not built for cross targets`);
  else buildCudaLibrary();
} finally {
  rmSync(stage, { recursive: true, force: true });
}

function buildCudaLibrary() {
  const nvcc = process.platform === 'linux' ? findNvcc() : null;
  if (!nvcc) {
    console.log(`prebuild: no CUDA library: ${process.platform === 'linux' ? 'no nvcc on PATH, in $CUDACXX or /usr/local/cuda' : 'Linux only'}`);
    return;
  }
  const started = Date.now();
  const build = path.join(stage, 'build-cuda');
  const cmake = (args) => {
    console.log(`prebuild: cmake ${args.join(' ')}`);
    const r = spawnSync('cmake', args, { cwd: root, stdio: 'inherit' });
    if (r.error) throw r.error;
    if (r.status !== 0) process.exit(r.status ?? 1);
  };
  cmake(['-S', root, '-B', build, '-DCMAKE_BUILD_TYPE=Release', '-DATROUS_CUDA=ON', `-DCMAKE_CUDA_COMPILER=${nvcc}`]);
  cmake(['--build', build, '--target', 'atrous_cuda', '-j', String(os.availableParallelism())]);
  const shipped = path.join(outDir, 'libatrous_cuda.so');
  const r = spawnSync('strip', ['--strip-unneeded', '-o', shipped, path.join(build, 'libatrous_cuda.so')], { stdio: 'inherit' });
  if (r.status !== 0) cpSync(path.join(build, 'libatrous_cuda.so'), shipped); // no strip: ship it as built
  const size = (statSync(shipped).size / 1024).toFixed(0);
  console.log(`prebuild: prebuilds/${target}/libatrous_cuda.so (${size} KiB, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
