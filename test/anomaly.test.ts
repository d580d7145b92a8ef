// Anomaly mode (at.autograd.setDetectAnomaly, PyTorch's set_detect_anomaly): a NaN or ±Inf made by an op
// in forward throws naming the op and the module path; a gradient that first becomes non-finite in
// backward throws naming the op whose backward made it and the module that ran that op. Off, nothing is checked.
import { afterEach, describe, expect, it } from 'vitest';
import * as at from '../lib';
import { guardedStep } from '../lib/cli/nonfinite';

afterEach(() => at.autograd.setDetectAnomaly(false));

class Block extends at.nn.Module {
  conv = new at.nn.Conv1d(2, 2, 3, { padding: 'same' });
  act = new at.nn.ReLU();
  override forward(x: at.Tensor): at.Tensor {
    return this.act.forward(this.conv.forward(x));
  }
}

class Net extends at.nn.Module {
  features = new at.nn.Sequential(new Block(), new Block());
  override forward(x: at.Tensor): at.Tensor {
    return (this.features.forward(x) as at.Tensor).sum();
  }
}

/** The Error fn throws (fails the test if it returns). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

/** A Net whose second block's first conv weight holds one NaN: the first non-finite output is that conv's. */
function netWithNaNInSecondBlock(): { net: Net; x: at.Tensor } {
  at.manualSeed(3);
  const net = new Net();
  const second = net.features.namedChildren()[1][1] as Block;
  const w = second.conv.weight.toFloat32Array();
  w[4] = Number.NaN;
  (second.conv.weight.storage as Float32Array).set(w); // a CPU parameter
  return { net, x: at.randn([1, 2, 8]) };
}

describe('anomaly mode', () => {
  it('is off by default, and off lets a NaN through without a check', () => {
    expect(at.autograd.isAnomalyEnabled()).toBe(false);
    const { net, x } = netWithNaNInSecondBlock();
    expect(Number.isNaN(net.forward(x).item())).toBe(true);
  });

  it('forward: names the op and the module path where the first non-finite value appeared', () => {
    const { net, x } = netWithNaNInSecondBlock();
    at.autograd.setDetectAnomaly(true);
    const e = thrown(() => net.forward(x));
    expect(e).toBeInstanceOf(at.autograd.AnomalyError);
    const a = e as at.autograd.AnomalyError;
    expect(a.phase).toBe('forward');
    expect(a.op).toBe('conv1d');
    expect(a.module).toBe('features.1.conv (Conv1d) of Net');
    expect(a.message).toMatch(/^anomaly: conv1d produced NaN .* in features\.1\.conv \(Conv1d\) of Net \(forward\)$/);
  });

  it('forward: an overflow to Inf outside any module names the op alone', () => {
    at.autograd.setDetectAnomaly(true);
    const x = at.tensor([3e38, 1]);
    const e = thrown(() => x.mul(10)) as at.autograd.AnomalyError;
    expect(e.op).toBe('Tensor.mul');
    expect(e.module).toBe(null);
    expect(e.message).toBe('anomaly: Tensor.mul produced +Inf in its output (forward)');
  });

  it('backward: names the op whose gradient first became non-finite, and the module that ran it', () => {
    // Forward 1e30 · 1e-30 = 1 is finite; d/dy = g · x = 1e10 · 1e30 overflows float32.
    class Scale extends at.nn.Module {
      override forward(x: at.Tensor, y: at.Tensor): at.Tensor {
        return x.mul(y);
      }
    }
    class Outer extends at.nn.Module {
      scale = new Scale();
      override forward(x: at.Tensor, y: at.Tensor): at.Tensor {
        return at.relu(this.scale.forward(x, y));
      }
    }
    const x = at.tensor([1e30], [1], { requiresGrad: true });
    const y = at.tensor([1e-30], [1], { requiresGrad: true });
    const model = new Outer();
    const out = at.autograd.detectAnomaly(() => model.forward(x, y));
    expect(out.item()).toBeCloseTo(1, 5);
    const e = thrown(() => at.autograd.detectAnomaly(() => out.backward(at.tensor([1e10])))) as at.autograd.AnomalyError;
    expect(e).toBeInstanceOf(at.autograd.AnomalyError);
    expect(e.phase).toBe('backward');
    expect(e.op).toBe('Tensor.mul');
    expect(e.module).toBe('scale (Scale) of Outer');
    expect(e.message).toBe('anomaly: the gradient of Tensor.mul for its input 1 became +Inf (op made in scale (Scale) of Outer) (backward)');
    expect(at.autograd.isAnomalyEnabled()).toBe(false); // detectAnomaly restored the setting
  });

  it('a finite training step passes unchanged with the mode on', () => {
    at.manualSeed(5);
    const net = new Net();
    const x = at.randn([2, 2, 8]);
    const ref = net.forward(x);
    ref.backward();
    const refGrad = net.parameters()[0].grad!.toFloat32Array();
    net.zeroGrad();
    at.autograd.setDetectAnomaly(true);
    const y = net.forward(x);
    y.backward();
    expect(y.item()).toBe(ref.item());
    expect(net.parameters()[0].grad!.toFloat32Array()).toEqual(refGrad);
  });

  it('refuses a non-boolean', () => {
    expect(() => at.autograd.setDetectAnomaly(1 as unknown as boolean)).toThrow(/setDetectAnomaly: on expects a boolean, but got number/);
  });
});

