// The CUDA backend's loading, in fresh processes (the addon loads libatrous_cuda once per process):
// a missing library, a library that is not ours, and the real one when `npm run build:cuda` (or CI's
// cuda-check) built it. Without a GPU the real library loads and says why the device is unusable.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as at from '../lib';

const root = path.resolve(__dirname, '..');
const builtLibrary = path.join(root, 'build-cuda', 'libatrous_cuda.so');
const builtAddon = path.join(root, 'build', 'Release', 'atrous.node');

/** at.backend() in a new node process over the compiled package (dist/), with env added. */
function backendIn(env: Record<string, string | undefined>): at.BackendInfo {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(require(".").backend()))'], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as at.BackendInfo;
}

describe('CUDA backend loading', () => {
  it('a missing library: no CUDA, and the reason names the path', () => {
    const info = backendIn({ ATROUS_CUDA_LIBRARY: '/nonexistent/libatrous_cuda.so' });
    expect(info.cuda).toBe(false);
    expect(info.cudaReason).toContain('cannot load /nonexistent/libatrous_cuda.so');
  });

  it('a shared library that is not libatrous_cuda is refused, not called', () => {
    const info = backendIn({ ATROUS_CUDA_LIBRARY: builtAddon });
    expect(info.cuda).toBe(false);
    expect(info.cudaReason).toMatch(/has no atrous_cuda_api table/);
  });

  it.skipIf(!fs.existsSync(builtLibrary))('the built library loads; without a usable GPU it says why', () => {
    const info = backendIn({ ATROUS_CUDA_LIBRARY: undefined });
    if (info.cuda) {
      expect(info.cudaReason).toBeUndefined();
      return;
    }
    // The probe's answer (e.g. "cudaErrorInsufficientDriver: CUDA driver version is insufficient..."),
    // not a loading failure.
    expect(info.cudaReason).not.toMatch(/cannot load|atrous_cuda_api|not installed/);
    expect(info.cudaReason).toMatch(/CUDA|device|driver/i);
  });
});

describe.skipIf(at.backend().cuda)('without CUDA', () => {
  it("t.to('cuda'), { device: 'cuda' } and model.to('cuda') throw with the reason", () => {
    const reason = at.backend().cudaReason as string;
    expect(reason.length).toBeGreaterThan(0);
    const t = at.ones([2]);
    expect(() => t.to('cuda')).toThrow(`CUDA is not available: ${reason}`);
    expect(() => at.ones([2], { device: 'cuda' })).toThrow(reason);
    expect(() => new at.nn.Linear(2, 2).to('cuda')).toThrow(reason);
    expect(() => at.setCudaTf32(true)).toThrow(`setCudaTf32: CUDA is not available: ${reason}`);
    expect(() => at.setCudaTf32(1 as unknown as boolean)).toThrow(TypeError);
    expect(at.backend().cudaTf32).toBeUndefined();
  });
});
