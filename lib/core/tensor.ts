// The row-major Tensor (float32, or int32 for indices): storage, shape, autograd state, and the
// methods docs/API.md lists.
// Math goes through lib/ops (and from there the addon); this file keeps shape bookkeeping only.
import { type GradNode, type GraphTensor, makeGradNode, pinIfUserVisible, runBackward, type SavedBuffer } from './autograd';
import { native } from '../native/load-addon';
import { checkForward, isAnomalyEnabled } from './anomaly';
import { expectCuda } from '../native/cuda-status';
import { addHolder, disown, dispose, isGraphOwned, markReleased, pin, reclaim, recycleGradient, release, releaseOwned, releaseReason } from './memory';
import * as activation from '../ops/activation';
import * as elementwise from '../ops/elementwise';
import * as shapeOps from '../ops/shape';
import { describeValue, expectTensor, formatShape, numelOf } from './shape-checks';
import { copyInto, copyOf, type Device, deviceOf, hostView, onDevice, scalarLike, type Storage } from './storage';
import { type DType, int32View, type NestedNumbers, type TensorData, toStorage } from './tensor-data';

export type { Device } from './storage';
export type { DType } from './tensor-data';

export interface TensorOptions {
  requiresGrad?: boolean;
  device?: Device;
  /** 'float32' (the default) or 'int32' (indices: class targets, token ids; never requires grad). */
  dtype?: DType;
}

export interface BackwardOptions {
  /** Keep the values the graph saved, so that backward can run through it again (PyTorch's retain_graph). */
  retainGraph?: boolean;
}

const PREVIEW_VALUES = 8;


export class Tensor implements GraphTensor {
  /**
   * The live values, row-major: a Float32Array on the CPU, a DeviceBuffer on CUDA. Views (reshape,
   * flatten, detach) share it, and a Float32Array given to at.tensor() is this very array. An int32
   * tensor keeps its int32 bytes in the same kind of storage (lib/core/tensor-data.ts: int32Storage).
   * For lib/ internals (nn, optim, io): user code reads values with toFloat32Array(). Replaced only
   * by moveTo(), which moves a leaf (a parameter) in place.
   */
  storage: Storage;
  readonly shape: readonly number[];
  readonly numel: number;
  readonly dtype: DType;
  /** The op that made this tensor, or null for a leaf. */
  readonly gradFn: GradNode | null;
  private gradValue: Tensor | null = null;
  /** Whether grad was read since accumulateGrad made it: then someone may hold it (see the setter). */
  private gradHandedOut = false;
  private leafRequiresGrad: boolean;
  /** The storage accumulateGrad made for grad, and the one zeroGrad handed back for the next step. */
  private ownGrad: Storage | null = null;
  private spareGrad: Storage | null = null;

  /** Internal: at.tensor() is the public constructor. storage.length must equal the shape's product. */
  constructor(storage: Storage, shape: readonly number[], gradFn: GradNode | null = null, requiresGrad = false, dtype: DType = 'float32') {
    if (dtype === 'int32' && (gradFn !== null || requiresGrad)) throw new TypeError('Tensor: an int32 tensor cannot require grad');
    if (storage.length !== numelOf(shape)) {
      const reason = releaseReason(storage);
      if (reason !== null) throw new Error(`Tensor: the storage of this view has no values any more: it was ${reason}`);
      throw new RangeError(`Tensor: storage has ${storage.length} values, but shape ${formatShape(shape)} needs ${numelOf(shape)}`);
    }
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.numel = storage.length;
    this.dtype = dtype;
    this.gradFn = gradFn;
    this.leafRequiresGrad = gradFn === null && requiresGrad;
    addHolder(storage, this); // release empties this tensor's storage (lib/core/memory.ts)
    if (gradFn === null) pin(storage); // a leaf's values are the user's (or a parameter's): never released early
  }

  /** Where the values live: 'cpu' or 'cuda'. */
  get device(): Device {
    return deviceOf(this.storage);
  }

