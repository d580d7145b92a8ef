// What the kernels run on: backend() and setNumThreads(). The thread count's default comes from
// ATROUS_NUM_THREADS, read natively when the pool starts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native, packageRoot } from './load-addon';
import { describeValue } from '../core/shape-checks';
import { cudaStatus, expectCuda } from './cuda-status';

export interface BackendInfo {
  /** The CPU kernels' instruction set: x86-64 AVX-512 or AVX2, arm64 NEON, or portable scalar code. */
  cpu: 'avx512' | 'avx2' | 'neon' | 'scalar';
  cuda: boolean;
  cudaReason?: string;
  /** When CUDA is in use: the device, and whether SGEMM and the convolutions use TF32 tensor cores. */
  cudaDevice?: string;
  cudaTf32?: boolean;
  threads: number;
  version: string;
}

let version: string | undefined;

function packageVersion(): string {
  version ??= (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

export function backend(): BackendInfo {
  const { cpu, threads } = native().backend();
  const cuda = cudaStatus();
  const info: BackendInfo = { cpu, cuda: cuda.usable, threads, version: packageVersion() };
  if (!cuda.usable) info.cudaReason = cuda.reason;
  else Object.assign(info, { cudaDevice: cuda.device, cudaTf32: native().cudaTf32() });
  return info;
}

/**
 * TF32 tensor cores for the GPU's SGEMM and convolutions: much faster, with ~1e-3 relative error
 * instead of FP32's ~1e-6 (as PyTorch's allow_tf32). Off by default; throws without CUDA.
 */
export function setCudaTf32(on: boolean): void {
  if (typeof on !== 'boolean') throw new TypeError(`setCudaTf32: on expects a boolean, but got ${describeValue(on)}`);
  expectCuda('setCudaTf32');
  native().cudaSetTf32(on);
}

export function setNumThreads(n: number): void {
  if (typeof n !== 'number') throw new TypeError(`setNumThreads: n expects an integer in [1, 1024], but got ${describeValue(n)}`);
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new RangeError(`setNumThreads: n expects an integer in [1, 1024], but got ${n}`);
  }
  native().setNumThreads(n);
}
