// Sequential(...modules): children named '0', '1', ... (as PyTorch), applied in order.
import { describeValue } from '../shape-checks';
import { Module } from './module';

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
    const children = this.children();
    const m = children[i < 0 ? children.length + i : i];
    if (!m) throw new RangeError(`Sequential.at: index expects an integer in [${-children.length}, ${children.length - 1}], but got ${describeValue(i)}`);
    return m;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override forward(x: any): any {
    let out = x;
    for (const m of this.children()) out = m.forward(out);
    return out;
  }

  /** Each layer's forwardAsync in turn: convolutions run on a worker thread, without a graph. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override async forwardAsync(x: any): Promise<any> {
    let out = x;
    for (const m of this.children()) out = await m.forwardAsync(out);
    return out;
  }
}
