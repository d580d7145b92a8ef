// The package as a user gets it (issue 6): prebuild the addon, `npm pack`, install the tarball into an
// empty project with no compiler on PATH and --ignore-scripts, run the smoke test through require and
// import, run the install script there (it must load the prebuild, not compile), type-check a
// TypeScript consumer, run publint on the tarball, hold the unpacked size to the budget, and last build
// the addon from the tarball's sources with the compiler, as a platform without a prebuild would.
// Usage: node scripts/package-check.mjs [--skip-prebuild] [--keep]
import { spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdtempSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const SIZE_BUDGET = 15 * 1000 * 1000; // bytes unpacked, the embedded dataset and libatrous_cuda (~1.4 MB) included
const COMPILERS = ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++', 'make', 'cmake', 'python3', 'python'];
const started = Date.now();
const secs = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

function fail(message) {
  console.error(`package-check: FAILED: ${message}`);
  process.exit(1);
}

/** Runs a command, prints its output unless captured, fails the check on a non-zero exit. */
function run(cmd, cmdArgs, { cwd = root, env = process.env, capture = false, expectFail = false } = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd, env, encoding: 'utf8', stdio: capture ? 'pipe' : 'inherit', maxBuffer: 64 << 20 });
  if (r.error) fail(`${cmd} could not start: ${r.error.message}`);
  if (!expectFail && r.status !== 0) {
    if (capture) process.stderr.write(r.stdout + r.stderr);
    fail(`\`${cmd} ${cmdArgs.join(' ')}\` exited with ${r.status} (in ${cwd})`);
  }
  return r;
}

function step(name, fn) {
  const t = Date.now();
  console.log(`\n== ${name}`);
  const out = fn();
  console.log(`== ${name}: ok (${secs(t)})`);
  return out;
}

/** The first executable called name on a PATH string, or null. */
function which(name, pathVar) {
  for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not there, or not executable: the next directory
    }
  }
  return null;
}

const npmCli = which('npm', process.env.PATH ?? '') ?? fail('npm is not on PATH');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const publint = path.join(root, 'node_modules', 'publint', 'src', 'cli.js');
for (const f of [tsc, publint]) if (!existsSync(f)) fail(`${path.relative(root, f)} is missing: run \`npm install\` first`);

