// Whether the CUDA backend is usable, and if not, why. libatrous_cuda is a separate shared library
// (`npm run build:cuda`; cudart linked into it), found here and dlopen()ed by the addon once per
// process, so the CPU addon never needs CUDA and a machine without a GPU never notices.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native, packageRoot } from './load-addon';

export interface CudaStatus {
  usable: boolean;
  /** Why CUDA is not in use: no library, no driver, no device. */
  reason?: string;
  /** The device, when usable: "NVIDIA H200 (sm_90, 132 SMs)". */
  device?: string;
  /** The library that was loaded or tried. */
  path?: string;
}

const LIBRARY = 'libatrous_cuda.so';

/** Where libatrous_cuda may be: $ATROUS_CUDA_LIBRARY alone when set, else the local build, then the prebuild. */
export function cudaLibraryCandidates(): string[] {
  const forced = process.env.ATROUS_CUDA_LIBRARY;
  if (forced) return [path.resolve(forced)];
  return [
    path.join(packageRoot, 'build-cuda', LIBRARY),
    path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, LIBRARY),
  ];
}

let status: CudaStatus | undefined;

/** Loads libatrous_cuda on first use and caches the answer (the addon holds one CUDA context per process). */
export function cudaStatus(): CudaStatus {
  status ??= loadCuda();
  return status;
}

function loadCuda(): CudaStatus {
  if (process.platform !== 'linux') {
    return { usable: false, reason: `the CUDA backend is built for Linux only (this is ${process.platform})` };
  }
  const candidates = cudaLibraryCandidates();
  const found = process.env.ATROUS_CUDA_LIBRARY ? candidates[0] : candidates.find((p) => fs.existsSync(p));
  if (found === undefined) {
    return {
      usable: false,
      reason:
        `${LIBRARY} is not installed (looked for ${candidates.join(' and ')}); build it with ` +
        '`npm run build:cuda` (needs the CUDA toolkit: nvcc and CMake)',
    };
  }
  return native().cudaLoad(found);
}

/** Throws, naming op, unless CUDA is usable. */
export function expectCuda(op: string): void {
  const s = cudaStatus();
  if (!s.usable) throw new Error(`${op}: CUDA is not available: ${s.reason}`);
}
