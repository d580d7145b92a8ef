// The caching allocator and deterministic release (lib/core/memory.ts, lib/core/autograd.ts): a steady training
// loop makes no new buffers after its first steps and keeps at.memory() flat; what a module made
// inside its forward is released by backward() and any later use throws naming the op, never reading
// memory that now belongs to another tensor; what the user holds (leaves, results of ops called
// outside modules, a model's output) stays readable, as in PyTorch.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { freshBufferCount, setPoolFloorBytes } from '../lib/core/memory';
import { withModelOutputsDisposed } from '../lib/core/autograd';
import { seededValues } from './helpers/values';

class SmallNet extends at.nn.Module {
  conv = new at.nn.Conv2d(2, 8, 3, { padding: 2, dilation: 2 });
  bn = new at.nn.BatchNorm2d(8);
  pool = new at.nn.MaxPool2d(2);
  fc = new at.nn.Linear(8 * 16 * 16, 5);
  drop = new at.nn.Dropout(0.25);
  /** Set by forward when asked to: a module that keeps an intermediate for later (a debugging habit). */
  readonly stash: { kept?: at.Tensor } = {};
  keep = false;

  override forward(x: at.Tensor): at.Tensor {
    const h = this.bn.forward(this.conv.forward(x)).relu();
    if (this.keep) this.stash.kept = h;
    return this.fc.forward(this.drop.forward(this.pool.forward(h).flatten(1)));
  }
}

/** A conv whose weight (18432 floats) is pooled but not a size class of its own (81920 bytes), then a small head. */
class WideConvNet extends at.nn.Module {
  conv = new at.nn.Conv2d(32, 64, 3, { padding: 1 });
  pool = new at.nn.AdaptiveAvgPool2d(1);
  fc = new at.nn.Linear(64, 3);

  override forward(x: at.Tensor): at.Tensor {
    return this.fc.forward(this.pool.forward(this.conv.forward(x).relu()).flatten(1));
  }
}

/** A pooled-size output (64 KiB and more) that the caller holds: the model's output is pinned. */
class WideOutputNet extends at.nn.Module {
  conv = new at.nn.Conv2d(2, 8, 3, { padding: 1 });

  override forward(x: at.Tensor): at.Tensor {
    return this.conv.forward(x);
  }
}

/** V8's collector, to check that what the user dropped can be collected. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function batch(seed: number): { x: at.Tensor; y: number[] } {
  // 4×8×32×32 floats per activation: 128 KiB, above the size the allocator pools from (64 KiB).
  return { x: at.tensor(seededValues(4 * 2 * 32 * 32, seed), [4, 2, 32, 32]), y: [0, 1, 2, 3] };
}

/** A SmallNet (seeded) that keeps its first activation, run forward once on batch(batchSeed). */
function forwardKeeping(seed: number, batchSeed: number) {
  at.manualSeed(seed);
  const net = new SmallNet();
  net.keep = true;
  const { x, y } = batch(batchSeed);
  const logits = net.forward(x);
  return { net, y, logits, kept: net.stash.kept! };
}

function step(net: SmallNet, opt: at.optim.Optimizer<{ lr: number }>, seed: number): at.Tensor {
  const { x, y } = batch(seed);
  opt.zeroGrad();
  const logits = net.forward(x);
  at.crossEntropy(logits, y).backward();
  opt.step();
  return logits;
}

