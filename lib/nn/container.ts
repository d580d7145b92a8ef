// Sequential(...modules): children named '0', '1', ... (as PyTorch), applied in order; ModuleList:
// the same naming, without a forward. In a Sequential, a BatchNorm2d followed by a ReLU runs as one
// op (batchNormRelu2d): the same values, gradients and statistics, without the batch-norm output
// and its masked gradient in memory.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { noGrad, runModuleForward } from '../core/autograd';
import { describeValue } from '../core/shape-checks';
import { Tensor } from '../core/tensor';
import { ReLU } from './activation';
import { BatchNorm2d } from './batchnorm';
import { Module } from './module';

/** Whether [m, next] on x may run as BatchNorm2d.forwardRelu: a fusable BatchNorm2d, then exactly a ReLU with its own forward. */
function fusesBatchNormRelu(m: Module, next: Module | undefined, x: unknown): m is BatchNorm2d {
  return m instanceof BatchNorm2d && m.fusesRelu(x) && next !== undefined && Object.getPrototypeOf(next) === ReLU.prototype &&
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared by identity
    next.forwardIs(ReLU.prototype.forward);
}

/** children[i], negative i counting from the end (Sequential.at, ModuleList.at). */
function childAt(op: string, children: readonly Module[], i: number): Module {
  const m = Number.isInteger(i) ? children[i < 0 ? children.length + i : i] : undefined;
  if (!m) throw new RangeError(`${op}: index expects an integer in [${-children.length}, ${children.length - 1}], but got ${describeValue(i)}`);
  return m;
}

export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Sequential: argument ${i} expects a Module, but got ${describeValue(m)}`);
      (this as unknown as Record<string, Module>)[String(i)] = m;
    });
  }

  get length(): number {
    return this.namedChildren().length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    return childAt('Sequential.at', this.children(), i);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Module.forward's contract: whatever the first layer takes
  override forward(x: any): any {
    const children = this.children();
    let out: unknown = x;
    for (let i = 0; i < children.length; i++) {
      const m = children[i];
      if (fusesBatchNormRelu(m, children[i + 1], out)) {
        out = m.forwardRelu(out as Tensor);
        i++; // the ReLU ran inside
      } else {
        out = m.forward(out);
      }
    }
    return out;
  }

  /**
   * Each layer's forwardAsync in turn, without a graph: convolutions run on a worker thread, and the
   * event loop gets a turn before every other layer. A [BatchNorm2d, ReLU] pair runs fused, as in forward.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as forward
  override async forwardAsync(x: any): Promise<any> {
    const children = this.children();
    let out: unknown = x;
    for (let i = 0; i < children.length; i++) {
      const m = children[i];
      if (fusesBatchNormRelu(m, children[i + 1], out)) {
        await nextTurn();
        const input = out as Tensor;
        out = noGrad(() => runModuleForward(() => m.forwardRelu(input), m));
        i++; // the ReLU ran inside
      } else {
        out = await m.forwardAsync(out);
      }
    }
    return out;
  }
}

/**
 * ModuleList(modules?): holds submodules in a list, named '0', '1', ... (as PyTorch), so that their
 * parameters appear as `name.0.weight` in the owner's state dict. It has no forward of its own.
 */
export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = []) {
    super();
    if (modules === null || typeof (modules)[Symbol.iterator] !== 'function') {
      throw new TypeError(`ModuleList: modules expects an array (or iterable) of Modules, but got ${describeValue(modules)}`);
    }
    for (const m of modules) this.append(m);
  }

  /** Adds m at the end (returns this list, as PyTorch). */
  append(m: Module): this {
    if (!(m instanceof Module)) throw new TypeError(`ModuleList.append: module expects a Module, but got ${describeValue(m)}`);
    (this as unknown as Record<string, Module>)[String(this.length)] = m;
    return this;
  }

  /** Appends each module of modules in turn. */
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  get length(): number {
    return this.namedChildren().length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    return childAt('ModuleList.at', this.children(), i);
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  override forward(): never {
    throw new Error('ModuleList: has no forward; call its modules (for (const m of list) x = m.forward(x))');
  }
}
