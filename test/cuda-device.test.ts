// The JS device path: tensors whose storage is a DeviceBuffer, every op with a CUDA kernel, autograd
// on the device, Module.to('cuda'), optimizers whose state lives on the device, and state dicts saved
// from it. Every check runs the same computation on the CPU backend (itself checked against PyTorch in
// the fixtures tests) from the same inputs, and compares: transfers exactly, kernels within a relative
// L2 tolerance (the CUDA convolutions and GEMMs sum in another order, so bit-exact is not expected).
// Runs on a GPU, or anywhere against the CPU emulator build of the very same CUDA sources:
//   ATROUS_CUDA_LIBRARY=build-cuda-emu/libatrous_cuda.so npx vitest run test/cuda-device.test.ts
// Without a usable CUDA library the whole file is skipped, the reason in the describe name.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { DilatedCnn } from '../lib/models/dilated-cnn';
import { channelsLast, lastStep } from '../lib/ops/sequence';
import { normExceptDim, weightNormed } from '../lib/ops/weight-norm';
import { Tcn } from '../lib/models/tcn';
import { setRandomState } from '../lib/core/random';
import { deviceOf } from '../lib/core/storage';
import { relativeL2 as relL2 } from './helpers/relative-l2';
import { distinctValues, seededValues } from './helpers/values';

const info = at.backend();

/** The bits of a float32 array, so that NaN, -0 and denormals compare exactly. */
function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/**
 * actual (computed on 'cuda') matches expected (the same on the CPU): same shape, finite, and within
 * tol relative L2. relL2 over the whole tensor also catches a single wrong element: one element off by
 * its own size in n elements is ~1/√n, far above tol.
 */
function expectMatch(what: string, actual: at.Tensor | null, expected: at.Tensor | null, tol: number): void {
  expect(actual, `${what}: missing on cuda`).not.toBeNull();
  expect(expected, `${what}: missing on cpu`).not.toBeNull();
  const [a, e] = [actual as at.Tensor, expected as at.Tensor];
  expect(a.device, `${what}: device`).toBe('cuda');
  expect(e.device, `${what}: the reference's device`).toBe('cpu');
  expect(a.shape, `${what}: shape`).toEqual(e.shape);
  const av = a.toFloat32Array();
  const ev = e.toFloat32Array();
  expect(av.every(Number.isFinite), `${what}: non-finite values on cuda`).toBe(true);
  const r = relL2(av, ev);
  expect(r, `${what}: relative L2 distance to the CPU's`).toBeLessThanOrEqual(tol);
}

interface Input {
  shape: number[];
  values: Float32Array;
  /** Whether the op's gradient for this input is checked (default true). */
  grad?: boolean;
}

/** Deterministic inputs in [-1, 1] (a JS generator, independent of the addon's). */
function input(shape: number[], seed: number, grad = true): Input {
  return { shape, values: seededValues(shape.reduce((a, b) => a * b, 1), seed), grad };
}

/** Distinct values, none zero: no ties for max pooling, no kinks for relu. */
function distinct(shape: number[], seed: number): Input {
  return { shape, values: distinctValues(shape.reduce((a, b) => a * b, 1), seed, 0.01) };
}

/**
 * Runs f on leaves made from the same values on each device, then backward (a loss directly, any
 * other output with the same non-uniform upstream gradient), and compares the output and every input's
 * gradient. The CUDA gradients must be on 'cuda'.
 */
function compareOp(name: string, inputs: Record<string, Input>, f: (t: Record<string, at.Tensor>) => at.Tensor, tol = 1e-5): void {
  const run = (device: at.Device) => {
    const t: Record<string, at.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) {
      t[k] = at.tensor(v.values.slice(), v.shape, { device, requiresGrad: v.grad ?? true });
    }
    const y = f(t);
    expect(y.requiresGrad, `${name}: output records a graph on ${device}`).toBe(true);
    if (y.shape.length === 0) y.backward();
    else y.backward(at.tensor(seededValues(y.numel, 12345), y.shape, { device }));
    return { t, y };
  };
  const cpu = run('cpu');
  const gpu = run('cuda');
  expectMatch(`${name} forward`, gpu.y, cpu.y, tol);
  for (const [k, v] of Object.entries(inputs)) {
    if (v.grad ?? true) expectMatch(`${name} d/d${k}`, gpu.t[k].grad, cpu.t[k].grad, tol);
  }
}

