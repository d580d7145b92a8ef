// Module: the base of every layer and model. Parameters (Tensor properties), submodules (Module
// properties, or arrays of Modules) and buffers (registerBuffer) are found by property name in
// assignment order and named as PyTorch names them: own parameters, then own buffers, then each
// child's entries under "child." (`conv1.weight`, `layers.0.bias`, `bn.running_mean`).
// A Tensor property is a parameter; a constant that is state but not trained goes in registerBuffer.
import { noGrad, runModuleForward } from '../core/autograd';
import { type Device, Tensor } from '../core/tensor';
import { describeValue, formatShape } from '../core/shape-checks';
import { expectCuda } from '../native/cuda-status';
import { copyInto } from '../core/storage';
import type { PathCountMap, ReceptiveStep } from './receptive-field';
import type { StreamRole } from './stream';
import { receptiveFieldMapOf, summarize, type ModelSummary, type ReceptiveFieldMapOptions, type SummaryOptions } from './summary';

export interface LoadStateDictOptions {
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A validated load: what to copy where, ready to apply (used by checkpoints to check everything first). */
export interface StateDictPlan extends LoadStateDictResult {
  apply(): void;
}

export class Module {
  /** True after train() (the default), false after eval(): Dropout and BatchNorm2d read it. */
  training = true;
  readonly #buffers = new Map<string, Tensor>();

  /** The class's forward that this instance's own forward property wraps (see the constructor). */
  readonly #forwardImpl: (...inputs: unknown[]) => unknown;
  readonly #forwardWrapper: (...inputs: unknown[]) => unknown;

  constructor() {
    // Every forward runs inside runModuleForward, so autograd can tell a module's intermediates (freed
    // after backward) from what the caller receives. Non-enumerable: not a parameter or child.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with this below; kept unbound for forwardIs
    const forward = this.forward;
    const wrapper = (...inputs: unknown[]): unknown => runModuleForward((): unknown => forward.apply(this, inputs), this);
    this.#forwardImpl = forward;
    this.#forwardWrapper = wrapper;
    Object.defineProperty(this, 'forward', { value: wrapper, enumerable: false, writable: true, configurable: true });
  }

  /** Internal: this instance's forward is impl, as the constructor wrapped it (not replaced or shadowed since). */
  forwardIs(impl: unknown): boolean {
    return this.forward === this.#forwardWrapper && this.#forwardImpl === impl;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as PyTorch's: each subclass types its own inputs and output
  forward(..._inputs: any[]): any {
    throw new Error(`${this.constructor.name}.forward: not implemented (a Module subclass defines forward(x))`);
  }

  /**
   * Inference without a graph, as a Promise. Conv layers and Sequential run their convolutions on a
   * worker thread (the event loop stays free between and during them); any other module yields to
   * the event loop once, then runs its forward synchronously (override forwardAsync to do better).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as forward
  async forwardAsync(...inputs: unknown[]): Promise<any> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return noGrad((): unknown => this.forward(...inputs));
  }

  /** Registers a non-trained state tensor (a running statistic) under a state_dict name. */
  registerBuffer(name: string, tensor: Tensor): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new TypeError(`${this.constructor.name}.registerBuffer: name expects a non-empty string without '.', but got ${describeValue(name)}`);
    }
    if (!(tensor instanceof Tensor)) {
      throw new TypeError(`${this.constructor.name}.registerBuffer: tensor expects a Tensor, but got ${describeValue(tensor)}`);
    }
    this.#buffers.set(name, tensor);
  }

  /** Own parameters, in property order. */
  protected ownParameters(): [string, Tensor][] {
    return Object.entries(this).filter((e): e is [string, Tensor] => e[1] instanceof Tensor);
  }

