// SGD with momentum, dampening, Nesterov momentum and (L2) weight decay: torch.optim.SGD's update,
// fused in the addon (sgdStep). Parameters without a gradient (frozen, or unused) are left as they are.
import { native } from '../native/load-addon';
import { describeValue } from '../core/shape-checks';
import type { Tensor } from '../core/tensor';
import { Optimizer, type ParamGroupSpec, type StateValue } from './optimizer';

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

export class SGD extends Optimizer<SgdOptions> {
  constructor(params: Tensor[] | ParamGroupSpec<SgdOptions>[] | Iterable<Tensor>, opts: Partial<SgdOptions> & { lr: number }) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`SGD: opts expects { lr, momentum?, dampening?, weightDecay?, nesterov? }, but got ${describeValue(opts)}`);
    if (opts.lr === undefined) throw new TypeError('SGD: opts.lr expects a learning rate (a number >= 0), but got undefined');
    super('SGD', params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...opts });
  }

  protected checkHyper(g: SgdOptions, where: string): void {
    this.expectNumber(where, 'lr', g.lr, 0);
    this.expectNumber(where, 'momentum', g.momentum, 0);
    this.expectNumber(where, 'dampening', g.dampening, 0, 1);
    this.expectNumber(where, 'weightDecay', g.weightDecay, 0);
    if (typeof g.nesterov !== 'boolean') throw new TypeError(`SGD: ${where}.nesterov expects a boolean, but got ${describeValue(g.nesterov)}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new RangeError(`SGD: ${where}.nesterov expects momentum > 0 and dampening 0, but got momentum ${g.momentum} and dampening ${g.dampening}`);
    }
  }

  protected checkState(values: Record<string, StateValue>, where: string, op: string): void {
    const buf = values.momentumBuffer;
    if (buf !== undefined && typeof buf === 'number') throw new TypeError(`${op}: ${where}.momentumBuffer expects a Tensor`);
  }

  step<T>(closure?: () => T): T | undefined {
    const loss = closure?.();
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        const grad = p.peekGrad();
        if (grad === null) continue;
        let state = this.state.get(p);
        if (state === undefined) this.state.set(p, (state = {}));
        const first = state.momentumBuffer === undefined;
        const buf = g.momentum !== 0 ? this.stateBuffer(p, state, 'momentumBuffer') : null;
        native().sgdStep(p.storage, grad.storage, buf, g.lr, g.momentum, g.dampening, g.weightDecay, g.nesterov, first);
      }
    }
    return loss;
  }
}