describe('memory', () => {
  it('the test suite runs with poisoned storage (NaN in every buffer the allocator hands out)', () => {
    expect(process.env.ATROUS_POOL_POISON).toBe('1');
    const fresh = at.relu(at.ones([64, 64]).mul(-1)); // every value written by relu: 0, never NaN
    expect(fresh.toFloat32Array().every((v) => v === 0)).toBe(true);
  });

  it('a steady training loop makes no new buffers after its first steps, and at.memory() stays flat', () => {
    at.manualSeed(1);
    const net = new SmallNet();
    const opt = new at.optim.Adam(net.parameters(), { lr: 1e-3 });
    for (let s = 0; s < 3; s++) step(net, opt, s);
    const fresh = freshBufferCount();
    const before = at.memory();
    for (let s = 3; s < 13; s++) step(net, opt, s);
    const after = at.memory();
    expect(freshBufferCount() - fresh).toBe(0);
    expect(after.pooledBytes).toBe(before.pooledBytes);
    expect(after.peakBytes).toBe(before.peakBytes);
    // The logits the loop drops each step are under the pooled size: nothing creeps.
    expect(after.bytes).toBe(before.bytes);
    expect(after.pooledBytes).toBeGreaterThan(0); // the activations and gradients went through the pool
    expect(after.peakBytes).toBeGreaterThan(4 * 8 * 32 * 32 * 4);
  });

  it("the free lists keep as much as the loop's peak, not only the fixed floor (a model larger than the floor)", () => {
    at.emptyCache();
    const previous = setPoolFloorBytes(64 * 1024); // the floor far under this loop's peak, as 1 GiB under the WaveNet's
    try {
      at.manualSeed(5);
      const net = new SmallNet();
      const opt = new at.optim.Adam(net.parameters(), { lr: 1e-3 });
      for (let s = 0; s < 3; s++) step(net, opt, s);
      const fresh = freshBufferCount();
      for (let s = 3; s < 8; s++) step(net, opt, s);
      const { peakBytes, pooledBytes } = at.memory();
      expect(peakBytes).toBeGreaterThan(4 * 64 * 1024); // the floor alone would drop most of what goes back
      expect(freshBufferCount() - fresh).toBe(0);
      expect(pooledBytes).toBeGreaterThan(64 * 1024);
      expect(pooledBytes).toBeLessThanOrEqual(1.25 * peakBytes);
    } finally {
      setPoolFloorBytes(previous);
    }
  });

  it('training gives the same parameters with pooled memory as with every buffer fresh', () => {
    const run = (emptyEachStep: boolean) => {
      at.manualSeed(2);
      const net = new SmallNet();
      const opt = new at.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
      for (let s = 0; s < 4; s++) {
        if (emptyEachStep) at.emptyCache();
        step(net, opt, 10 + s);
      }
      return net.parameters().map((p) => p.toFloat32Array());
    };
    const pooled = run(false);
    const fresh = run(true);
    pooled.forEach((p, i) => expect(Array.from(p)).toEqual(Array.from(fresh[i])));
  });

  it("a module's intermediate kept past backward() throws when used, naming the op and how to keep it", () => {
    const { net, y, logits, kept } = forwardKeeping(3, 7);
    const before = kept.toFloat32Array();
    at.crossEntropy(logits, y).backward();
    expect(() => kept.toFloat32Array()).toThrow(/Tensor\.toFloat32Array: this tensor \(shape \[4, 8, 32, 32\]\) has no values any more: it was .*freed by backward\(\).*retainGraph: true/);
    expect(() => at.relu(kept)).toThrow(/^relu: x \(shape \[4, 8, 32, 32\]\) has no values any more/);
    expect(() => kept.sum()).toThrow(/Tensor\.sum/);
    expect(() => at.conv2d(kept, at.ones([1, 8, 1, 1]))).toThrow(/conv2d: input/);
    expect(() => kept.reshape([-1])).toThrow(/no values any more/);
    // The next step reuses the buffer: the stale tensor must still not see its new contents.
    const opt = new at.optim.SGD(net.parameters(), { lr: 0.1 });
    step(net, opt, 8);
    expect(() => kept.toFloat32Array()).toThrow(/no values any more/);
    // The model's output is the user's: still readable after backward.
    expect(logits.toFloat32Array().every(Number.isFinite)).toBe(true);
    expect(before.every(Number.isFinite)).toBe(true);
  });

  it('backward({ retainGraph: true }) keeps the graph: a second backward doubles the gradients', () => {
    at.manualSeed(4);
    const net = new SmallNet();
    net.eval(); // no dropout: both passes see the same graph anyway, but keep it simple
    net.keep = true;
    const { x, y } = batch(9);
    const loss = at.crossEntropy(net.forward(x), y);
    loss.backward({ retainGraph: true });
    const once = net.fc.weight.grad!.toFloat32Array();
    expect(net.stash.kept!.toFloat32Array().length).toBe(4 * 8 * 32 * 32); // kept alive by retainGraph
    loss.backward();
    const twice = net.fc.weight.grad!.toFloat32Array();
    once.forEach((g, i) => expect(twice[i]).toBeCloseTo(2 * g, 5));
    expect(() => loss.backward()).toThrow(/graph through .* was already used by a backward\(\) that freed its saved values; call backward\(\{ retainGraph: true \}\)/);
  });

  it('ops called outside modules keep PyTorch semantics: intermediates stay readable after backward', () => {
    const x = at.tensor(seededValues(2 * 3 * 8 * 8, 5), [2, 3, 8, 8], { requiresGrad: true });
    const w = at.tensor(seededValues(4 * 3 * 3 * 3, 6), [4, 3, 3, 3], { requiresGrad: true });
    const h = at.conv2d(x, w, null, { padding: 1 });
    const r = h.relu();
    const loss = r.mul(r).mean();
    loss.backward();
    expect(h.toFloat32Array().length).toBe(2 * 4 * 8 * 8);
    expect(r.toFloat32Array().length).toBe(2 * 4 * 8 * 8);
    // A second backward through a graph whose nodes saved values is refused, as PyTorch refuses it.
    expect(() => loss.backward()).toThrow(/retainGraph/);
  });

  it('zeroGrad() keeps the gradient buffer for the next step, and the old grad tensor can no longer be read', () => {
    at.manualSeed(5);
    const net = new SmallNet();
    const opt = new at.optim.SGD(net.parameters(), { lr: 0.01 });
    step(net, opt, 1);
    const oldGrad = net.fc.weight.grad!;
    const oldValues = oldGrad.toFloat32Array();
    opt.zeroGrad();
    expect(net.fc.weight.grad).toBeNull();
    expect(() => oldGrad.toFloat32Array()).toThrow(/released by zeroGrad\(\)/);
    step(net, opt, 1);
    const newGrad = net.fc.weight.grad!.toFloat32Array();
    expect(newGrad.length).toBe(oldValues.length);
    expect(newGrad.every(Number.isFinite)).toBe(true);
    // A gradient the user assigned is theirs: zeroGrad() only drops the reference.
    const mine = at.ones(net.fc.bias!.shape);
    net.fc.bias!.grad = mine;
    net.zeroGrad();
    expect(mine.toFloat32Array().every((v) => v === 1)).toBe(true);
  });

  it('zeroGrad() hands the same buffer back every step, for a gradient smaller than its pool size class', () => {
    at.manualSeed(2);
    const net = new WideConvNet();
    const opt = new at.optim.SGD(net.parameters(), { lr: 0.01 });
    const x = at.tensor(seededValues(2 * 32 * 8 * 8, 3), [2, 32, 8, 8]);
    const run = () => {
      opt.zeroGrad();
      at.crossEntropy(net.forward(x), [0, 2]).backward();
      opt.step();
    };
    for (let s = 0; s < 3; s++) run();
    const fresh = freshBufferCount();
    for (let s = 0; s < 6; s++) run();
    // Each step's weight gradient comes from the pool, and zeroGrad() gives it back for the next one.
    expect(freshBufferCount() - fresh).toBe(0);
    expect(net.conv.weight.grad!.toFloat32Array().every(Number.isFinite)).toBe(true);
  });

  it('zeroGrad() gives a pooled gradient back: the next backward takes it over, and the old grad and its views throw', () => {
    const n = 64 * 1024; // 256 KiB: pooled
    const wValues = seededValues(n, 12);
    const x = at.tensor(seededValues(n, 11), [n], { requiresGrad: true });
    const w = at.tensor(wValues, [n]);
    const opt = new at.optim.SGD([x], { lr: 0.1 }); // never stepped: x stays put
    const run = () => {
      opt.zeroGrad();
      x.mul(w).sum().backward();
    };
    at.emptyCache();
    run();
    run();
    const old = x.grad!;
    const view = old.reshape([2, n / 2]);
    const fresh = freshBufferCount();
    const bytes = at.memory().bytes;
    run();
    expect(() => old.toFloat32Array()).toThrow(/released by zeroGrad\(\)/);
    expect(() => view.toFloat32Array()).toThrow(/released by zeroGrad\(\)/);
    expect(x.grad!.toFloat32Array()).toEqual(wValues); // d/dx sum(x * w) = w
    for (let s = 0; s < 5; s++) run();
    expect(freshBufferCount() - fresh).toBe(0);
    // In the pool: one buffer (the product's). x's gradient went back by zeroGrad() and came out again
    // as the next one, taken over; a copy into a kept buffer would leave the backward's own here too.
    expect(at.memory().pooledBytes).toBe(n * 4);
    // The gradient is the user's: not counted, so at.memory() does not grow with it.
    expect(at.memory().bytes).toBe(bytes);
    // Dropped instead (x.grad = null), it is left to the collector, and the next backward still works.
    x.grad = null;
    x.mul(w).sum().backward();
    expect(x.grad!.toFloat32Array()).toEqual(wValues);
  });

  it('x.grad = null hands an unread gradient back to the pool; a gradient that was read stays valid for its reader', () => {
    const n = 64 * 1024; // 256 KiB: pooled
    const wValues = seededValues(n, 14);
    const x = at.tensor(seededValues(n, 13), [n], { requiresGrad: true });
    const w = at.tensor(wValues, [n]);
    const run = () => {
      x.grad = null; // PyTorch's way to clear it: nothing reads the gradient in between
      x.mul(w).sum().backward();
    };
    at.emptyCache();
    for (let s = 0; s < 3; s++) run();
    const fresh = freshBufferCount();
    for (let s = 0; s < 6; s++) run();
    // Each step's gradient is the last one's buffer again, not fresh memory left to the collector.
    expect(freshBufferCount() - fresh).toBe(0);
    // Read, then cleared: the reader keeps it, valid and unchanged, while the next backward takes new memory.
    const read = x.grad!;
    x.grad = null;
    x.mul(at.tensor(seededValues(n, 15), [n])).sum().backward();
    expect(read.toFloat32Array()).toEqual(wValues);
    expect(x.grad!.toFloat32Array()).toEqual(seededValues(n, 15));
    expect(freshBufferCount() - fresh).toBe(1);
    // A gradient the user assigned is theirs: clearing only drops the reference.
    const mine = at.tensor(seededValues(n, 16), [n]);
    x.grad = mine;
    x.grad = null;
    expect(mine.toFloat32Array()).toEqual(seededValues(n, 16));
  });

  it('a loss outside any module saves its probabilities in pooled memory, which backward() hands back', () => {
    const logits = at.tensor(seededValues(4 * 16 * 32 * 32, 8), [4, 16, 32, 32], { requiresGrad: true }); // 256 KiB
    const y = Int32Array.from({ length: 4 * 32 * 32 }, (_, i) => i % 16);
    const opt = new at.optim.SGD([logits], { lr: 0.1 });
    at.emptyCache();
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      at.crossEntropy(logits, y).backward();
    }
    // The probabilities crossEntropy saved. The gradient it made is the leaf's grad itself (taken over,
    // not copied into a kept buffer), and the one before it went back to the pool for that gradient.
    expect(at.memory().pooledBytes).toBe(logits.numel * 4);
    expect(logits.grad!.toFloat32Array().every(Number.isFinite)).toBe(true);
  });

  it('a pooled model output the user drops is collected (nothing the allocator keeps holds it)', async () => {
    const gc = collector();
    const net = new WideOutputNet();
    const x = at.tensor(seededValues(2 * 2 * 32 * 32, 4), [2, 2, 32, 32]);
    let out: at.Tensor | null = net.forward(x); // 2×8×32×32 floats: pooled, and pinned as the user's
    const storage = new WeakRef(out.storage);
    at.mseLoss(out, at.zeros(out.shape)).backward();
    out = null;
    await new Promise((resolve) => setTimeout(resolve, 0)); // a WeakRef keeps its target until the job ends
    gc();
    expect(out).toBeNull();
    expect(storage.deref()).toBeUndefined();
  });

  it('a model output and tensors detached before backward() stay readable; detach pins the storage', () => {
    const { net, y, logits, kept } = forwardKeeping(6, 11);
    const keptCopy = kept.detach();
    const values = keptCopy.toFloat32Array();
    at.crossEntropy(logits, y).backward();
    expect(keptCopy.toFloat32Array()).toEqual(values);
    expect(net.stash.kept!.toFloat32Array()).toEqual(values); // the same storage, pinned by detach()
  });

  it('an async conv keeps its input alive while the worker reads it, even across backward()', async () => {
    const { net, y, logits, kept } = forwardKeeping(7, 12);
    const h = kept;
    const w = at.tensor(seededValues(3 * 8 * 3 * 3, 13), [3, 8, 3, 3]);
    const expected = at.noGrad(() => at.conv2d(h, w, null, { padding: 1 })).toFloat32Array();
    const values = h.toFloat32Array();
    const pending = at.conv2dAsync(h, w, null, { padding: 1 });
    at.crossEntropy(logits, y).backward(); // would release h, but the worker holds it
    expect(h.toFloat32Array()).toEqual(values);
    step(net, new at.optim.SGD(net.parameters(), { lr: 0.1 }), 13); // reuses any released buffer
    const result = await pending;
    expect(Array.from(result.toFloat32Array())).toEqual(Array.from(expected));
  });

  it('graphs that reuse an intermediate (a residual sum, two branches) get the same gradients as with the graph retained', () => {
    class Branchy extends at.nn.Module {
      conv1 = new at.nn.Conv2d(3, 3, 3, { padding: 1 });
      conv2 = new at.nn.Conv2d(3, 3, 3, { padding: 2, dilation: 2 });
      conv3 = new at.nn.Conv2d(3, 3, 1);
      override forward(x: at.Tensor): at.Tensor {
        const h = this.conv1.forward(x).relu();
        const a = this.conv2.forward(h).add(h); // residual: h feeds two nodes
        const b = this.conv3.forward(h).mul(a); // and a third, with a product saving both sides
        return b.add(h).mean();
      }
    }
    const grads = (retainGraph: boolean) => {
      at.manualSeed(8);
      const net = new Branchy();
      const x = at.tensor(seededValues(2 * 3 * 9 * 9, 21), [2, 3, 9, 9]);
      for (let s = 0; s < 3; s++) {
        net.zeroGrad();
        net.forward(x).backward({ retainGraph });
      }
      return net.parameters().map((p) => p.grad!.toFloat32Array());
    };
    const released = grads(false);
    const retained = grads(true);
    released.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(retained[i])));
  });

  it('backward() argument checks name what was wrong', () => {
    const x = at.ones([2], { requiresGrad: true });
    const y = x.mul(2).sum();
    expect(() => y.backward({ retainGraph: 'yes' } as never)).toThrow(/Tensor\.backward: options\.retainGraph expects a boolean, but got "yes"/);
    expect(() => y.backward(42 as never)).toThrow(/Tensor\.backward: grad expects a Tensor \(or options \{ retainGraph \}\), but got 42/);
  });
});

