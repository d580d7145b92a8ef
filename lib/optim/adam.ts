// Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight decay), with amsgrad:
// torch.optim's single-tensor updates, fused in the addon (adamStep).
import { native } from '../native/load-addon';
import { describeValue } from '../core/shape-checks';
import type { Tensor } from '../core/tensor';
import { Optimizer, type ParamGroupSpec, type StateValue } from './optimizer';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

type Params = Tensor[] | ParamGroupSpec<AdamOptions>[] | Iterable<Tensor>;

class AdamBase extends Optimizer<AdamOptions> {
  private readonly decoupled: boolean;

  protected constructor(name: string, params: Params, opts: Partial<AdamOptions> | undefined, defaultDecay: number, decoupled: boolean) {
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
      throw new TypeError(`${name}: opts expects { lr?, betas?, eps?, weightDecay?, amsgrad? }, but got ${describeValue(opts)}`);
    }
    super(name, params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: defaultDecay, amsgrad: false, ...opts });
    this.decoupled = decoupled;
  }

  protected checkHyper(g: AdamOptions, where: string): void {
    this.expectNumber(where, 'lr', g.lr, 0);
    this.expectNumber(where, 'eps', g.eps, 0);
    this.expectNumber(where, 'weightDecay', g.weightDecay, 0);
    if (!Array.isArray(g.betas) || g.betas.length !== 2) throw new TypeError(`${this.name}: ${where}.betas expects [beta1, beta2], but got ${describeValue(g.betas)}`);
    this.expectNumber(where, 'betas[0]', g.betas[0], 0, 1, true);
    this.expectNumber(where, 'betas[1]', g.betas[1], 0, 1, true);
    if (typeof g.amsgrad !== 'boolean') throw new TypeError(`${this.name}: ${where}.amsgrad expects a boolean, but got ${describeValue(g.amsgrad)}`);
  }

  protected checkState(values: Record<string, StateValue>, where: string, op: string): void {
    const { step, expAvg, expAvgSq } = values;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 1) throw new TypeError(`${op}: ${where}.step expects an integer >= 1, but got ${describeValue(step)}`);
    if (expAvg === undefined || typeof expAvg === 'number' || expAvgSq === undefined || typeof expAvgSq === 'number') throw new TypeError(`${op}: ${where} expects expAvg and expAvgSq tensors`);
  }

  step<T>(closure?: () => T): T | undefined {
    const loss = closure?.();
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        const grad = p.peekGrad();
        if (grad === null) continue;
        let state = this.state.get(p);
        if (state === undefined) this.state.set(p, (state = { step: 0 }));
        const expAvg = this.stateBuffer(p, state, 'expAvg');
        const expAvgSq = this.stateBuffer(p, state, 'expAvgSq');
        const maxExpAvgSq = g.amsgrad ? this.stateBuffer(p, state, 'maxExpAvgSq') : null;
        const step = (state.step as number) + 1;
        state.step = step;
        native().adamStep(p.storage, grad.storage, expAvg, expAvgSq, maxExpAvgSq, g.lr, g.betas[0], g.betas[1], g.eps,
          g.weightDecay, this.decoupled, step);
      }
    }
    return loss;
  }
}

export class Adam extends AdamBase {
  constructor(params: Params, opts?: Partial<AdamOptions>) {
    super('Adam', params, opts, 0, false);
  }
}

/** Adam with decoupled weight decay (default 1e-2, as PyTorch): param ·= 1 − lr·weightDecay each step. */
export class AdamW extends AdamBase {
  constructor(params: Params, opts?: Partial<AdamOptions>) {
    super('AdamW', params, opts, 1e-2, true);
  }
}
