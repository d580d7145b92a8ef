// The engine's gradient-ready hooks (lib/core/autograd.ts), which DistributedDataParallel uses to
// start reducing buckets during backward: a leaf's hook fires once, when its gradient is complete.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { queueBackwardCallback, registerPostAccumulateGradHook } from '../lib/core/autograd';

describe('registerPostAccumulateGradHook', () => {
  it('fires once per leaf, after every contribution has been accumulated, and before the end-of-backward callback', () => {
    const w = at.tensor([1, 2, 3], [3], { requiresGrad: true });
    const unused = at.tensor([5], [1], { requiresGrad: true });
    const events: string[] = [];
    const seen: number[][] = [];
    const hooks = [
      registerPostAccumulateGradHook(w, () => {
        events.push('w');
        seen.push(Array.from(w.grad!.toFloat32Array()));
        queueBackwardCallback(() => events.push('end'));
      }),
      registerPostAccumulateGradHook(unused, () => events.push('unused')),
    ];
    // w feeds two branches: its gradient is x1 + 2·x2 = [1+8, 2+10, 3+12] once both have run.
    const x1 = at.tensor([1, 2, 3]);
    const x2 = at.tensor([4, 5, 6]);
    w.mul(x1).sum().add(w.mul(x2).mul(2).sum()).backward();
    expect(events).toEqual(['w', 'end']);
    expect(seen).toEqual([[9, 12, 15]]);
    hooks.forEach((h) => h.remove());
    w.mul(x1).sum().backward();
    expect(events).toEqual(['w', 'end']);
  });
});