const work = mkdtempSync(path.join(os.tmpdir(), 'atrous-package-check-'));
try {
  const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (args.has('--skip-prebuild') && existsSync(prebuildDir)) {
    console.log(`== prebuild: skipped (--skip-prebuild), using ${path.relative(root, prebuildDir)}`);
  } else {
    step('prebuild (prebuildify --napi --strip)', () => run(process.execPath, [path.join(root, 'scripts', 'prebuild.mjs')]));
  }

  if (process.platform === 'linux' && process.arch === 'x64') {
    step('the prebuild asks only for old glibc/libstdc++ symbol versions', () => {
      // native/compat/glibc_symbol_versions.h keeps these down; a new call into libstdc++ or libm can
      // raise them, and then the prebuild no longer loads on the distributions the README names.
      const limits = { GLIBC: '2.17', GLIBCXX: '3.4.22', CXXABI: '1.3.11' };
      const newer = (a, b) => {
        const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
        for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
        return false;
      };
      for (const f of readdirSync(prebuildDir).filter((n) => n.endsWith('.node'))) {
        const r = run('objdump', ['-T', path.join(prebuildDir, f)], { capture: true });
        const need = {};
        for (const [, lib, v] of r.stdout.matchAll(/\b(GLIBCXX|GLIBC|CXXABI)_([0-9.]+)\b/g)) if (!need[lib] || newer(v, need[lib])) need[lib] = v;
        console.log(`${f} needs ${Object.entries(need).map(([lib, v]) => `${lib}_${v}`).join(', ')}`);
        const over = Object.entries(need).filter(([lib, v]) => newer(v, limits[lib]));
        const symbols = (lib, v) => r.stdout.split('\n').filter((l) => l.includes(`(${lib}_${v})`)).map((l) => l.trim().split(/\s+/).pop());
        if (over.length) fail(`${f} needs ${over.map(([lib, v]) => `${lib}_${v} (${symbols(lib, v).join(', ')})`).join('; ')}; the limits are ${JSON.stringify(limits)}`);
      }
    });
  }

  step('build dist/ (tsc)', () => run(npmCli, ['run', 'build:ts']));

  const packed = step('npm pack', () => {
    // Scripts were run above; --ignore-scripts keeps stdout pure JSON.
    const r = run(npmCli, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { capture: true });
    const [info] = JSON.parse(r.stdout);
    const files = info.files.map((f) => f.path);
    console.log(`${info.filename}: ${files.length} files, ${(info.size / 1e6).toFixed(2)} MB packed, ${(info.unpackedSize / 1e6).toFixed(2)} MB unpacked`);
    const need = ['package.json', 'README.md', 'LICENSE', 'binding.gyp', 'native/sources.json', 'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts'];
    const missing = need.filter((f) => !files.includes(f));
    if (!files.some((f) => /^prebuilds\/linux-x64\/[^/]+\.node$/.test(f)) && process.platform === 'linux' && process.arch === 'x64') {
      missing.push('prebuilds/linux-x64/*.node');
    }
    if (existsSync(path.join(root, 'data')) && !files.some((f) => f.startsWith('data/'))) missing.push('data/');
    if (missing.length) fail(`the tarball lacks ${missing.join(', ')}`);
    const stray = files.filter((f) => /^(build|build-native|test|lib|node_modules)\//.test(f) || f.endsWith('.map'));
    if (stray.length) fail(`the tarball holds files a user should not get: ${stray.slice(0, 10).join(', ')}`);
    const biggest = [...info.files].sort((a, b) => b.size - a.size).slice(0, 6);
    for (const f of biggest) console.log(`  ${(f.size / 1e6).toFixed(3).padStart(8)} MB  ${f.path}`);
    return { tarball: path.join(work, info.filename), unpackedSize: info.unpackedSize, biggest };
  });

  step(`size budget (<= ${SIZE_BUDGET / 1e6} MB unpacked)`, () => {
    console.log(`unpacked ${packed.unpackedSize} bytes (${(packed.unpackedSize / 1e6).toFixed(2)} MB) of ${SIZE_BUDGET}`);
    if (packed.unpackedSize > SIZE_BUDGET) {
      fail(`unpacked size ${(packed.unpackedSize / 1e6).toFixed(2)} MB is over the ${SIZE_BUDGET / 1e6} MB budget; biggest files: ` +
        packed.biggest.map((f) => `${f.path} ${(f.size / 1e6).toFixed(2)} MB`).join(', '));
    }
  });

  // A PATH with node and sh (npm runs package scripts through sh) and nothing else: no compiler, no
  // make, no python can be found.
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  symlinkSync(realpathSync(process.execPath), path.join(bin, 'node'));
  symlinkSync('/bin/sh', path.join(bin, 'sh'));
  const bare = { ...process.env, PATH: bin };
  for (const k of Object.keys(bare)) if (/^npm_/i.test(k) || k === 'INIT_CWD') delete bare[k];
  const consumer = path.join(work, 'consumer');

  step('install the tarball into an empty project (no compiler on PATH, --ignore-scripts)', () => {
    const found = COMPILERS.map((c) => which(c, bare.PATH)).filter(Boolean);
    if (found.length) fail(`the bare PATH still finds ${found.join(', ')}`);
    const sh = run('/bin/sh', ['-c', 'command -v g++ || command -v cc || command -v make'], { env: bare, capture: true, expectFail: true });
    if (sh.status === 0) fail(`/bin/sh finds a compiler on the bare PATH: ${sh.stdout.trim()}`);
    console.log(`PATH=${bare.PATH} (finds none of ${COMPILERS.join(' ')})`);
    mkdirSync(consumer);
    writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'atrous-consumer', private: true, version: '1.0.0' }, null, 2));
    run(process.execPath, [npmCli, 'install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', packed.tarball], { cwd: consumer, env: bare });
    const pkgDir = path.join(consumer, 'node_modules', 'atrous');
    if (existsSync(path.join(pkgDir, 'build'))) fail('node_modules/atrous/build exists after an --ignore-scripts install');
    console.log(`node_modules/atrous: ${readdirSync(pkgDir).sort().join(' ')}`);
  });

  step('smoke test through require and import', () => {
    for (const f of ['checks.cjs', 'smoke.cjs', 'smoke.mjs']) cpSync(path.join(root, 'scripts', 'smoke', f), path.join(consumer, f));
    run(process.execPath, ['smoke.cjs'], { cwd: consumer, env: bare });
    run(process.execPath, ['smoke.mjs'], { cwd: consumer, env: bare });
    // Each instruction set the dispatcher can pin (one the CPU lacks falls back, with a warning).
    for (const cpu of ['scalar', 'avx2']) run(process.execPath, ['smoke.cjs'], { cwd: consumer, env: { ...bare, ATROUS_CPU: cpu } });
  });

  step("the package's install script with no compiler: loads the prebuild, compiles nothing", () => {
    // `npm rebuild` runs atrous's "install" script (node-gyp-build); were no prebuild to match, it would
    // call node-gyp, which fails without a compiler.
    run(process.execPath, [npmCli, 'rebuild', 'atrous', '--foreground-scripts'], { cwd: consumer, env: bare });
    if (existsSync(path.join(consumer, 'node_modules', 'atrous', 'build'))) fail('the install script built node_modules/atrous/build');
    console.log('install script exited 0 and left no build/ folder');
  });

  step('tsc --noEmit on a TypeScript consumer', () => {
    cpSync(path.join(root, 'scripts', 'smoke', 'consumer.ts'), path.join(consumer, 'consumer.ts'));
    cpSync(path.join(root, 'scripts', 'smoke', 'consumer.ts'), path.join(consumer, 'consumer-esm.mts'));
    // The consumer's own @types/node (a TypeScript user of a Node library has it), from this checkout.
    mkdirSync(path.join(consumer, 'node_modules', '@types'), { recursive: true });
    symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(consumer, 'node_modules', '@types', 'node'), 'dir');
    writeFileSync(path.join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noImplicitOverride: true, noEmit: true, types: ['node'] },
      files: ['consumer.ts', 'consumer-esm.mts'],
    }, null, 2));
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer, env: bare });
    console.log('consumer.ts (CommonJS) and consumer-esm.mts (ESM) type-check against node_modules/atrous');
  });

  step('publint --strict on the tarball', () => run(process.execPath, [publint, 'run', packed.tarball, '--strict'], { cwd: work, env: bare }));

  step('build from source out of the tarball (with the compiler), then the smoke test on that build', () => {
    // What a platform without a prebuild gets: the tarball's binding.gyp and native/ must be enough.
    const env = { ...process.env, JOBS: process.env.JOBS ?? String(os.availableParallelism()) };
    run(process.execPath, [npmCli, 'rebuild', 'atrous', '--build-from-source', '--foreground-scripts', '--loglevel=error'], { cwd: consumer, env, capture: true });
    run(process.execPath, ['smoke.cjs'], { cwd: consumer, env: { ...bare, ATROUS_SMOKE_ADDON: 'build' } });
  });

  console.log(`\npackage-check: ok in ${secs(started)} (unpacked ${(packed.unpackedSize / 1e6).toFixed(2)} MB)`);
} finally {
  if (args.has('--keep')) console.log(`package-check: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
