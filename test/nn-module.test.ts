// Module bookkeeping: names as PyTorch gives them, state_dict order, strict loading that names the bad
// entry and changes nothing, train/eval, freeze/unfreeze, to(device).
import { describe, expect, it } from 'vitest';
import * as at from '../lib';

class Block extends at.nn.Module {
  conv = new at.nn.Conv2d(2, 3, 3, { padding: 1 });
  bn = new at.nn.BatchNorm2d(3);
  override forward(x: at.Tensor): at.Tensor {
    return this.bn.forward(this.conv.forward(x)).relu();
  }
}

class Net extends at.nn.Module {
  scale: at.Tensor;
  stem = new Block();
  layers = new at.nn.Sequential(new at.nn.Conv2d(3, 4, 1), new at.nn.ReLU(), new at.nn.Conv2d(4, 4, 1, { bias: false }));
  heads = [new at.nn.Linear(4, 2), new at.nn.Linear(4, 3)];
  constructor() {
    super();
    this.scale = at.ones([1], { requiresGrad: true });
  }
  override forward(x: at.Tensor): at.Tensor {
    return this.layers.forward(this.stem.forward(x)) as at.Tensor;
  }
}

describe('Module names', () => {
  it('names parameters, buffers and children as PyTorch: own parameters, own buffers, then children in assignment order', () => {
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual([
      'scale',
      'stem.conv.weight', 'stem.conv.bias',
      'stem.bn.weight', 'stem.bn.bias', 'stem.bn.running_mean', 'stem.bn.running_var', 'stem.bn.num_batches_tracked',
      'layers.0.weight', 'layers.0.bias', 'layers.2.weight',
      'heads.0.weight', 'heads.0.bias', 'heads.1.weight', 'heads.1.bias',
    ]);
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'scale', 'stem.conv.weight', 'stem.conv.bias', 'stem.bn.weight', 'stem.bn.bias',
      'layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'heads.0.weight', 'heads.0.bias', 'heads.1.weight', 'heads.1.bias',
    ]);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['stem.bn.running_mean', 'stem.bn.running_var', 'stem.bn.num_batches_tracked']);
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(net.namedModules().map(([n]) => n)).toEqual(['', 'stem', 'stem.conv', 'stem.bn', 'layers', 'layers.0', 'layers.1', 'layers.2', 'heads.0', 'heads.1']);
  });

  it('a replaced child keeps its place; a shared module is listed once', () => {
    const net = new Net();
    net.stem = new Block();
    expect(Object.keys(net.stateDict())[1]).toBe('stem.conv.weight');
    const shared = new at.nn.Linear(2, 2);
    const seq = new at.nn.Sequential(shared, shared);
    expect(seq.parameters()).toHaveLength(2);
  });

  it('stateDict entries share storage with the parameters', () => {
    const lin = new at.nn.Linear(2, 2);
    const sd = lin.stateDict();
    (lin.weight.storage as Float32Array)[0] = 42;
    expect(sd.weight.toFloat32Array()[0]).toBe(42);
  });
});

describe('loadStateDict', () => {
  const snapshot = (m: at.nn.Module) => Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.toFloat32Array())]);

  it('copies every entry', () => {
    const a = new Net();
    const b = new Net();
    b.loadStateDict(a.stateDict());
    expect(snapshot(b)).toEqual(snapshot(a));
  });

  it('a missing, unexpected or wrongly shaped entry throws naming it, and nothing changes', () => {
    const target = new Net();
    const source = new Net();
    const before = snapshot(target);
    const missing = { ...source.stateDict() };
    delete missing['stem.bn.running_var'];
    expect(() => target.loadStateDict(missing)).toThrow(/missing entry 'stem\.bn\.running_var' \(expected shape \[3\]\)/);
    const unexpected = { ...source.stateDict(), 'fc.weight': at.zeros([2, 2]) };
    expect(() => target.loadStateDict(unexpected)).toThrow(/unexpected entry 'fc\.weight'/);
    // The wrong shape comes last in order, so every earlier entry would have been copied by a naive loader.
    const wrong = { ...source.stateDict(), 'heads.1.bias': at.zeros([4]) };
    expect(() => target.loadStateDict(wrong)).toThrow(/entry 'heads\.1\.bias' expects shape \[3\] \(this model's\), but got \[4\]/);
    expect(() => target.loadStateDict({ ...source.stateDict(), scale: [1] as unknown as at.Tensor })).toThrow(TypeError);
    expect(snapshot(target)).toEqual(before);
  });

  it('non-strict loading reports missing and unexpected keys but still refuses a wrong shape', () => {
    const target = new at.nn.Linear(3, 2);
    const source = new at.nn.Linear(3, 2);
    const r = target.loadStateDict({ weight: source.weight, extra: at.zeros([1]) }, { strict: false });
    expect(r).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['extra'] });
    expect(target.weight.toFloat32Array()).toEqual(source.weight.toFloat32Array());
    expect(() => target.loadStateDict({ weight: at.zeros([3, 2]) }, { strict: false })).toThrow(/'weight' expects shape \[2, 3\]/);
  });
});

describe('modes and devices', () => {
  it('train()/eval() reach every submodule; Dropout and BatchNorm follow them', () => {
    const net = new Net();
    net.eval();
    expect(net.modules().every((m) => m.training === false)).toBe(true);
    const drop = new at.nn.Dropout(0.5).eval();
    const x = at.ones([100]);
    expect(drop.forward(x)).toBe(x);
    drop.train();
    expect(Array.from((drop.forward(x)).toFloat32Array()).some((v) => v === 0)).toBe(true);
    net.train();
    expect(net.stem.bn.training).toBe(true);
  });

  it('freeze() stops gradients to its parameters; unfreeze() restores them', () => {
    const net = new Net();
    net.stem.freeze();
    expect(net.stem.parameters().every((p) => !p.requiresGrad)).toBe(true);
    const out = net.forward(at.randn([2, 2, 4, 4]));
    out.sum().backward();
    expect(net.stem.conv.weight.grad).toBeNull();
    expect((net.layers.at(0) as at.nn.Conv2d).weight.grad).not.toBeNull();
    net.stem.unfreeze();
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it("to('cpu') is a no-op; to('cuda') says why it is unavailable", () => {
    const net = new Net();
    expect(net.to('cpu')).toBe(net);
    if (!at.backend().cuda) expect(() => net.to('cuda')).toThrow(/CUDA is not available/);
  });

  it('prints like PyTorch', () => {
    const s = new at.nn.Sequential(new at.nn.Conv2d(3, 8, 3, { dilation: 2 }), new at.nn.ReLU()).toString();
    expect(s).toBe('Sequential(\n  (0): Conv2d(3, 8, kernelSize=(3, 3), dilation=(2, 2))\n  (1): ReLU()\n)');
  });
});
