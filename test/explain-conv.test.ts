// at.explainConv: the CPU plan of each pass (native/kernels/cpu/conv/plan.h), its argument checks, and
// ATROUS_CONV_PATH forcing a path (read once by the addon: in fresh processes over dist/).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as at from '../lib';

const root = path.resolve(__dirname, '..');

/** Runs `body` (JS using `at`, writing JSON to stdout) in a fresh node process over dist/ with env added. */
function inChild(body: string, env: Record<string, string>): { status: number | null; out: unknown; stderr: string } {
  const r = spawnSync(process.execPath, ['-e', `const at = require('.');\n${body}`], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { status: r.status, out: r.status === 0 ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}

const depthwise = { x: [2, 8, 16, 16], w: [8, 1, 3, 3], opts: { padding: 1, groups: 8 } };
const dense = { x: [2, 8, 16, 16], w: [8, 8, 3, 3], opts: { padding: 1 } };

describe('explainConv', () => {
  it('names the depthwise paths for a depthwise conv, with their workspace', () => {
    const e = at.explainConv(depthwise.x, depthwise.w, depthwise.opts);
    expect(e.forward.path).toBe('depthwise_padded');
    expect(e.weight.path).toBe('depthwise_shifted');
    expect(e.data.path).toBe('as_forward'); // stride 1: a forward of dy with the flipped weight
    for (const pass of [e.forward, e.data, e.weight]) {
      expect(Number.isInteger(pass.workspaceBytes) && pass.workspaceBytes > 0).toBe(true);
      expect(pass.folded).toBe(false);
      expect(pass.why.length).toBeGreaterThan(0);
    }
    // A 16x16 depthwise conv's copies are a few KiB per thread, far under the 16 MiB budget.
    expect(e.forward.workspaceBytes).toBeLessThan(1 << 20);
  });

  it('takes conv1d shapes and folds a stride that shares a factor with padding and dilation', () => {
    const e = at.explainConv([2, 4, 64], [6, 4, 3], { stride: 2, padding: 2, dilation: 2 });
    expect(e.forward.folded && e.data.folded && e.weight.folded).toBe(true);
    expect(e.data.path).not.toBe('depthwise');
    const strided = at.explainConv([2, 4, 9, 9], [4, 4, 3, 3], { stride: 2, padding: 1 });
    expect(strided.data.path).toBe('by_columns'); // gcd(2, 1) = 1: no fold, and not stride 1
    expect(strided.data.folded).toBe(false);
  });

  it('checks its arguments as conv1d/conv2d do, naming explainConv', () => {
    expect(() => at.explainConv('x' as unknown as number[], dense.w)).toThrow(/explainConv: xShape expects an array/);
    expect(() => at.explainConv([2, 8, 16, 16, 1], dense.w)).toThrow(/explainConv: xShape expects 3 dims .* or 4/);
    expect(() => at.explainConv(dense.x, [8, 8, 3])).toThrow(/explainConv: wShape expects 4 dims like xShape/);
    expect(() => at.explainConv(dense.x, [8, 3, 3, 3])).toThrow(/explainConv: weight expects 3 input channels per group, but input has 8/);
    expect(() => at.explainConv(dense.x, dense.w, { groups: 3 })).toThrow(/explainConv: groups=3 must divide the input channels/);
    expect(() => at.explainConv(dense.x, dense.w, { strides: 2 } as never)).toThrow(/explainConv: opts.strides is not an option/);
    expect(() => at.explainConv(dense.x, dense.w, { padding: 'causal' })).toThrow(/explainConv: padding 'causal' is for conv1d only/);
    expect(() => at.explainConv([2, 8, 2, 2], [8, 8, 3, 3])).toThrow(/explainConv: output would be empty/);
    expect(() => at.explainConv(dense.x, dense.w, 5 as never)).toThrow(/explainConv: opts expects an object/);
  });

  it('ATROUS_CONV_PATH forces a path per pass, or every pass with that path', () => {
    const base = at.explainConv(dense.x, dense.w, dense.opts);
    const forced = inChild(
      `process.stdout.write(JSON.stringify(at.explainConv(${JSON.stringify(dense.x)}, ${JSON.stringify(dense.w)}, ${JSON.stringify(dense.opts)})))`,
      { ATROUS_CONV_PATH: 'forward=by_region,weight=by_tap' },
    );
    expect(forced.status, forced.stderr).toBe(0);
    const e = forced.out as at.ConvExplanation;
    expect([e.forward.path, e.forward.why]).toEqual(['by_region', 'forced']);
    expect([e.weight.path, e.weight.why]).toEqual(['by_tap', 'forced']);
    expect(e.data.path).toBe(base.data.path); // not forced
    const all = inChild(
      `process.stdout.write(JSON.stringify(at.explainConv(${JSON.stringify(dense.x)}, ${JSON.stringify(dense.w)}, ${JSON.stringify(dense.opts)})))`,
      { ATROUS_CONV_PATH: 'dense' },
    );
    const a = all.out as at.ConvExplanation;
    expect([a.forward.path, a.weight.path, a.data.path]).toEqual(['dense', 'dense', base.data.path]); // no dense data path
  });

  it('ATROUS_CONV_PATH naming a path that does not apply makes the conv and explainConv throw clearly', () => {
    const r = inChild(
      `const msgs = [];
       const x = at.randn(${JSON.stringify(dense.x)}), w = at.randn(${JSON.stringify(dense.w)});
       for (const f of [() => at.explainConv(x.shape, w.shape, { padding: 1 }), () => at.conv2d(x, w, null, { padding: 1 })]) {
         try { f(); msgs.push('no error'); } catch (e) { msgs.push(e.message); }
       }
       process.stdout.write(JSON.stringify(msgs));`,
      { ATROUS_CONV_PATH: 'forward=depthwise' },
    );
    expect(r.status, r.stderr).toBe(0);
    for (const m of r.out as string[]) expect(m).toMatch(/conv forward: ATROUS_CONV_PATH path 'depthwise' does not apply .*one input channel per group/);
    const bad = inChild(`try { at.explainConv([1, 2, 5, 5], [2, 2, 3, 3]); } catch (e) { process.stdout.write(JSON.stringify(e.message)); }`,
      { ATROUS_CONV_PATH: 'forward=fastest' });
    expect(bad.out).toMatch(/ATROUS_CONV_PATH expects a path name.*no path named 'fastest'/);
  });
});
