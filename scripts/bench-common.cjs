// Shared by the bench and profile scripts: medians and quantiles, and the header every one of them
// prints first (the command that reproduces the run, the machine, the build).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

/**
 * glibc settings for the PyTorch side: large freed blocks stay in the heap, as the atrous addon sets
 * them for itself at load (native/kernels/cpu/host_allocator.cpp). Measured here (2026-12-03, the
 * training step of the main job's model, batch 64): mmap_threshold alone 93 ms a step, with
 * trim_threshold too 47 ms; without the trim threshold glibc gives the freed top of the heap back to
 * the kernel and every step faults it in again.
 */
const TORCH_GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=1073741824';

/** The q-quantile (0..1) of v by nearest rank on the sorted values (p50, p90, p99). */
function quantile(v, q) {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

/** The median; of an even count, the mean of the middle two. */
function median(v) {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function cpuModel() {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux: fall through
  }
  return os.cpus()[0]?.model ?? '?';
}

/** The checkout's commit, with "+dirty" when the working tree differs from it. */
function gitRevision(root) {
  const rev = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (rev.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' });
  return rev.stdout.trim() + (dirty.stdout.trim() ? '+dirty' : '');
}

/**
 * The lines every bench prints first: the command, then the machine (CPU model, logical CPUs,
 * threads used, Node, the load average: others' work on a shared machine shows there) and the atrous build (commit, kernels picked). `extra` adds to the machine line
 * (e.g. PyTorch's version).
 */
function header({ root, threads, at, extra = [] }) {
  const script = path.relative(process.cwd(), process.argv[1]) || process.argv[1];
  const cmd = ['node', script, ...process.argv.slice(2)].join(' ');
  const be = at ? at.backend() : null;
  const machine = [`${cpuModel()}, ${os.cpus().length} logical cpus`, `threads=${threads}`, `node ${process.versions.node}`, ...extra,
    `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at start`];
  const build = `atrous ${root} at ${gitRevision(root)}` + (be ? `, kernels ${be.cpu}, version ${be.version}` : '');
  // Each changes the figures: GLIBC_TUNABLES's mmap threshold decides whether fresh tensor buffers
  // are page-faulted in anew (mmap) or reused from the heap.
  const env = ['ATROUS_NUM_THREADS', 'ATROUS_CPU', 'GLIBC_TUNABLES'].map((k) => `${k}=${process.env[k] ?? '(unset)'}`);
  return [`# ${cmd}`, `# machine: ${machine.join('; ')}`, `# build: ${build}`, `# environment of atrous: ${env.join(' ')}`];
}

module.exports = { TORCH_GLIBC_TUNABLES, quantile, median, cpuModel, gitRevision, header };