  get requiresGrad(): boolean {
    return this.gradFn !== null || this.leafRequiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (typeof value !== 'boolean') throw new TypeError(`Tensor.requiresGrad expects a boolean, but got ${describeValue(value)}`);
    if (value && this.dtype === 'int32') {
      throw new TypeError('Tensor.requiresGrad: only float32 tensors can require grad, but this tensor is int32 (it holds indices)');
    }
    if (this.gradFn !== null) {
      throw new RangeError(
        `Tensor.requiresGrad can only be changed on leaf tensors; this one was made by ${this.gradFn.op} (use detach() for a leaf)`,
      );
    }
    this.leafRequiresGrad = value;
  }

  /** True when no op made this tensor (user-created, or detached). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The gradient a backward accumulated into this leaf (null before the first, or once cleared). */
  get grad(): Tensor | null {
    this.gradHandedOut = true;
    return this.gradValue;
  }

  /**
   * Sets or clears the gradient (x.grad = null: PyTorch's way to clear it). A gradient the engine made
   * that was never read since cannot be held by anyone, so clearing it hands its buffer back to the pool
   * for the next backward, as zeroGrad() does, instead of leaving fresh memory to the collector every
   * step (S8 through the API, fwd+bwd with x.grad = null: up to 2x slower). One that was read stays the
   * reader's, valid, and goes to the collector.
   */
  set grad(value: Tensor | null) {
    if (value === this.gradValue) return;
    if (this.gradValue !== null && !this.gradHandedOut) this.releaseGrad('the gradient, released when grad was set');
    else if (this.gradValue !== null && this.gradValue.storage === this.ownGrad) this.ownGrad = null; // the reader's now
    this.gradValue = value;
    this.gradHandedOut = false;
  }

  /** Internal (optimizers, clipping, DDP): grad without handing it out, so clearing it later can still recycle it. */
  peekGrad(): Tensor | null {
    return this.gradValue;
  }

  accumulateGrad(g: Storage, owned = false): void {
    if (!this.leafRequiresGrad) return;
    if (this.gradValue === null) {
      // g itself when the engine hands over pooled CPU memory (zeroGrad() gave the last step's buffer
      // back to the pool), else the previous step's buffer (kept by releaseGrad) when it still fits,
      // else g when handed over, else a copy.
      const spare = this.spareGrad;
      this.spareGrad = null;
      let storage: Storage;
      if (owned && g instanceof Float32Array && isGraphOwned(g)) {
        storage = g;
        disown(g);
      } else if (spare !== null && spare.length === g.length && deviceOf(spare) === deviceOf(g)) {
        copyInto(spare, g);
        storage = spare;
      } else {
        storage = owned ? g : copyOf(g);
        if (owned) disown(g); // the user's now, like a copy would be
      }
      this.ownGrad = storage;
      this.gradValue = new Tensor(storage, this.shape);
      this.gradHandedOut = false;
    } else {
      expectLive('Tensor.backward', 'grad (accumulating into it)', this.gradValue);
      native().add(this.gradValue.storage, g, this.gradValue.storage);
    }
  }

  /**
   * Internal (zeroGrad): grad becomes null and its buffer is kept for the next accumulation. The old
   * grad tensor, if anyone still holds it, is released (using it throws) rather than silently
   * overwritten by the next step's gradient.
   */
  releaseGrad(reason = 'the gradient of a parameter, released by zeroGrad()'): void {
    const grad = this.gradValue;
    this.gradValue = null;
    this.gradHandedOut = false;
    if (grad === null || grad.storage !== this.ownGrad) return; // a grad the user assigned is theirs
    this.ownGrad = null;
    if (grad.storage instanceof Float32Array) {
      // Back to the pool, which serves the next backward's gradient (taken over without a copy); else
      // (a gradient the engine did not hand over, or one a pending backward saved) kept as the spare.
      if (recycleGradient(grad.storage, reason)) return;
      this.spareGrad = grad.storage.length > 0 ? reclaim(grad.storage, reason) : null;
    } else {
      releaseOwned(grad.storage, reason); // back to the device's stream-ordered pool, which serves the next step
    }
  }

