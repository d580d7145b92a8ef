// What the kernels run on: backend() and setNumThreads(). The thread count's default comes from
// ATROUS_NUM_THREADS, read natively when the pool starts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native, packageRoot } from './binding';
import { describeValue } from './shape-checks';
import { cudaStatus } from './cuda';

export interface BackendInfo {
  cpu: 'avx512' | 'avx2' | 'scalar';
  cuda: boolean;
  cudaReason?: string;
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
  return info;
}

export function setNumThreads(n: number): void {
  if (typeof n !== 'number') throw new TypeError(`setNumThreads: n expects an integer in [1, 1024], but got ${describeValue(n)}`);
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new RangeError(`setNumThreads: n expects an integer in [1, 1024], but got ${n}`);
  }
  native().setNumThreads(n);
}