  /** Direct submodules, in property order; an array of Modules gives `name.0`, `name.1`, ... */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Module)) {
        value.forEach((m: Module, i) => out.push([`${key}.${i}`, m]));
      }
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module ('') and every descendant, depth first, each once. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [child, sub] of m.namedChildren()) visit(sub, name ? `${name}.${child}` : child);
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue; // a shared (tied) parameter is listed once, as PyTorch does
        seen.add(p);
        out.push([prefix ? `${prefix}.${name}` : name, p]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m.#buffers) out.push([prefix ? `${prefix}.${name}` : name, b]);
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Every parameter and buffer by its PyTorch name, in state_dict order: views sharing their storage. */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.collectState('', out, new Set());
    return out;
  }

  private collectState(prefix: string, out: Record<string, Tensor>, seen: Set<Module>): void {
    if (seen.has(this)) return;
    seen.add(this);
    for (const [name, p] of this.ownParameters()) out[prefix + name] = p.detach();
    for (const [name, b] of this.#buffers) out[prefix + name] = b.detach();
    for (const [name, child] of this.namedChildren()) child.collectState(`${prefix}${name}.`, out, seen);
  }

  /**
   * Copies values from sd into the parameters and buffers of the same names. Strict (the default):
   * a missing or unexpected entry throws, naming it. A wrongly shaped entry always throws. Nothing
   * changes unless everything fits.
   */
  loadStateDict(sd: Record<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    const plan = this.planLoadStateDict(sd, opts);
    plan.apply();
    return { missingKeys: plan.missingKeys, unexpectedKeys: plan.unexpectedKeys };
  }

  /** Checks sd against this module, throwing as loadStateDict does, and returns the copy to make. */
  planLoadStateDict(sd: Record<string, Tensor>, opts: LoadStateDictOptions = {}): StateDictPlan {
    const op = `${this.constructor.name}.loadStateDict`;
    if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) {
      throw new TypeError(`${op}: stateDict expects an object of name -> Tensor, but got ${describeValue(sd)}`);
    }
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: opts expects { strict? }, but got ${describeValue(opts)}`);
    const strict = opts.strict ?? true;
    if (typeof strict !== 'boolean') throw new TypeError(`${op}: opts.strict expects a boolean, but got ${describeValue(strict)}`);
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(sd, k));
    const unexpectedKeys = Object.keys(sd).filter((k) => !Object.hasOwn(own, k));
    if (strict && missingKeys.length > 0) {
      const k = missingKeys[0];
      throw new RangeError(
        `${op}: missing entry '${k}' (expected shape ${formatShape(own[k].shape)})` +
          (missingKeys.length > 1 ? `; also missing: ${missingKeys.slice(1).join(', ')}` : '') + '. Nothing was loaded.',
      );
    }
    if (strict && unexpectedKeys.length > 0) {
      throw new RangeError(
        `${op}: unexpected entry '${unexpectedKeys[0]}' (this model has no such parameter or buffer)` +
          (unexpectedKeys.length > 1 ? `; also unexpected: ${unexpectedKeys.slice(1).join(', ')}` : '') + '. Nothing was loaded.',
      );
    }
    const copies: [Tensor, Tensor][] = [];
    for (const [k, target] of Object.entries(own)) {
      if (!Object.hasOwn(sd, k)) continue;
      const source = sd[k];
      if (!(source instanceof Tensor)) throw new TypeError(`${op}: entry '${k}' expects a Tensor, but got ${describeValue(source)}`);
      const same = source.shape.length === target.shape.length && source.shape.every((d, i) => d === target.shape[i]);
      if (!same) {
        throw new RangeError(
          `${op}: entry '${k}' expects shape ${formatShape(target.shape)} (this model's), but got ${formatShape(source.shape)}. Nothing was loaded.`,
        );
      }
      copies.push([target, source]);
    }
    return {
      missingKeys,
      unexpectedKeys,
      apply: () => {
        for (const [target, source] of copies) copyInto(target.storage, source.storage);
      },
    };
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`${this.constructor.name}.train: mode expects a boolean, but got ${describeValue(mode)}`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Stops gradients to every parameter (requiresGrad = false): optimizers then leave them untouched. */
  freeze(): this {
    for (const p of this.parameters()) p.requiresGrad = false;
    return this;
  }

  unfreeze(): this {
    for (const p of this.parameters()) p.requiresGrad = true;
    return this;
  }

  /** Clears every parameter's gradient (to null, as PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.releaseGrad();
  }

  /**
   * Moves every parameter and buffer (and gradient) to device in place, so optimizers built on these
   * parameters follow them; returns this. Without CUDA, 'cuda' throws the reason before anything moves.
   */
  to(device: Device): this {
    if (device !== 'cpu' && device !== 'cuda') {
      throw new TypeError(`Module.to: device expects 'cpu' or 'cuda', but got ${describeValue(device)}`);
    }
    if (device === 'cuda') expectCuda("Module.to('cuda')");
    for (const t of [...this.parameters(), ...this.buffers()]) t.moveTo(device);
    return this;
  }

  /**
   * Runs a forward pass on zeros of inputShape (the full shape, batch included) in eval mode, and returns
   * each layer's output shape, parameter count and receptive field, with rows for the ops between layers
   * (at.cat, residual adds) and what each row reads, so parallel branches show as such. Throws at the
   * first layer whose input does not fit, naming it. Training state and running statistics are kept.
   */
  summary(inputShape: readonly number[], opts?: SummaryOptions): ModelSummary {
    return summarize(this, inputShape, opts);
  }

  /**
   * For one output position of the conv/pool part (default its centre), the number of tap chains that
   * reach each input position: 0 marks the holes a stack of dilations leaves. From the layers' geometry.
   */
  receptiveFieldMap(inputShape: readonly number[], opts?: ReceptiveFieldMapOptions): PathCountMap {
    return receptiveFieldMapOf(this, inputShape, opts);
  }

  /** How this layer widens the receptive field (layers override it); null: it acts per position. */
  receptiveStep(_inputShape: readonly number[]): ReceptiveStep | null {
    return null;
  }

  /**
   * How this layer runs inside at.nn.stream (layers override it). Modules with children run through
   * them; a leaf that widens the receptive field (a window or the whole input) cannot stream unless it
   * says how; any other leaf is taken to act per time step. A custom layer that mixes time steps
   * without a receptiveStep should return { kind: 'refuse', why }.
   */
  streamRole(): StreamRole {
    if (this.namedChildren().length > 0) return { kind: 'container' };
    if (this.receptiveStep !== Module.prototype.receptiveStep) {
      return { kind: 'refuse', why: 'it looks at a window of steps (or the whole sequence) at once' };
    }
    return { kind: 'pointwise' };
  }

  /** The constructor arguments shown by toString() (layers override it). */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const children = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([name, m]) => `  (${name}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}