describe('guardedStep (atrous train --on-nonfinite)', () => {
  it('skip: a NaN batch is reported and the BatchNorm running statistics it touched are put back', () => {
    at.manualSeed(7);
    const model = new at.nn.Sequential(new at.nn.Conv2d(1, 2, 3), new at.nn.BatchNorm2d(2));
    model.train();
    const before = model.buffers().map((b) => b.toFloat32Array());
    const x = at.randn([2, 1, 5, 5]);
    const values = x.toFloat32Array();
    values[3] = Number.NaN;
    const poisoned = at.tensor(values, [2, 1, 5, 5]);
    const guard = { params: model.namedParameters(), buffers: model.buffers(), skip: true, detectAnomaly: false };
    const step = guardedStep(() => {
      const loss = (model.forward(poisoned) as at.Tensor).sum();
      loss.backward();
      return loss.item();
    }, guard);
    expect(step.fault).toBe('the loss is NaN');
    expect(model.buffers().map((b) => b.toFloat32Array())).toEqual(before);
    // The same with anomaly mode names the first op instead.
    const named = guardedStep(() => (model.forward(poisoned) as at.Tensor).sum().item(), { ...guard, detectAnomaly: true });
    expect(named.fault).toBe('anomaly: conv2d produced NaN (or both +Inf and -Inf) in its output in 0 (Conv2d) of Sequential (forward)');
    expect(at.autograd.isAnomalyEnabled()).toBe(false);
  });

  it('skip: a finite loss with a non-finite gradient names the parameter', () => {
    const x = at.tensor([1e30], [1], { requiresGrad: true });
    const y = at.tensor([1e-30], [1], { requiresGrad: true });
    const step = guardedStep(() => {
      const loss = x.mul(y).mul(1e10);
      loss.backward();
      return loss.item();
    }, { params: [['x', x], ['y', y]], buffers: [], skip: true, detectAnomaly: false });
    expect(step.loss).toBeCloseTo(1e10, -5);
    expect(step.fault).toBe('the gradient of y is not finite');
  });

  it('stop: only the loss is checked (an Inf gradient shows up as the next step\'s NaN loss)', () => {
    const x = at.tensor([1e30], [1], { requiresGrad: true });
    const y = at.tensor([1e-30], [1], { requiresGrad: true });
    const step = guardedStep(() => {
      const loss = x.mul(y).mul(1e10);
      loss.backward();
      return loss.item();
    }, { params: [['x', x], ['y', y]], buffers: [], skip: false, detectAnomaly: false });
    expect(step.fault).toBe(null);
  });
});
