// ATROUS_CPU in fresh processes (the kernels' ISA is chosen once per process): each ISA this machine
// runs is reported by backend(), and one it cannot run fails the addon load with an Error that names
// what the machine has: neon on x86, avx512 on arm64 (issue 21).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const x86 = process.arch === 'x64' || process.arch === 'ia32';

/** backend().cpu, or the thrown message, in a new node process over the compiled package (dist/). */
function cpuWith(isa: string): { cpu?: string; error?: string } {
  const script =
    'try { process.stdout.write(JSON.stringify({ cpu: require(".").backend().cpu })) }' +
    ' catch (e) { process.stdout.write(JSON.stringify({ error: e.message })) }';
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, ATROUS_CPU: isa }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { cpu?: string; error?: string };
}

describe('ATROUS_CPU', () => {
  it('scalar runs everywhere and is what backend() reports', () => {
    expect(cpuWith('scalar')).toEqual({ cpu: 'scalar' });
  });

  it('an ISA of another architecture throws, naming what this machine has', () => {
    const foreign = x86 ? 'neon' : 'avx512';
    const { cpu, error } = cpuWith(foreign);
    expect(cpu).toBeUndefined();
    expect(error).toContain(`ATROUS_CPU=${foreign}: this machine cannot run ${foreign}; it has `);
    const has = (error ?? '').split('it has ')[1];
    expect(has).toMatch(/scalar$/);
    expect(has).not.toContain(foreign);
  });

  it('an unknown name throws, listing the names', () => {
    expect(cpuWith('sse9').error).toContain("ATROUS_CPU expects avx512, avx2, neon or scalar, but got 'sse9'");
  });
});