/** y = x * w with w a parameter of n values: the output is pooled when n ≥ 16384 (64 KiB). */
class ScaleNet extends at.nn.Module {
  w: at.Tensor;
  constructor(n: number, seed: number) {
    super();
    this.w = at.tensor(seededValues(n, seed), [n], { requiresGrad: true });
  }

  override forward(x: at.Tensor): at.Tensor {
    return x.mul(this.w);
  }
}

class PassThrough extends at.nn.Module {
  override forward(x: at.Tensor): at.Tensor {
    return x;
  }
}

describe('Tensor.dispose', () => {
  it("a loop that disposes its model's output makes no new buffers; one that drops it makes one a step", () => {
    const net = new WideOutputNet();
    const opt = new at.optim.SGD(net.parameters(), { lr: 0.01 });
    const x = at.tensor(seededValues(2 * 2 * 32 * 32, 4), [2, 2, 32, 32]);
    const target = at.zeros([2, 8, 32, 32]);
    const loop = (steps: number, dispose: boolean) => {
      const fresh = freshBufferCount();
      for (let s = 0; s < steps; s++) {
        opt.zeroGrad();
        const out = net.forward(x); // 64 KiB: pooled, pinned as the user's
        at.mseLoss(out, target).backward();
        opt.step();
        if (dispose) out.dispose();
      }
      return freshBufferCount() - fresh;
    };
    loop(3, true);
    expect(loop(6, true)).toBe(0);
    expect(loop(8, false)).toBeGreaterThanOrEqual(7); // after a spare, each kept output took a buffer for good
  });

  it('a disposed tensor and its views throw when used, naming dispose(); a second dispose() does nothing', () => {
    const net = new WideOutputNet();
    const out = net.forward(at.tensor(seededValues(2 * 2 * 32 * 32, 5), [2, 2, 32, 32]));
    const view = out.reshape([2, 8 * 32 * 32]);
    const before = at.memory().pooledBytes;
    out.dispose();
    expect(at.memory().pooledBytes).toBe(before + 2 * 8 * 32 * 32 * 4); // back in the free lists
    expect(() => out.toFloat32Array()).toThrow(/disposed by Tensor\.dispose\(\)/);
    expect(() => view.sum()).toThrow(/sum: .*has no values any more: it was disposed by Tensor\.dispose\(\)/);
    expect(() => out.dispose()).not.toThrow();
  });

  it("disposing plain memory (a user's array) releases the tensor but leaves the array's values", () => {
    const values = Float32Array.from([1, 2, 3]);
    const t = at.tensor(values, [3]);
    t.dispose();
    expect(() => t.add(1)).toThrow(/disposed by Tensor\.dispose\(\)/);
    expect(Array.from(values)).toEqual([1, 2, 3]);
  });

  it('an output disposed before backward() keeps what the graph saved until backward has used it', () => {
    const n = 16384;
    const net = new ScaleNet(n, 21);
    const xs = seededValues(n, 22);
    const y = net.forward(at.tensor(xs, [n]));
    const loss = y.mul(y).sum(); // mul saves y (both operands) for its backward
    y.dispose();
    expect(y.toFloat32Array().length).toBe(n); // still saved: not yet released
    loss.backward();
    // d/dw sum((x w)^2) = 2 x^2 w, in float64
    const w = net.w.toFloat32Array();
    const grad = net.w.grad!.toFloat32Array();
    for (let i = 0; i < n; i++) {
      const expected = 2 * xs[i] * xs[i] * w[i];
      expect(Math.abs(grad[i] - expected)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected)));
    }
    expect(() => y.toFloat32Array()).toThrow(/disposed by Tensor\.dispose\(\)/); // released once backward ran
  });

  it('withModelOutputsDisposed (the CLI step) disposes what the model made, never an input it passed through', () => {
    const n = 16384;
    const net = new ScaleNet(n, 23);
    const input = at.tensor(seededValues(n, 24), [n]);
    let made: at.Tensor | null = null;
    const loss = withModelOutputsDisposed(() => {
      made = net.forward(input);
      const l = made.mul(2).sum();
      l.backward();
      return l.item();
    });
    expect(Number.isFinite(loss)).toBe(true);
    expect(() => made!.toFloat32Array()).toThrow(/a model's output in a training step/);
    const passed = withModelOutputsDisposed(() => new PassThrough().forward(input));
    expect(passed).toBe(input);
    expect(input.toFloat32Array()).toEqual(seededValues(n, 24)); // the user's batch, untouched
  });
});
