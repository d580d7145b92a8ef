// module.forwardAsync(x): inference as a Promise, convolutions on a worker thread. Values against a
// naive float64 convolution; the event loop keeps turning while a large forward runs.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { conv2dRef } from './helpers/reference';
import { relativeL2 as relL2 } from './helpers/relative-l2';

describe('Module.forwardAsync', () => {
  it('Sequential(Conv2d, ReLU, Conv2d) matches a naive float64 forward', async () => {
    at.manualSeed(3);
    const conv1 = new at.nn.Conv2d(2, 3, 3, { dilation: 2, padding: 2 });
    const conv2 = new at.nn.Conv2d(3, 4, [3, 2], { stride: [1, 2], padding: [1, 0] });
    const model = new at.nn.Sequential(conv1, new at.nn.ReLU(), conv2);
    const x = at.randn([2, 2, 7, 9]);
    const y = (await model.forwardAsync(x)) as at.Tensor;

    const h = conv2dRef(x.toFloat32Array(), [2, 2, 7, 9], conv1.weight.toFloat32Array(), [3, 2, 3, 3],
      conv1.bias!.toFloat32Array(), { stride: [1, 1], dilation: [2, 2], pads: { top: 2, bottom: 2, left: 2, right: 2 }, groups: 1 });
    const hRelu = Float32Array.from(h.y, (v) => Math.max(0, v));
    const want = conv2dRef(hRelu, h.shape, conv2.weight.toFloat32Array(), [4, 3, 3, 2], conv2.bias!.toFloat32Array(),
      { stride: [1, 2], dilation: [1, 1], pads: { top: 1, bottom: 1, left: 0, right: 0 }, groups: 1 });

    expect(y.shape).toEqual(want.shape);
    expect(relL2(y.toFloat32Array(), want.y)).toBeLessThan(1e-5);
    expect(y.requiresGrad).toBe(false);
  });

  it('keeps the event loop turning while a large convolution runs', async () => {
    const conv = new at.nn.Conv2d(64, 64, 3, { dilation: 2, padding: 2 });
    const x = at.randn([16, 64, 48, 48]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      const y = await conv.forwardAsync(x);
      expect(y.shape).toEqual([16, 64, 48, 48]);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it('a custom Module without its own forwardAsync still resolves to its forward', async () => {
    class Doubler extends at.nn.Module {
      override forward(x: at.Tensor) {
        return x.mul(2);
      }
    }
    const y = (await new Doubler().forwardAsync(at.tensor([1, -2, 3], [3]))) as at.Tensor;
    expect(Array.from(y.toFloat32Array())).toEqual([2, -4, 6]);
  });
});