  /**
   * Accumulates d(this)/d(leaf) times grad into every leaf that requires grad. Without grad, this
   * must hold one element (a loss); grad, if given, has this tensor's shape. Unless
   * `{ retainGraph: true }`, the values the graph saved are released once used (as PyTorch).
   * Forms: backward(), backward(grad), backward({ retainGraph }), backward(grad, { retainGraph }).
   */
  backward(gradOrOptions?: Tensor | BackwardOptions, options?: BackwardOptions): void {
    let grad: Tensor | undefined;
    let opts: BackwardOptions | undefined = options;
    if (gradOrOptions instanceof Tensor || gradOrOptions === undefined || gradOrOptions === null) {
      grad = gradOrOptions ?? undefined;
    } else if (typeof gradOrOptions === 'object' && options === undefined) {
      opts = gradOrOptions;
    } else {
      throw new TypeError(`Tensor.backward: grad expects a Tensor (or options { retainGraph }), but got ${describeValue(gradOrOptions)}`);
    }
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
      throw new TypeError(`Tensor.backward: options expects { retainGraph?: boolean }, but got ${describeValue(opts)}`);
    }
    const retainGraph = opts?.retainGraph ?? false;
    if (typeof retainGraph !== 'boolean') {
      throw new TypeError(`Tensor.backward: options.retainGraph expects a boolean, but got ${describeValue(retainGraph)}`);
    }
    expectLive('Tensor.backward', 'this tensor', this);
    if (!this.requiresGrad) {
      throw new Error(
        'Tensor.backward: this tensor does not require grad, so it has no graph (were its inputs created with ' +
          '{ requiresGrad: true }, and outside noGrad()?)',
      );
    }
    let seed: Storage;
    if (grad === undefined) {
      if (this.numel !== 1) {
        throw new RangeError(
          `Tensor.backward: grad can be omitted only for a one-element tensor (a loss), but this has shape ${formatShape(this.shape)}`,
        );
      }
      seed = scalarLike(this.storage, 1);
    } else {
      expectTensor('Tensor.backward', 'grad', grad);
      if (grad.shape.length !== this.shape.length || grad.shape.some((d, i) => d !== this.shape[i])) {
        throw new RangeError(
          `Tensor.backward: grad expects shape ${formatShape(this.shape)} (this tensor's), but got ${formatShape(grad.shape)}`,
        );
      }
      if (grad.device !== this.device) {
        throw new TypeError(`Tensor.backward: grad expects a tensor on '${this.device}' (this tensor's device), but it is on '${grad.device}'`);
      }
      expectLive('Tensor.backward', 'grad', grad);
      seed = grad.storage;
    }
    runBackward(this, seed, retainGraph);
    if (grad === undefined) release(seed, 'the seed gradient of backward()'); // ours alone (a device scalar on CUDA)
  }

  /** A leaf sharing this tensor's storage, outside the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, null, false, this.dtype);
  }

  /**
   * Gives this tensor's memory back now rather than when the collector finds it dead (tf.Tensor's
   * dispose): a model's output that a training loop drops every step otherwise takes fresh memory
   * each step. Views sharing the storage (reshape, detach) lose their values too; a graph that saved
   * them for a pending backward keeps them until that backward has run. Using the tensor afterwards
   * throws. Calling it again does nothing.
   */
  dispose(): void {
    if (this.storage.length !== this.numel || this.numel === 0) return; // released already
    const reason = 'disposed by Tensor.dispose()';
    if (dispose(this.storage, reason)) return;
    const empty = new Float32Array(0); // plain memory (V8's to free): only this tensor lets go of it
    markReleased(empty, reason);
    this.storage = empty;
  }

  /**
   * This tensor on device: itself when already there, else a copy that stays in the graph (its
   * gradient flows back to this tensor's device), as PyTorch's Tensor.to.
   */
  to(device: Device): Tensor {
    const op = `Tensor.to('${String(device)}')`;
    if (device !== 'cpu' && device !== 'cuda') {
      throw new TypeError(`Tensor.to: device expects 'cpu' or 'cuda', but got ${describeValue(device)}`);
    }
    if (device === this.device) return this;
    if (device === 'cuda') expectCuda(op);
    if (this.dtype === 'int32') return new Tensor(onDevice(this.storage, device, op), this.shape, null, false, 'int32'); // the bytes move as they are
    const from = this.device;
    return opResult(op, onDevice(this.storage, device, op), this.shape, [this], (g) => [onDevice(g, from, op)]);
  }

  /**
   * Internal (Module.to): moves this leaf's values, and its grad, to device in place, so that
   * optimizers and state dicts holding this very tensor follow it.
   */
  moveTo(device: Device): void {
    const op = `Module.to('${device}')`;
    if (this.gradFn !== null) throw new Error(`${op}: only leaf tensors move in place; this one was made by ${this.gradFn.op}`);
    if (device === 'cuda') expectCuda(op);
    this.storage = onDevice(this.storage, device, op);
    addHolder(this.storage, this);
    pin(this.storage); // still a leaf: its values are the user's
    if (this.gradValue !== null) {
      const moved = onDevice(this.gradValue.storage, device, op);
      pin(moved);
      if (this.ownGrad === this.gradValue.storage) this.ownGrad = moved;
      this.gradValue.storage = moved;
    }
    this.spareGrad = null;
  }

  /** A copy of the values, row-major, in host memory (downloaded from the device if need be); int32 values converted. */
  toFloat32Array(): Float32Array {
    expectLive('Tensor.toFloat32Array', 'this tensor', this);
    if (this.dtype === 'int32') return new Float32Array(this.hostInt32());
    return this.storage instanceof Float32Array ? this.storage.slice() : hostView(this.storage);
  }

  /** A copy of an int32 tensor's values, row-major, in host memory. */
  toInt32Array(): Int32Array {
    expectLive('Tensor.toInt32Array', 'this tensor', this);
    if (this.dtype !== 'int32') {
      throw new TypeError('Tensor.toInt32Array: expects an int32 tensor, but this one is float32 (use toFloat32Array())');
    }
    return this.storage instanceof Float32Array ? int32View(this.storage).slice() : this.hostInt32();
  }

  /** The values as plain numbers, nested by the shape (a number for a 0-d tensor), as torch's tolist(). */
  tolist(): NestedNumbers {
    expectLive('Tensor.tolist', 'this tensor', this);
    const flat = Array.from(this.dtype === 'int32' ? this.hostInt32() : hostView(this.storage));
    if (this.shape.length === 0) return flat[0];
    let level: NestedNumbers[] = flat;
    for (let d = this.shape.length - 1; d > 0; d--) {
      const size = this.shape[d];
      const next: NestedNumbers[] = [];
      for (let i = 0; i < level.length; i += size) next.push(level.slice(i, i + size));
      level = next;
    }
    return level;
  }

  /** An int32 tensor's values in host memory: a view of the CPU storage, a download from CUDA. */
  private hostInt32(): Int32Array {
    return int32View(hostView(this.storage));
  }

  item(): number {
    if (this.numel !== 1) {
      throw new RangeError(`Tensor.item: expects a one-element tensor, but this has shape ${formatShape(this.shape)}`);
    }
    expectLive('Tensor.item', 'this tensor', this);
    return this.dtype === 'int32' ? this.hostInt32()[0] : hostView(this.storage)[0];
  }

  reshape(shape: readonly number[]): Tensor {
    return elementwise.reshape(this, shape);
  }

  flatten(startDim = 1): Tensor {
    return elementwise.flatten(this, startDim);
  }

  add(other: Tensor | number): Tensor {
    return elementwise.add(this, other);
  }

  sub(other: Tensor | number): Tensor {
    return elementwise.sub(this, other);
  }

  mul(other: Tensor | number): Tensor {
    return elementwise.mul(this, other);
  }

  sum(): Tensor {
    return elementwise.sum(this);
  }

  mean(): Tensor {
    return elementwise.mean(this);
  }

  relu(): Tensor {
    return activation.relu(this);
  }

  tanh(): Tensor {
    return activation.tanh(this);
  }

  sigmoid(): Tensor {
    return activation.sigmoid(this);
  }

  /** dim0 and dim1 swapped (a contiguous copy); negative dims count from the end. */
  transpose(dim0: number, dim1: number): Tensor {
    return shapeOps.transpose(this, dim0, dim1);
  }

  /** Dims reordered: result dim i is this tensor's dim dims[i] (a contiguous copy). */
  permute(dims: readonly number[]): Tensor {
    return shapeOps.permute(this, dims);
  }

  /** The index of the largest value along dim (that dim removed), as an int32 tensor; over all values without dim. */
  argmax(dim?: number): Tensor {
    return shapeOps.argmax(this, dim);
  }

  /** A view with a new dim of size 1 at dim (in [-rank-1, rank]). */
  unsqueeze(dim: number): Tensor {
    return shapeOps.unsqueeze(this, dim);
  }

  /** A view without the size-1 dim `dim` (unchanged if that dim is not 1), or without every size-1 dim. */
  squeeze(dim?: number): Tensor {
    return shapeOps.squeeze(this, dim);
  }

  toString(): string {
    return `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  /** console.log shows the shape and the first values, not the whole storage. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const values = this.dtype === 'int32' ? this.hostInt32() : hostView(this.storage);
    const shown = Array.from(values.subarray(0, PREVIEW_VALUES), (v) => Number(v.toPrecision(6)));
    return `${this.toString()} [${shown.join(', ')}${this.numel > PREVIEW_VALUES ? ', …' : ''}]`;
  }
}

/**
 * The result of an op: a tensor that records `backward` when any input requires grad (and grad mode
 * is on). `saved` names every storage backward reads (see makeGradNode): it is released after use.
 */
export function opResult(
  op: string,
  storage: Storage,
  shape: readonly number[],
  inputs: readonly (Tensor | null | undefined)[],
  backward: Parameters<typeof makeGradNode>[2],
  saved: readonly (SavedBuffer | null | undefined)[] = [],
): Tensor {
  if (isAnomalyEnabled()) checkForward(op, storage);
  pinIfUserVisible(storage);
  return new Tensor(storage, shape, makeGradNode(op, inputs, backward, saved));
}

/**
 * Throws when t's storage was released (by backward() or zeroGrad(); see lib/core/memory.ts): a stale
 * tensor must never read memory that now belongs to another.
 */
export function expectLive(op: string, arg: string, t: Tensor): void {
  const s = t.storage;
  if (s.length === t.numel) return;
  const reason = releaseReason(s) ?? 'released';
  throw new Error(`${op}: ${arg} (shape ${formatShape(t.shape)}) has no values any more: it was ${reason}`);
}

/** at.tensor(data, shape?, opts?): see docs/API.md "Tensors" (and "Wave 2" for dtype 'int32'). */
export function tensor(data: TensorData, shape?: readonly number[] | null, opts?: TensorOptions): Tensor {
  const options = checkOptions('tensor', opts);
  const dtype = opts?.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new TypeError(`tensor: opts.dtype expects 'float32' or 'int32', but got ${describeValue(dtype)}`);
  }
  if (dtype === 'int32' && options.requiresGrad) {
    throw new TypeError("tensor: opts.requiresGrad expects false for dtype 'int32' (only float tensors can require grad)");
  }
  const { storage, shape: finalShape } = toStorage(data, shape, dtype);
  return new Tensor(onDevice(storage, options.device, 'tensor'), finalShape, null, options.requiresGrad, dtype);
}

/** Validates { requiresGrad?, device? } for factories (dtype is at.tensor's own); 'cuda' without CUDA is refused with the reason. */
export function checkOptions(op: string, opts: TensorOptions | undefined): { requiresGrad: boolean; device: Device } {
  if (opts === undefined) return { requiresGrad: false, device: 'cpu' };
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: opts expects an object, but got ${describeValue(opts)}`);
  const { requiresGrad = false, device = 'cpu' } = opts;
  if (typeof requiresGrad !== 'boolean') {
    throw new TypeError(`${op}: opts.requiresGrad expects a boolean, but got ${describeValue(requiresGrad)}`);
  }
  if (device !== 'cpu' && device !== 'cuda') {
    throw new TypeError(`${op}: opts.device expects 'cpu' or 'cuda', but got ${describeValue(device)}`);
  }
  if (device === 'cuda') expectCuda(`${op}: opts.device 'cuda'`);
  return { requiresGrad, device };
}