describe.skipIf(!info.cuda)(`on cuda (${info.cuda ? info.cudaDevice : info.cudaReason})`, () => {
  describe('transfers and factories', () => {
    it("to('cuda'), to('cpu'), toFloat32Array() and item() round-trip values bit-exactly (NaN, ±Infinity, -0, denormals too)", () => {
      // Ordinary values and the special ones a byte copy must keep: NaN, ±Infinity, -0, denormals, extremes.
      const special = Float32Array.of(NaN, Infinity, -Infinity, -0, 0, 1e-45, -1.17e-38, 3.4028234e38, -3.4028234e38, 1 / 3);
      const values = new Float32Array(1000 + special.length);
      values.set(seededValues(1000, 1, -1e6, 1e6));
      values.set(special, 1000);
      const cpu = at.tensor(values.slice(), [values.length]);
      const gpu = cpu.to('cuda');
      expect(gpu.device).toBe('cuda');
      expect(cpu.device).toBe('cpu');
      expect(gpu.shape).toEqual(cpu.shape);
      expect(gpu.numel).toBe(cpu.numel);
      expect(gpu.dtype).toBe('float32');
      expect(String(gpu)).toContain('device=cuda');
      expect(bits(gpu.toFloat32Array())).toEqual(bits(values));
      const back = gpu.to('cpu');
      expect(back.device).toBe('cpu');
      expect(bits(back.toFloat32Array())).toEqual(bits(values));
      // A second copy on the device, and a reshape there (a view: same storage, still on cuda).
      const again = back.to('cuda').reshape([values.length / 2, 2]);
      expect(again.device).toBe('cuda');
      expect(bits(again.toFloat32Array())).toEqual(bits(values));
      // toFloat32Array() is a copy: writing it changes nothing on the device.
      const copy = gpu.toFloat32Array();
      copy.fill(7);
      expect(bits(gpu.toFloat32Array())).toEqual(bits(values));
      // to() onto the tensor's own device is the tensor itself, as PyTorch.
      expect(gpu.to('cuda')).toBe(gpu);
      expect(cpu.to('cpu')).toBe(cpu);
      // item() reads one element back from the device, bit for bit.
      for (const v of [Math.fround(-2.75e-3), -0, NaN, Infinity]) {
        expect(Object.is(at.tensor([v], [], { device: 'cuda' }).item(), v)).toBe(true);
      }
      expect(() => gpu.item()).toThrow(RangeError);
    });

    it("factories with { device: 'cuda' } give the same values as on the CPU, on cuda", () => {
      const check = (t: at.Tensor, ref: at.Tensor, requiresGrad: boolean) => {
        expect(t.device).toBe('cuda');
        expect(t.shape).toEqual(ref.shape);
        expect(t.requiresGrad).toBe(requiresGrad);
        expect(t.isLeaf).toBe(true);
        expect(bits(t.toFloat32Array())).toEqual(bits(ref.toFloat32Array()));
      };
      check(at.zeros([3, 4], { device: 'cuda' }), at.zeros([3, 4]), false);
      check(at.ones([2, 3, 5], { device: 'cuda', requiresGrad: true }), at.ones([2, 3, 5]), true);
      check(at.tensor([[1, 2, 3], [4, 5, 6]], null, { device: 'cuda' }), at.tensor([[1, 2, 3], [4, 5, 6]]), false);
      check(at.tensor(Int32Array.of(-3, 0, 9, 2 ** 24 + 1), [2, 2], { device: 'cuda' }), at.tensor(Int32Array.of(-3, 0, 9, 2 ** 24 + 1), [2, 2]), false);
      check(at.tensor(2.5, null, { device: 'cuda' }), at.tensor(2.5), false);
      // Seeded draws: the same stream whichever device the tensor lands on.
      at.manualSeed(11);
      const r = at.rand([64], { device: 'cuda' });
      const n = at.randn([8, 8], { device: 'cuda', requiresGrad: true });
      at.manualSeed(11);
      check(r, at.rand([64]), false);
      check(n, at.randn([8, 8]), true);
      // A Float32Array given for 'cuda' is uploaded: the caller's array is not the storage.
      const data = Float32Array.of(1, 2, 3);
      const t = at.tensor(data, [3], { device: 'cuda' });
      data[0] = 100;
      expect(Array.from(t.toFloat32Array())).toEqual([1, 2, 3]);
      // Empty tensors live on the device too.
      const empty = at.zeros([0, 3], { device: 'cuda' });
      expect(empty.device).toBe('cuda');
      expect(empty.toFloat32Array().length).toBe(0);
    });

    it('views, detach and noGrad keep tensors on cuda; to() is differentiable across devices', () => {
      const x = at.tensor(seededValues(24, 3), [2, 3, 4], { device: 'cuda', requiresGrad: true });
      expect(x.flatten(1).device).toBe('cuda');
      expect(x.reshape([4, -1]).device).toBe('cuda');
      expect(x.detach().device).toBe('cuda');
      expect(x.detach().requiresGrad).toBe(false);
      const y = at.noGrad(() => x.mul(2));
      expect(y.device).toBe('cuda');
      expect(y.requiresGrad).toBe(false);

      // d/dx sum(to(x) * w) = w, delivered on x's own device, both ways.
      const w = seededValues(24, 4);
      const cpuLeaf = at.tensor(seededValues(24, 5), [2, 3, 4], { requiresGrad: true });
      cpuLeaf.to('cuda').mul(at.tensor(w, [2, 3, 4], { device: 'cuda' })).sum().backward();
      expect(cpuLeaf.grad?.device).toBe('cpu');
      expect(bits(cpuLeaf.grad!.toFloat32Array())).toEqual(bits(w));
      const cudaLeaf = at.tensor(seededValues(24, 5), [2, 3, 4], { device: 'cuda', requiresGrad: true });
      cudaLeaf.to('cpu').mul(at.tensor(w, [2, 3, 4])).sum().backward();
      expect(cudaLeaf.grad?.device).toBe('cuda');
      expect(bits(cudaLeaf.grad!.toFloat32Array())).toEqual(bits(w));
      // A second backward accumulates into the grad already on the device.
      cudaLeaf.to('cpu').mul(at.tensor(w, [2, 3, 4])).sum().backward();
      expect(cudaLeaf.grad?.device).toBe('cuda');
      expect(bits(cudaLeaf.grad!.toFloat32Array())).toEqual(bits(Float32Array.from(w, (v) => 2 * v)));
    });
  });

  describe('ops: forward values and gradients match the CPU backend', () => {
    it('conv1d: stride, padding (number, same, causal), dilation, groups, depthwise, with and without bias', () => {
      type Case = [string, number[], number[], boolean, at.ConvOptions];
      const cases: Case[] = [
        ['plain', [2, 4, 16], [6, 4, 3], true, {}],
        ['stride 2, padding 1', [2, 4, 17], [6, 4, 3], true, { stride: 2, padding: 1 }],
        ["dilation 3, padding 'same'", [2, 3, 20], [5, 3, 3], true, { dilation: 3, padding: 'same' }],
        ["even kernel, padding 'same' (extra pad on the right)", [2, 3, 13], [4, 3, 4], false, { dilation: 2, padding: 'same' }],
        ['groups 2, stride 3, dilation 2, padding 2', [3, 4, 19], [6, 2, 3], true, { groups: 2, stride: 3, dilation: 2, padding: 2 }],
        ["depthwise, causal, dilation 4", [2, 4, 24], [4, 1, 3], false, { groups: 4, padding: 'causal', dilation: 4 }],
        ['depthwise ×2 channels, causal, stride 2', [2, 3, 15], [6, 1, 5], true, { groups: 3, padding: 'causal', stride: 2 }],
        ['pointwise (k = 1)', [2, 6, 10], [4, 6, 1], true, {}],
        // N·L = 600 columns: the weight gradient is cut into K slices on the device.
        ['long sequence', [2, 3, 300], [4, 3, 5], true, { padding: 'same', dilation: 2 }],
      ];
      cases.forEach(([name, xs, ws, bias, opts], i) =>
        compareOp(`conv1d ${name}`, { x: input(xs, 10 * i + 1), w: input(ws, 10 * i + 2), ...(bias ? { b: input([ws[0]], 10 * i + 3) } : {}) },
          (t) => at.conv1d(t.x, t.w, t.b ?? null, opts)));
    });

    it('conv2d: stride, padding (pairs, same, valid), dilation, groups, depthwise, pointwise, with and without bias', () => {
      type Case = [string, number[], number[], boolean, at.ConvOptions];
      const cases: Case[] = [
        ['3×3, padding 1', [2, 3, 9, 10], [5, 3, 3, 3], true, { padding: 1 }],
        ['stride [2, 1], padding [1, 2], dilation [2, 3]', [2, 3, 11, 12], [4, 3, 3, 3], true, { stride: [2, 1], padding: [1, 2], dilation: [2, 3] }],
        ['groups 2, stride 2, dilation 2, padding 2', [2, 4, 11, 11], [6, 2, 3, 3], true, { groups: 2, stride: 2, dilation: 2, padding: 2 }],
        ["depthwise, padding 'same', dilation 2", [2, 4, 10, 10], [4, 1, 3, 3], false, { groups: 4, padding: 'same', dilation: 2 }],
        ['depthwise ×2 channels, stride 2', [2, 4, 9, 9], [8, 1, 3, 3], true, { groups: 4, stride: 2, padding: 1 }],
        ['pointwise 1×1', [2, 6, 7, 5], [4, 6, 1, 1], true, {}],
        ['1×1 with stride 2 (not pointwise)', [2, 4, 8, 8], [3, 4, 1, 1], true, { stride: 2 }],
        ["5×3 kernel, padding 'valid', no bias", [3, 2, 9, 8], [3, 2, 5, 3], false, { padding: 'valid' }],
        ["even 2×4 kernel, padding 'same'", [2, 2, 7, 9], [3, 2, 2, 4], true, { padding: 'same', dilation: [1, 2] }],
        // N·OH·OW = 1024 columns: the weight gradient is cut into K slices on the device.
        ["16×16, padding 'same'", [4, 3, 16, 16], [8, 3, 3, 3], true, { padding: 'same' }],
      ];
      cases.forEach(([name, xs, ws, bias, opts], i) =>
        compareOp(`conv2d ${name}`, { x: input(xs, 10 * i + 101), w: input(ws, 10 * i + 102), ...(bias ? { b: input([ws[0]], 10 * i + 103) } : {}) },
          (t) => at.conv2d(t.x, t.w, t.b ?? null, opts)));
    });

    it('linear (the GEMM) over 2-d and 3-d inputs, with and without bias, and tiles larger than one block', () => {
      compareOp('linear 2-d', { x: input([5, 7], 201), w: input([3, 7], 202), b: input([3], 203) }, (t) => at.linear(t.x, t.w, t.b));
      compareOp('linear 3-d, no bias', { x: input([2, 4, 6], 204), w: input([5, 6], 205) }, (t) => at.linear(t.x, t.w));
      // 130 rows and 140 outputs: more than one 128×128 tile of the output in both dims.
      compareOp('linear 130×70 → 140', { x: input([130, 70], 206), w: input([140, 70], 207), b: input([140], 208) }, (t) => at.linear(t.x, t.w, t.b));
      compareOp('linear of one row', { x: input([1, 9], 209), w: input([1, 9], 210), b: input([1], 211) }, (t) => at.linear(t.x, t.w, t.b));
    });

    it('relu, add, sub, mul (tensor and number), reshape and flatten, chained', () => {
      const shape = [3, 4, 5];
      compareOp('relu', { x: distinct(shape, 301) }, (t) => at.relu(t.x));
      compareOp('Tensor.relu', { x: distinct(shape, 302) }, (t) => t.x.relu());
      compareOp('add', { a: input(shape, 303), b: input(shape, 304) }, (t) => t.a.add(t.b));
      compareOp('sub', { a: input(shape, 305), b: input(shape, 306) }, (t) => t.a.sub(t.b));
      compareOp('mul', { a: input(shape, 307), b: input(shape, 308) }, (t) => t.a.mul(t.b));
      compareOp('add, sub, mul by numbers', { a: input(shape, 309) }, (t) => t.a.add(0.75).sub(-1.5).mul(-2.25));
      compareOp('x * x (both inputs one tensor)', { a: input(shape, 310) }, (t) => t.a.mul(t.a));
      compareOp('reshape and flatten', { a: input(shape, 311), b: input([60], 312) }, (t) => t.a.reshape([12, 5]).flatten(0).mul(t.b));
      // A graph where a gradient arrives at one tensor along two paths (summed on the device).
      compareOp('diamond', { a: distinct(shape, 313) }, (t) => {
        const h = t.a.mul(1.5).relu();
        return h.mul(h.sub(0.5)).add(t.a);
      });
    });

    it('sum and mean, small and over enough elements for many device blocks', () => {
      compareOp('sum', { x: input([3, 5], 401) }, (t) => t.x.sum());
      compareOp('mean', { x: input([3, 5], 402) }, (t) => t.x.mean());
      compareOp('sum of 100003', { x: input([100003], 403) }, (t) => t.x.sum());
      compareOp('mean of 100003 times a weight', { x: input([100003], 404), w: input([100003], 405) }, (t) => t.x.mul(t.w).mean());
      // A 0-d result's backward seeds 1 on the device; a scalar chain keeps it there.
      compareOp('sum then mul then mean', { x: input([4, 4], 406) }, (t) => t.x.sum().mul(3).mean());
    });

    it('maxPool2d: 2×2 stride 2, overlapping windows with padding, odd sizes, rectangular', () => {
      type Case = [string, number[], at.IntOrPair, at.IntOrPair | undefined, at.IntOrPair];
      const cases: Case[] = [
        ['2×2 stride 2', [2, 3, 8, 8], 2, undefined, 0],
        ['2×2 stride 2 on odd sizes', [2, 3, 9, 7], 2, undefined, 0],
        // Overlapping windows: one input can be the max of several outputs (gradients add up).
        ['3×3 stride 1 padding 1', [2, 2, 7, 7], 3, 1, 1],
        ['3×3 stride 2 padding 1', [2, 3, 9, 10], 3, 2, 1],
        ['[3, 2] kernel, stride [1, 2], padding [1, 0]', [1, 4, 6, 8], [3, 2], [1, 2], [1, 0]],
      ];
      cases.forEach(([name, xs, k, s, p], i) => compareOp(`maxPool2d ${name}`, { x: distinct(xs, 501 + i) }, (t) => at.maxPool2d(t.x, k, s, p)));
    });

    it('avgPool2d (padded zeros count) and adaptiveAvgPool2d (windows that overlap and do not divide)', () => {
      compareOp('avgPool2d 2×2', { x: input([2, 3, 8, 8], 601) }, (t) => at.avgPool2d(t.x, 2));
      compareOp('avgPool2d 3×3 stride 2 padding 1', { x: input([2, 3, 9, 10], 602) }, (t) => at.avgPool2d(t.x, 3, 2, 1));
      compareOp('avgPool2d [2, 3] stride 1 padding [1, 1]', { x: input([1, 2, 5, 6], 603) }, (t) => at.avgPool2d(t.x, [2, 3], 1, [1, 1]));
      compareOp('adaptiveAvgPool2d to 1×1', { x: input([2, 4, 7, 9], 604) }, (t) => at.adaptiveAvgPool2d(t.x, [1, 1]));
      compareOp('adaptiveAvgPool2d 7×9 to [3, 4]', { x: input([2, 3, 7, 9], 605) }, (t) => at.adaptiveAvgPool2d(t.x, [3, 4]));
      compareOp('adaptiveAvgPool2d 5×5 to [7, 6] (upsampling windows)', { x: input([1, 2, 5, 5], 606) }, (t) => at.adaptiveAvgPool2d(t.x, [7, 6]));
    });

    it('batch norm: training (batch statistics, running statistics updated) and eval, through nn.BatchNorm2d', () => {
      for (const [name, opts] of [['momentum 0.1', {}], ['cumulative average (momentum null)', { momentum: null }]] as const) {
        const make = (device: at.Device) => {
          const bn = new at.nn.BatchNorm2d(3, opts);
          // Non-trivial affine parameters, the same on both devices.
          bn.loadStateDict({ ...bn.stateDict(), weight: at.tensor(seededValues(3, 701, 0.5, 1.5), [3]), bias: at.tensor(seededValues(3, 702), [3]) });
          return bn.to(device);
        };
        const cpu = make('cpu');
        const gpu = make('cuda');
        const on = (t: at.Tensor) => (t.device === 'cuda' ? gpu : cpu);
        // Two training batches (the running statistics move twice), with gradients for x, weight, bias.
        for (const step of [0, 1]) {
          cpu.zeroGrad();
          gpu.zeroGrad();
          const x = { shape: [4, 3, 5, 6], values: seededValues(360, 703 + step, -2, 3) };
          compareOp(`batchNorm2d train ${name} step ${step}`, { x }, (t) => on(t.x).forward(t.x));
          expectMatch(`batchNorm2d ${name} d/dweight`, gpu.weight!.grad, cpu.weight!.grad, 1e-5);
          expectMatch(`batchNorm2d ${name} d/dbias`, gpu.bias!.grad, cpu.bias!.grad, 1e-5);
        }
        const gsd = gpu.stateDict();
        const csd = cpu.stateDict();
        for (const k of ['running_mean', 'running_var']) expectMatch(`batchNorm2d ${name} ${k}`, gsd[k], csd[k], 1e-6);
        expect(gsd.num_batches_tracked.device).toBe('cuda');
        expect(gsd.num_batches_tracked.item()).toBe(2);
        // Eval: the running statistics normalise; the gradient flows through them as constants.
        cpu.eval();
        gpu.eval();
        compareOp(`batchNorm2d eval ${name}`, { x: input([2, 3, 4, 4], 710) }, (t) => on(t.x).forward(t.x));
        expect(gpu.stateDict().num_batches_tracked.item()).toBe(2);
      }
      // The functional form without affine parameters, and many pixels per channel (several partial sums).
      const stats = { runningMean: null, runningVar: null };
      compareOp('batchNorm2d functional, no affine, 2×4×40×40', { x: input([2, 4, 40, 40], 720) }, (t) => at.nn.batchNorm2d(t.x, null, null, stats, true, 0, 1e-5));
    });

    it('dropout: with one seed the CUDA mask is the CPU mask, bit for bit; the gradient uses it', () => {
      // lib/ops/dropout.ts: the generator is counter-based and the CUDA kernel reproduces the CPU's bits
      // (lib/native/addon-api.ts: "uniform and dropout bit-identical to the CPU").
      for (const p of [0.1, 0.5, 0.9]) {
        const values = input([4, 5, 6, 7], 801);
        at.manualSeed(99);
        const cpu = at.dropout(at.tensor(values.values.slice(), values.shape, { requiresGrad: true }), p, true);
        at.manualSeed(99);
        const gpu = at.dropout(at.tensor(values.values.slice(), values.shape, { device: 'cuda', requiresGrad: true }), p, true);
        expect(gpu.device).toBe('cuda');
        const zerosOf = (t: at.Tensor) => Array.from(t.toFloat32Array(), (v) => v === 0);
        expect(zerosOf(gpu)).toEqual(zerosOf(cpu));
        const dropped = zerosOf(cpu).filter(Boolean).length / cpu.numel;
        expect(Math.abs(dropped - p)).toBeLessThan(0.05); // a real mask, not all or nothing
        expectMatch(`dropout p=${p}`, gpu, cpu, 1e-7);
      }
      // Seeds and stream offsets past 2^32 (up to the 2^53 limit): the device's counters must not be 32-bit.
      for (const [seed, offset] of [[2 ** 53 - 1, 0], [12345, 2 ** 32 - 7], [2 ** 40 + 3, 2 ** 45 - 9], [7, 2 ** 53 - 20]]) {
        const mask = (device: at.Device) => {
          setRandomState({ seed, offset });
          return Array.from(at.dropout(at.ones([40], { device }), 0.5, true).toFloat32Array(), (v) => (v === 0 ? 0 : 1)).join('');
        };
        expect(mask('cuda'), `seed ${seed}, offset ${offset}`).toBe(mask('cpu'));
      }
      compareOp('dropout p=0.3 gradient', { x: input([3, 50], 802) }, (t) => {
        at.manualSeed(5); // each device draws the same counters
        return at.dropout(t.x, 0.3, true);
      });
      // p = 1 zeroes everything; eval and p = 0 are the identity; all stay on cuda.
      const x = at.tensor(seededValues(10, 803), [10], { device: 'cuda' });
      expect(Array.from(at.dropout(x, 1, true).toFloat32Array())).toEqual(new Array(10).fill(0));
      expect(at.dropout(x, 1, true).device).toBe('cuda');
      expect(at.dropout(x, 0.5, false)).toBe(x);
      expect(at.dropout(x, 0, true)).toBe(x);
    });

    it('crossEntropy (number[] and Int32Array targets, large logits) and mseLoss (gradients for both sides)', () => {
      const targets = [2, 0, 4, 4, 1, 3];
      compareOp('crossEntropy', { logits: input([6, 5], 901) }, (t) => at.crossEntropy(t.logits, targets));
      compareOp('crossEntropy, Int32Array targets', { logits: input([6, 5], 902) }, (t) => at.crossEntropy(t.logits, Int32Array.from(targets)));
      // Logits of ±60: softmax must subtract the row max on the device too.
      compareOp('crossEntropy, large logits', { logits: input([6, 5], 903) }, (t) => at.crossEntropy(t.logits.mul(60), targets));
      compareOp('crossEntropy, one class', { logits: input([3, 1], 904) }, (t) => at.crossEntropy(t.logits, [0, 0, 0]));
      compareOp('crossEntropy then scaled', { logits: input([4, 10], 905) }, (t) => at.crossEntropy(t.logits, [9, 0, 3, 7]).mul(2.5));
      compareOp('mseLoss', { a: input([4, 3, 2], 906), b: input([4, 3, 2], 907) }, (t) => at.mseLoss(t.a, t.b));
      compareOp('mseLoss, target without grad', { a: input([7], 908), b: input([7], 909, false) }, (t) => at.mseLoss(t.a, t.b).mul(0.5));
    });

    it('sequence ops (transposeBatched and GEMM on the device): channelsLast, lastStep, and a TCN through them', () => {
      compareOp('channelsLast', { x: input([3, 5, 7], 1001) }, (t) => channelsLast(t.x));
      // Bigger than one 32×32 transpose tile in both dims.
      compareOp('channelsLast 2×40×70', { x: input([2, 40, 70], 1002) }, (t) => channelsLast(t.x));
      compareOp('lastStep', { x: input([3, 5, 7], 1003) }, (t) => lastStep(t.x));
      compareOp('channelsLast then linear then crossEntropy', { x: input([2, 4, 6], 1004), w: input([3, 4], 1005) }, (t) =>
        at.crossEntropy(at.linear(channelsLast(t.x), t.w), [0, 1, 2, 0, 1, 2, 2, 1, 0, 2, 1, 0]));
      // A small TCN (causal dilated conv1d, residual adds, both readouts) from the same weights.
      for (const readout of ['last', 'each'] as const) {
        at.manualSeed(17);
        const cpu = new Tcn({ inChannels: 2, hidden: 4, levels: 2, kernel: 3, outputs: 3, readout });
        at.manualSeed(17);
        const gpu = new Tcn({ inChannels: 2, hidden: 4, levels: 2, kernel: 3, outputs: 3, readout }).to('cuda');
        compareOp(`Tcn readout ${readout}`, { x: input([2, 2, 12], 1006) }, (t) => (t.x.device === 'cuda' ? gpu : cpu).forward(t.x));
        const gpuParams = new Map(gpu.namedParameters());
        for (const [name, p] of cpu.namedParameters()) expectMatch(`Tcn ${readout} ${name}.grad`, gpuParams.get(name)!.grad, p.grad, 1e-5);
      }
    });

    it('weight norm on a device weight (computed on a host copy, results uploaded): values and both gradients, and a weight-normed TCN', () => {
      compareOp('weightNormed dim 0', { v: input([4, 3, 3], 1007), g: input([4, 1, 1], 1008) }, (t) => weightNormed(t.v, t.g));
      compareOp('weightNormed dim null', { v: input([5, 2], 1009), g: input([], 1010) }, (t) => weightNormed(t.v, t.g, null));
      compareOp('normExceptDim', { v: input([3, 7], 1011) }, (t) => normExceptDim(t.v));
      at.manualSeed(18);
      const cpu = new Tcn({ inChannels: 2, hidden: 4, levels: 2, kernel: 3, outputs: 3, readout: 'last', weightNorm: true });
      at.manualSeed(18);
      const gpu = new Tcn({ inChannels: 2, hidden: 4, levels: 2, kernel: 3, outputs: 3, readout: 'last', weightNorm: true }).to('cuda');
      compareOp('weight-normed Tcn', { x: input([2, 2, 12], 1012) }, (t) => (t.x.device === 'cuda' ? gpu : cpu).forward(t.x));
      const gpuParams = new Map(gpu.namedParameters());
      for (const [name, p] of cpu.namedParameters()) {
        expect(gpuParams.get(name)!.device, `${name} stays on the device`).toBe('cuda');
        expectMatch(`weight-normed Tcn ${name}.grad`, gpuParams.get(name)!.grad, p.grad, 1e-5);
      }
    });

    it('clipGradNorm scales gradients on the device as on the CPU', () => {
      const run = (device: at.Device) => {
        const a = at.tensor(seededValues(30, 1101), [5, 6], { device, requiresGrad: true });
        const b = at.tensor(seededValues(4, 1102), [4], { device, requiresGrad: true });
        a.mul(3).sum().add(b.mul(b).sum()).backward();
        const norm = at.optim.clipGradNorm([a, b], 1.5);
        return { norm, a, b };
      };
      const cpu = run('cpu');
      const gpu = run('cuda');
      expect(Math.abs(gpu.norm - cpu.norm) / cpu.norm).toBeLessThan(1e-6);
      expect(cpu.norm).toBeGreaterThan(1.5); // so the clip did scale
      expectMatch('clipped a.grad', gpu.a.grad, cpu.a.grad, 1e-6);
      expectMatch('clipped b.grad', gpu.b.grad, cpu.b.grad, 1e-6);
    });
  });

  it('an op given a CPU tensor and a CUDA tensor throws an Error naming the op and both devices', () => {
    const c = (shape: number[]) => at.tensor(seededValues(shape.reduce((a, b) => a * b, 1), 1201), shape);
    const g = (shape: number[]) => c(shape).to('cuda');
    // expectDevice's message (lib/core/shape-checks.ts): "<op>: <arg> is on '<dev>' but <ref> is on '<dev>': ...".
    const mixed = (fn: () => unknown, message: RegExp) => {
      let caught: unknown;
      try {
        fn();
      } catch (e) {
        caught = e;
      }
      expect(caught, `no error for ${message}`).toBeInstanceOf(Error);
      expect((caught as Error).message).toMatch(message);
      expect((caught as Error).message).toMatch(/one device/);
    };
    mixed(() => at.conv2d(c([1, 2, 5, 5]), g([3, 2, 3, 3])), /^conv2d: weight is on 'cuda' but input is on 'cpu'/);
    mixed(() => at.conv2d(g([1, 2, 5, 5]), c([3, 2, 3, 3])), /^conv2d: weight is on 'cpu' but input is on 'cuda'/);
    mixed(() => at.conv2d(g([1, 2, 5, 5]), g([3, 2, 3, 3]), c([3])), /^conv2d: bias is on 'cpu' but input is on 'cuda'/);
    mixed(() => at.conv1d(c([1, 2, 5]), g([3, 2, 3]), null, { padding: 'causal' }), /^conv1d: weight is on 'cuda' but input is on 'cpu'/);
    mixed(() => at.conv1d(g([1, 2, 5]), g([3, 2, 3]), c([3])), /^conv1d: bias is on 'cpu' but input is on 'cuda'/);
    mixed(() => at.linear(g([2, 4]), c([3, 4])), /^linear: weight is on 'cpu' but x is on 'cuda'/);
    mixed(() => at.linear(c([2, 4]), c([3, 4]), g([3])), /^linear: bias is on 'cuda' but x is on 'cpu'/);
    mixed(() => g([6]).add(c([6])), /^Tensor\.add: other is on 'cpu' but this tensor is on 'cuda'/);
    mixed(() => c([6]).sub(g([6])), /^Tensor\.sub: other is on 'cuda' but this tensor is on 'cpu'/);
    mixed(() => g([6]).mul(c([6])), /^Tensor\.mul: other is on 'cpu' but this tensor is on 'cuda'/);
    mixed(() => at.mseLoss(c([6]), g([6])), /^mseLoss: b is on 'cuda' but a is on 'cpu'/);
    mixed(() => at.nn.batchNorm2d(g([2, 3, 2, 2]), c([3]), null, { runningMean: null, runningVar: null }, true, 0, 1e-5),
      /^batchNorm2d: weight is on 'cpu' but x is on 'cuda'/);
    // Layers moved to cuda, given a CPU input.
    mixed(() => new at.nn.Linear(4, 3).to('cuda').forward(c([2, 4])), /^linear: weight is on 'cuda' but x is on 'cpu'/);
    mixed(() => new at.nn.Conv2d(2, 3, 3).to('cuda').forward(c([1, 2, 5, 5])), /^conv2d: weight is on 'cuda' but input is on 'cpu'/);
    mixed(() => new at.nn.BatchNorm2d(3).to('cuda').forward(c([2, 3, 2, 2])), /^batchNorm2d: weight is on 'cuda' but x is on 'cpu'/);
    // backward's upstream gradient on the other device.
    const y = g([3]);
    y.requiresGrad = true;
    expect(() => y.mul(2).backward(c([3]))).toThrow(/^Tensor\.backward: grad expects a tensor on 'cuda' \(this tensor's device\), but it is on 'cpu'/);
    expect(y.grad).toBeNull(); // nothing ran
    // The process goes on: the same op with both tensors on one device works.
    expect(at.conv2d(g([1, 2, 5, 5]), g([3, 2, 3, 3])).shape).toEqual([1, 3, 3, 3]);
  });

  describe('training a model moved with Module.to', () => {
    // Conv (no bias before BatchNorm: its gradient would be rounding noise), BatchNorm, ReLU, max pool,
    // a grouped dilated conv, adaptive average pool, Linear.
    function makeModel(seed: number): at.nn.Sequential {
      at.manualSeed(seed);
      return new at.nn.Sequential(
        new at.nn.Conv2d(3, 6, 3, { padding: 1, bias: false }),
        new at.nn.BatchNorm2d(6),
        new at.nn.ReLU(),
        new at.nn.MaxPool2d(2),
        new at.nn.Conv2d(6, 8, 3, { padding: 2, dilation: 2, groups: 2 }),
        new at.nn.ReLU(),
        new at.nn.AdaptiveAvgPool2d([2, 2]),
        new at.nn.Flatten(),
        new at.nn.Linear(32, 5),
      );
    }

    const batches = [0, 1, 2].map((i) => ({
      x: at.tensor(seededValues(4 * 3 * 12 * 12, 1300 + i, -2, 2), [4, 3, 12, 12]),
      targets: [i % 5, (i + 1) % 5, (i + 3) % 5, 4],
    }));

    type MakeOptimizer = (params: at.Tensor[]) => at.optim.Optimizer<{ lr: number }>;

    function train(model: at.nn.Module, device: at.Device, makeOptimizer: MakeOptimizer) {
      const optimizer = makeOptimizer(model.parameters());
      const losses: number[] = [];
      for (const b of batches) {
        optimizer.zeroGrad();
        const loss = at.crossEntropy(model.forward(b.x.to(device)) as at.Tensor, b.targets);
        expect(loss.device).toBe(device);
        loss.backward();
        optimizer.step();
        losses.push(loss.item());
      }
      return { losses, optimizer };
    }

    /** Every parameter, gradient, buffer and optimizer state buffer of a device-trained model is on cuda. */
    function expectAllOnCuda(model: at.nn.Module, optimizer: at.optim.Optimizer<{ lr: number }>): void {
      for (const [name, p] of model.namedParameters()) {
        expect(p.device, name).toBe('cuda');
        expect(p.grad?.device, `${name}.grad`).toBe('cuda');
      }
      for (const [name, b] of model.namedBuffers()) expect(b.device, name).toBe('cuda');
      expect(optimizer.state.size).toBe(model.parameters().length);
      for (const [p, state] of optimizer.state) {
        for (const [key, v] of Object.entries(state)) {
          if (typeof v !== 'number') expect(deviceOf(v), `optimizer state ${key} of a ${p.shape} parameter`).toBe('cuda');
        }
      }
      for (const [index, entry] of Object.entries(optimizer.stateDict().state)) {
        for (const [key, v] of Object.entries(entry)) if (v instanceof at.Tensor) expect(v.device, `stateDict state[${index}].${key}`).toBe('cuda');
      }
    }

    /** A module holding one tensor as its parameter (for expectAllOnCuda on a bare optimizer). */
    class ParamHolder extends at.nn.Module {
      constructor(public p: at.Tensor) {
        super();
      }
    }

    function compareStates(what: string, gpu: at.nn.Module, cpu: at.nn.Module, tol: number): void {
      const g = gpu.stateDict();
      const c = cpu.stateDict();
      expect(Object.keys(g)).toEqual(Object.keys(c));
      for (const k of Object.keys(c)) expectMatch(`${what} ${k}`, g[k], c[k], tol);
    }

    it('3 steps of SGD (momentum 0.9): losses within 1e-5 and final parameters within 1e-5 of the CPU run', () => {
      const cpu = makeModel(21);
      const gpu = makeModel(21).to('cuda');
      compareStates('initial', gpu, cpu, 0); // manualSeed: the same initial weights, moved exactly
      const sgd: MakeOptimizer = (params) => new at.optim.SGD(params, { lr: 0.1, momentum: 0.9 });
      const c = train(cpu, 'cpu', sgd);
      const g = train(gpu, 'cuda', sgd);
      const initial = makeModel(21).stateDict();
      for (const [k, t] of Object.entries(cpu.stateDict())) {
        if (k.endsWith('weight')) expect(relL2(t.toFloat32Array(), initial[k].toFloat32Array()), `${k} moved`).toBeGreaterThan(1e-3);
      }
      for (let i = 0; i < 3; i++) expect(Math.abs(g.losses[i] - c.losses[i]) / c.losses[i], `loss ${i}`).toBeLessThanOrEqual(1e-5);
      compareStates('after SGD', gpu, cpu, 1e-5);
      for (const [name, p] of cpu.namedParameters()) expectMatch(`${name}.grad`, new Map(gpu.namedParameters()).get(name)!.grad, p.grad, 1e-4);
      expectAllOnCuda(gpu, g.optimizer);
    });

    it('3 steps of Adam: losses within 1e-3 and parameters within sign-flip bounds of the CPU run', () => {
      // Adam's first update is lr·sign(g) for every weight, whatever |g|: a gradient within rounding of
      // zero (the two devices sum in another order) can flip a whole lr step, which later steps carry
      // on. So Adam is compared loosely: the losses within 1e-3; each weight within 3 steps of a flip
      // (2·lr each); all weights together within 1e-2 relative L2 (one flipped weight in a small tensor,
      // e.g. a BatchNorm bias near 0, could exceed any per-tensor bound). SGD above is the tight check of
      // the same forward and backward kernels; the Adam kernel itself is checked exactly further down.
      const lr = 1e-2;
      const cpu = makeModel(22);
      const gpu = makeModel(22).to('cuda');
      const adam: MakeOptimizer = (params) => new at.optim.Adam(params, { lr });
      const c = train(cpu, 'cpu', adam);
      const g = train(gpu, 'cuda', adam);
      for (let i = 0; i < 3; i++) expect(Math.abs(g.losses[i] - c.losses[i]) / c.losses[i], `loss ${i}`).toBeLessThanOrEqual(1e-3);
      const gsd = gpu.stateDict();
      const all: [number[], number[]] = [[], []];
      for (const [name, p] of cpu.namedParameters()) {
        expect(gsd[name].device).toBe('cuda');
        const a = gsd[name].toFloat32Array();
        const e = p.toFloat32Array();
        const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - e[i])), 0);
        expect(worst, `${name}: largest element difference`).toBeLessThanOrEqual(3 * 2 * lr);
        all[0].push(...a);
        all[1].push(...e);
      }
      expect(relL2(all[0], all[1]), 'every parameter together').toBeLessThanOrEqual(1e-2);
      expectAllOnCuda(gpu, g.optimizer);
      for (const s of g.optimizer.state.values()) expect(s.step).toBe(3);
    });

    it('DilatedCnn with dropout on: the same masks on both devices, so 3 SGD steps agree', () => {
      // Dropout draws from the global stream: reseeding before each run gives both the same counters,
      // and the CUDA mask reproduces the CPU's bits, so even a model with dropout trains identically.
      const opts = { imageSize: [8, 8] as [number, number], widths: [4, 6] as [number, number], hidden: 12, numClasses: 4, dropout: 0.25 };
      const x = at.tensor(seededValues(4 * 64, 1400, -1, 1), [4, 1, 8, 8]);
      const targets = [3, 1, 0, 2];
      const run = (device: at.Device) => {
        at.manualSeed(23);
        const model = new DilatedCnn(opts).to(device);
        const optimizer = new at.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
        const losses: number[] = [];
        for (let i = 0; i < 3; i++) {
          optimizer.zeroGrad();
          const loss = at.crossEntropy(model.forward(x.to(device)), targets);
          loss.backward();
          optimizer.step();
          losses.push(loss.item());
        }
        return { model, optimizer, losses };
      };
      const cpu = run('cpu');
      const gpu = run('cuda');
      for (let i = 0; i < 3; i++) expect(Math.abs(gpu.losses[i] - cpu.losses[i]) / cpu.losses[i], `loss ${i}`).toBeLessThanOrEqual(1e-5);
      compareStates('DilatedCnn after SGD', gpu.model, cpu.model, 1e-5);
      expectAllOnCuda(gpu.model, gpu.optimizer);
      // Eval on the device: BatchNorm's running statistics, dropout off.
      gpu.model.eval();
      cpu.model.eval();
      const logits = at.noGrad(() => gpu.model.forward(x.to('cuda')));
      expectMatch('DilatedCnn eval logits', logits, at.noGrad(() => cpu.model.forward(x)), 1e-5);
    });

    it('DilatedCnn moved to cuda: featureSize() probes on the device and newHead() is built there (fine-tuning by hand)', () => {
      const opts = { imageSize: [8, 8] as [number, number], widths: [4, 6] as [number, number], hidden: 12, numClasses: 4 };
      at.manualSeed(31);
      const gpu = new DilatedCnn(opts).to('cuda');
      at.manualSeed(31);
      const cpu = new DilatedCnn(opts);
      // 6 channels of 2x2 after two 2x2 max-pools of 8x8.
      expect(gpu.featureSize()).toBe(6 * 2 * 2);
      at.manualSeed(32);
      gpu.head = gpu.newHead(3);
      at.manualSeed(32);
      cpu.head = cpu.newHead(3);
      for (const p of gpu.head.parameters()) expect(p.device).toBe('cuda');
      gpu.eval();
      cpu.eval();
      const x = at.tensor(seededValues(2 * 64, 1500, -1, 1), [2, 1, 8, 8]);
      expectMatch('new head logits', at.noGrad(() => gpu.forward(x.to('cuda'))), at.noGrad(() => cpu.forward(x)), 1e-5);
    });

    it("optimizer state follows the parameters: a step on the CPU, then model.to('cuda'), then steps there", () => {
      const cpu = makeModel(24);
      const moved = makeModel(24);
      const sgd: MakeOptimizer = (params) => new at.optim.SGD(params, { lr: 0.05, momentum: 0.9 });
      const c = train(cpu, 'cpu', sgd);
      const optimizer = sgd(moved.parameters());
      const losses: number[] = [];
      batches.forEach((b, i) => {
        if (i === 1) {
          moved.to('cuda'); // after one step: momentum buffers and grads exist on the CPU
          for (const p of moved.parameters()) expect(p.grad?.device).toBe('cuda');
        }
        const device = i === 0 ? 'cpu' : 'cuda';
        optimizer.zeroGrad();
        const loss = at.crossEntropy(moved.forward(b.x.to(device)) as at.Tensor, b.targets);
        loss.backward();
        optimizer.step();
        losses.push(loss.item());
      });
      expect(losses[0]).toBe(c.losses[0]); // the same CPU computation
      for (let i = 1; i < 3; i++) expect(Math.abs(losses[i] - c.losses[i]) / c.losses[i], `loss ${i}`).toBeLessThanOrEqual(1e-5);
      compareStates('after CPU then CUDA', moved, cpu, 1e-5);
      expectAllOnCuda(moved, optimizer);
      // And back: everything returns to the CPU.
      moved.to('cpu');
      for (const p of moved.parameters()) expect([p.device, p.grad?.device]).toEqual(['cpu', 'cpu']);
      for (const b of moved.buffers()) expect(b.device).toBe('cpu');
    });
    it('every SGD and Adam/AdamW option updates parameters on cuda as on the CPU', () => {
      // The fused sgdStep/adamStep kernels, four steps on one parameter with gradients far from zero
      // (so Adam's sign-like first step cannot flip): momentum, dampening, Nesterov, weight decay, amsgrad.
      const cases: [string, (p: at.Tensor[]) => at.optim.Optimizer<{ lr: number }>][] = [
        ['SGD plain', (p) => new at.optim.SGD(p, { lr: 0.1 })],
        ['SGD momentum, dampening', (p) => new at.optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.3 })],
        ['SGD Nesterov, weight decay', (p) => new at.optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
        ['Adam', (p) => new at.optim.Adam(p, { lr: 0.01 })],
        ['Adam amsgrad, weight decay, betas, eps', (p) => new at.optim.Adam(p, { lr: 0.01, weightDecay: 0.1, amsgrad: true, betas: [0.8, 0.99], eps: 1e-6 })],
        ['AdamW', (p) => new at.optim.AdamW(p, { lr: 0.01 })],
        ['AdamW amsgrad, weight decay 0.5', (p) => new at.optim.AdamW(p, { lr: 0.01, amsgrad: true, weightDecay: 0.5 })],
      ];
      for (const [name, make] of cases) {
        const run = (device: at.Device) => {
          const p = at.tensor(seededValues(50, 1801), [5, 10], { device, requiresGrad: true });
          const optimizer = make([p]);
          for (let step = 0; step < 4; step++) {
            optimizer.zeroGrad();
            // loss = Σ p·c + Σ p²: gradient c + 2p, with c in ±[1, 2].
            const c = Float32Array.from(seededValues(50, 1810 + step, 1, 2), (v, i) => (i % 2 ? v : -v));
            p.mul(at.tensor(c, [5, 10], { device })).sum().add(p.mul(p).sum()).backward();
            optimizer.step();
          }
          return { p, optimizer };
        };
        const cpu = run('cpu');
        const gpu = run('cuda');
        expectMatch(`${name}: parameter after 4 steps`, gpu.p, cpu.p, 1e-6);
        expectAllOnCuda(new ParamHolder(gpu.p), gpu.optimizer);
        const cpuState = cpu.optimizer.stateDict().state[0];
        const gpuState = gpu.optimizer.stateDict().state[0];
        expect(Object.keys(gpuState)).toEqual(Object.keys(cpuState));
        for (const [k, v] of Object.entries(cpuState)) {
          if (typeof v === 'number') expect(gpuState[k], `${name} state ${k}`).toBe(v);
          else expectMatch(`${name} state ${k}`, gpuState[k] as at.Tensor, v, 1e-6);
        }
      }
    });

    it("summary() of a cuda model runs on the device and matches the CPU model's", () => {
      const cpu = makeModel(25);
      const gpu = makeModel(25).to('cuda');
      const a = gpu.summary([2, 3, 12, 12]);
      expect(a.table).toEqual(cpu.summary([2, 3, 12, 12]).table);
      for (const p of gpu.parameters()) expect(p.device).toBe('cuda');
    });
  });

  it('device memory is released deterministically: a steady loop keeps at.memory().cuda flat, a stale intermediate throws', () => {
    at.manualSeed(41);
    const model = new at.nn.Sequential(
      new at.nn.Conv2d(3, 6, 3, { padding: 1, bias: false }), new at.nn.BatchNorm2d(6), new at.nn.ReLU(),
      new at.nn.MaxPool2d(2), new at.nn.Flatten(), new at.nn.Linear(6 * 6 * 6, 5),
    ).to('cuda');
    const optimizer = new at.optim.Adam(model.parameters(), { lr: 1e-3 });
    const x = at.tensor(seededValues(4 * 3 * 12 * 12, 4100), [4, 3, 12, 12], { device: 'cuda' });
    const step = () => {
      optimizer.zeroGrad();
      at.crossEntropy(model.forward(x) as at.Tensor, [0, 1, 2, 3]).backward();
      optimizer.step();
    };
    for (let i = 0; i < 3; i++) step();
    const before = at.memory().cuda!;
    for (let i = 0; i < 5; i++) step();
    const after = at.memory().cuda!;
    // Per step only what the caller holds (the logits, a loss) waits for the collector.
    expect(after.tensors - before.tensors).toBeLessThanOrEqual(2 * 5);
    // The peak may rise only by what those uncollected outputs add (4x5 logits and a loss a step).
    expect(after.peakBytes - before.peakBytes).toBeLessThanOrEqual(5 * (4 * 5 + 1) * 4);
    // A module's intermediate, kept past backward(), has no device memory any more and says so.
    let kept: at.Tensor | null = null;
    const relu = model.at(2);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called on relu below
    const original = relu.forward;
    relu.forward = (t: at.Tensor) => (kept = original.call(relu, t) as at.Tensor);
    at.crossEntropy(model.forward(x) as at.Tensor, [0, 1, 2, 3]).backward();
    relu.forward = original;
    expect(() => kept!.toFloat32Array()).toThrow(/has no values any more: it was .*freed by backward\(\)/);
  });

  describe('state dicts and checkpoints from the device', () => {
    function makeModel(): at.nn.Sequential {
      at.manualSeed(31);
      return new at.nn.Sequential(new at.nn.Conv2d(2, 4, 3, { bias: false }), new at.nn.BatchNorm2d(4), new at.nn.ReLU(), new at.nn.Flatten(), new at.nn.Linear(4 * 4 * 4, 3));
    }

    const withTempDir = (fn: (dir: string) => void) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-cuda-device-'));
      try {
        fn(dir);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };

    it("at.save of a cuda model's stateDict writes what the CPU copy holds; loading it into a cuda model keeps it on cuda", () => {
      withTempDir((dir) => {
        const cpu = makeModel();
        const gpu = makeModel().to('cuda');
        // One training forward on each so the running statistics are not the initial ones.
        const x = at.tensor(seededValues(2 * 2 * 6 * 6, 1501), [2, 2, 6, 6]);
        cpu.forward(x);
        gpu.forward(x.to('cuda'));
        const sd = gpu.stateDict();
        for (const [k, t] of Object.entries(sd)) expect(t.device, k).toBe('cuda');
        const file = path.join(dir, 'model.safetensors');
        at.save(sd, file);
        const loaded = at.load(file);
        expect(Object.keys(loaded)).toEqual(Object.keys(cpu.stateDict()));
        const csd = cpu.stateDict();
        for (const [k, t] of Object.entries(loaded)) {
          expect(t.device, k).toBe('cpu');
          expect(t.shape, k).toEqual(csd[k].shape);
          expect(bits(t.toFloat32Array()), k).toEqual(bits(sd[k].toFloat32Array())); // the device's bytes, exactly
          expect(relL2(t.toFloat32Array(), csd[k].toFloat32Array()), k).toBeLessThanOrEqual(1e-6); // and the CPU's values
        }
        // A CPU state dict loaded into a cuda model: copied onto the device in place.
        const fresh = new at.nn.Sequential(new at.nn.Conv2d(2, 4, 3, { bias: false }), new at.nn.BatchNorm2d(4), new at.nn.ReLU(), new at.nn.Flatten(), new at.nn.Linear(64, 3)).to('cuda');
        const params = fresh.parameters();
        fresh.loadStateDict(loaded);
        fresh.parameters().forEach((p, i) => expect(p).toBe(params[i])); // the same tensors, loaded in place
        for (const [k, t] of Object.entries(fresh.stateDict())) {
          expect(t.device, k).toBe('cuda');
          expect(bits(t.toFloat32Array()), k).toEqual(bits(loaded[k].toFloat32Array()));
        }
        // The other way: a cuda state dict into a CPU model.
        const back = new at.nn.Sequential(new at.nn.Conv2d(2, 4, 3, { bias: false }), new at.nn.BatchNorm2d(4), new at.nn.ReLU(), new at.nn.Flatten(), new at.nn.Linear(64, 3));
        back.loadStateDict(sd);
        for (const [k, t] of Object.entries(back.stateDict())) {
          expect(t.device, k).toBe('cpu');
          expect(bits(t.toFloat32Array()), k).toEqual(bits(sd[k].toFloat32Array()));
        }
      });
    });

    it('saveCheckpoint / loadCheckpoint of a cuda model and its Adam state: the resumed run continues exactly', () => {
      withTempDir((dir) => {
        const x = at.tensor(seededValues(2 * 2 * 6 * 6, 1601), [2, 2, 6, 6], { device: 'cuda' });
        const targets = [0, 2];
        const step = (model: at.nn.Module, opt: at.optim.Optimizer<{ lr: number }>) => {
          opt.zeroGrad();
          const loss = at.crossEntropy(model.forward(x) as at.Tensor, targets);
          loss.backward();
          opt.step();
          return loss.item();
        };
        const model = makeModel().to('cuda');
        const opt = new at.optim.Adam(model.parameters(), { lr: 1e-2 });
        step(model, opt);
        const file = path.join(dir, 'checkpoint.safetensors');
        at.saveCheckpoint(file, { model, optimizer: opt, epoch: 1 });
        const expected = [step(model, opt), step(model, opt)];

        const resumed = new at.nn.Sequential(new at.nn.Conv2d(2, 4, 3, { bias: false }), new at.nn.BatchNorm2d(4), new at.nn.ReLU(), new at.nn.Flatten(), new at.nn.Linear(64, 3)).to('cuda');
        const resumedOpt = new at.optim.Adam(resumed.parameters(), { lr: 1e-2 });
        expect(at.loadCheckpoint(file, { model: resumed, optimizer: resumedOpt }).epoch).toBe(1);
        for (const s of resumedOpt.state.values()) {
          for (const v of Object.values(s)) if (typeof v !== 'number') expect(deviceOf(v)).toBe('cuda');
        }
        // The same kernels on the same values: bit-identical losses and parameters.
        expect([step(resumed, resumedOpt), step(resumed, resumedOpt)]).toEqual(expected);
        const a = resumed.stateDict();
        for (const [k, t] of Object.entries(model.stateDict())) expect(bits(a[k].toFloat32Array()), k).toEqual(bits(t.toFloat32Array()));
      });
    });
  });

  it('TF32 (at.setCudaTf32): conv2d and linear stay within TF32 rounding of the CPU, and FP32 is restored', () => {
    expect(at.backend().cudaTf32).toBe(false);
    at.setCudaTf32(true);
    try {
      expect(at.backend().cudaTf32).toBe(true);
      // TF32 keeps 10 mantissa bits: ~1e-3 relative error (lib/native/backend.ts).
      compareOp('conv2d under TF32', { x: input([2, 4, 10, 10], 1701), w: input([6, 4, 3, 3], 1702), b: input([6], 1703) }, (t) => at.conv2d(t.x, t.w, t.b, { padding: 1 }), 5e-3);
      compareOp('linear under TF32', { x: input([20, 30], 1704), w: input([10, 30], 1705) }, (t) => at.linear(t.x, t.w), 5e-3);
    } finally {
      at.setCudaTf32(false);
    }
    expect(at.backend().cudaTf32).toBe(false);
    compareOp('linear back in FP32', { x: input([20, 30], 1704), w: input([10, 30], 1705) }, (t) => at.linear(t.x, t.w), 1e-5);
  });
});
