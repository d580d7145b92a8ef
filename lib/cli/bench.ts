// `atrous bench`: the conv suite (native/bench/conv-suite.json) forward through at.conv1d/at.conv2d,
// and the same shapes through PyTorch when python3 can import torch, side by side (median of
// `repeats` timings after a warm-up, nominal GFLOP/s). Both sides use the same thread count. Beside
// each figure, the CPU path the forward took (at.explainConv: the planner's choice, or ATROUS_CONV_PATH's).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../native/load-addon';
import { backend, setNumThreads } from '../native/backend';
import { conv1d, conv2d, type ConvOptions } from '../ops/conv';
import { explainConv } from '../ops/explain-conv';
import { randn } from '../core/random';

interface Shape {
  id: string; name: string; dims: 1 | 2; N: number; Cin: number; Cout: number; H: number; W: number;
  k: number; stride: number; dil: number; pad: number; groups: number; causal?: boolean;
}

export const SUITE_FILE = path.join(packageRoot, 'native', 'bench', 'conv-suite.json');

/** Nominal FLOPs of one forward pass of a suite shape (2·N·Cout·out pixels·Cin/groups·taps). */
export function convFlops(s: Shape): number {
  const span = s.dil * (s.k - 1) + 1;
  if (s.dims === 1) {
    const ow = Math.floor(((s.causal ? s.W + s.pad : s.W + 2 * s.pad) - span) / s.stride) + 1;
    return 2 * s.N * s.Cout * ow * (s.Cin / s.groups) * s.k;
  }
  const oh = Math.floor((s.H + 2 * s.pad - span) / s.stride) + 1;
  const ow = Math.floor((s.W + 2 * s.pad - span) / s.stride) + 1;
  return 2 * s.N * s.Cout * oh * ow * (s.Cin / s.groups) * s.k * s.k;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function shapesOf(s: Shape): { x: number[]; w: number[]; opts: ConvOptions } {
  return {
    x: s.dims === 1 ? [s.N, s.Cin, s.W] : [s.N, s.Cin, s.H, s.W],
    w: s.dims === 1 ? [s.Cout, s.Cin / s.groups, s.k] : [s.Cout, s.Cin / s.groups, s.k, s.k],
    opts: { stride: s.stride, padding: s.dims === 1 && s.causal ? 'causal' : s.pad, dilation: s.dil, groups: s.groups },
  };
}

function timeAtrous(s: Shape, repeats: number): number {
  const shapes = shapesOf(s);
  const x = randn(shapes.x);
  const w = randn(shapes.w);
  const b = randn([s.Cout]);
  const run = () => (s.dims === 1 ? conv1d(x, w, b, shapes.opts) : conv2d(x, w, b, shapes.opts));
  run();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(times);
}

const TORCH_SCRIPT = `
import json, sys, time, statistics
import torch, torch.nn.functional as F
shapes, repeats, threads = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
out = {"version": torch.__version__}
for s in shapes:
    one = s["dims"] == 1
    x = torch.randn(s["N"], s["Cin"], s["W"]) if one else torch.randn(s["N"], s["Cin"], s["H"], s["W"])
    w = torch.randn(s["Cout"], s["Cin"] // s["groups"], s["k"]) if one else torch.randn(s["Cout"], s["Cin"] // s["groups"], s["k"], s["k"])
    b = torch.randn(s["Cout"])
    causal = bool(s.get("causal"))
    def run():
        with torch.no_grad():
            if one:
                xi = F.pad(x, (s["pad"], 0)) if causal else x
                return F.conv1d(xi, w, b, stride=s["stride"], padding=0 if causal else s["pad"], dilation=s["dil"], groups=s["groups"])
            return F.conv2d(x, w, b, stride=s["stride"], padding=s["pad"], dilation=s["dil"], groups=s["groups"])
    run()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); run(); times.append(time.perf_counter() - t0)
    out[s["id"]] = statistics.median(times)
print(json.dumps(out))
`;

/** PyTorch's forward times per shape id, or null with the reason when no torch is installed. */
function timeTorch(shapes: Shape[], repeats: number, threads: number): { times: Record<string, number>; version: string } | { reason: string } {
  let reason = 'no python3 found';
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', TORCH_SCRIPT, JSON.stringify(shapes), String(repeats), String(threads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.error) continue;
    if (r.status !== 0) {
      reason = `${python} could not run PyTorch: ${(r.stderr || '').trim().split('\n').pop()}`;
      continue; // another interpreter may have torch
    }
    const parsed = JSON.parse(r.stdout) as Record<string, number | string>;
    const version = String(parsed.version);
    delete parsed.version;
    return { times: parsed as Record<string, number>, version };
  }
  return { reason };
}

export interface BenchOptions {
  repeats: number;
  threads?: number;
  /** Shape ids to run (all when empty). */
  only: string[];
}

export function runBench(opts: BenchOptions, print: (line: string) => void): void {
  if (opts.threads !== undefined) setNumThreads(opts.threads);
  const info = backend();
  const suite = JSON.parse(fs.readFileSync(SUITE_FILE, 'utf8')) as { shapes: Shape[] };
  const shapes = suite.shapes.filter((s) => opts.only.length === 0 || opts.only.includes(s.id));
  if (shapes.length === 0) throw new RangeError(`bench: --shapes expects ids from ${suite.shapes.map((s) => s.id).join(',')}, but got ${opts.only.join(',')}`);
  print(`conv suite, forward, median of ${opts.repeats} after a warm-up; atrous ${info.version} (${info.cpu}, ${info.threads} threads)`);
  print(`command: atrous bench --repeats ${opts.repeats} --threads ${info.threads}${opts.only.length ? ` --shapes ${opts.only.join(',')}` : ''}`);
  const torch = timeTorch(shapes, opts.repeats, info.threads);
  const peer = 'times' in torch ? `PyTorch ${torch.version}` : null;
  if (!peer) print(`peer: none (${(torch as { reason: string }).reason})`);
  const header = ['shape', 'name', 'atrous ms', 'GFLOP/s', 'path', ...(peer ? [`${peer} ms`, 'GFLOP/s', 'atrous speed-up'] : [])];
  const rows: string[][] = [header];
  for (const s of shapes) {
    const t = timeAtrous(s, opts.repeats);
    const f = convFlops(s);
    const { x, w, opts: convOpts } = shapesOf(s);
    const plan = explainConv(x, w, convOpts).forward;
    const row = [s.id, s.name, (1e3 * t).toFixed(2), (f / t / 1e9).toFixed(1), plan.folded ? `${plan.path} (folded)` : plan.path];
    if ('times' in torch) {
      const pt = torch.times[s.id];
      row.push((1e3 * pt).toFixed(2), (f / pt / 1e9).toFixed(1), (pt / t).toFixed(2) + 'x');
    }
    rows.push(row);
  }
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const leftAligned = (c: number) => c < 2 || c === 4; // names and the path read from the left
  for (const r of rows) print(r.map((cell, c) => (leftAligned(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
}
