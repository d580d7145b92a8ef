// Where nvcc is: on PATH, in $CUDACXX, or at /usr/local/cuda/bin/nvcc; null when none is.
// Shared by cuda-check.mjs (CI's compile check) and prebuild.mjs (ships libatrous_cuda).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function findNvcc() {
  const which = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  for (const p of [process.env.CUDACXX, '/usr/local/cuda/bin/nvcc']) if (p && existsSync(p)) return p;
  return null;
}
