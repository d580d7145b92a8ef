// Reverse-mode autograd: every op result that depends on a tensor requiring grad records a GradNode
// (its inputs and a backward closure). backward() walks the graph once in topological order,
// passing gradients from outputs to inputs and accumulating them into leaves that require grad.
// Gradients of intermediate (non-leaf) tensors go back to the memory pool as soon as they have been
// propagated. Unless backward({ retainGraph: true }), so do, once their node has run, the values a node
// saved (as PyTorch frees a graph's saved tensors) and the activations made inside Module.forward calls
// (a module's intermediates: what its caller never receives). A steady training loop then reuses the
// same buffers step after step (lib/core/memory.ts). What a user can hold is never released early: leaves,
// the results of ops called outside any module, and what the outermost Module.forward returns.
import { native } from '../native/load-addon';
import { acquirePlainFloat32, acquirePlainInt32, dispose, isGraphOwned, pin, release, save, unsave } from './memory';
import type { IndexBuffer } from '../native/addon-api';
import { allocateIndices, allocateLike, type Device, type Storage } from './storage';
import { checkGradient, enterModule, isAnomalyEnabled, moduleContext, type AnomalyModule } from './anomaly';

/** What a node may save for its backward: float values or int32 indices (a max-pool argmax). */
export type SavedBuffer = Storage | IndexBuffer;

/** What the engine needs from a tensor (Tensor implements it; kept minimal to avoid an import cycle). */
export interface GraphTensor {
  readonly gradFn: GradNode | null;
  readonly storage: Storage;
  readonly requiresGrad: boolean;
  readonly numel: number;
  /**
   * Adds g into this leaf's .grad (creating it on first use). g may be shared: it is copied, never
   * kept, unless `owned` (the engine's own buffer, held by nothing else), which a new grad may take.
   */
  accumulateGrad(g: Storage, owned?: boolean): void;
}

/**
 * Maps the gradient of an op's output to the gradients of its inputs: one entry per input, null
 * where needsGrad is false. Returned buffers may alias gradOut or each other; the engine never
 * writes into a buffer it did not allocate.
 */
export type BackwardFn = (gradOut: Storage, needsGrad: readonly boolean[]) => (Storage | null)[];

export interface GradNode {
  readonly op: string;
  readonly inputs: readonly GraphTensor[];
  backward: BackwardFn;
  /** The forward values (and op-internal buffers) backward reads; released once it has run. */
  saved: readonly SavedBuffer[];
  /** backward ran without retainGraph and its saved values are gone. */
  freed: boolean;
  /** Anomaly mode only: the Module.forward calls that made this node, to name one in a gradient error. */
  modules?: readonly AnomalyModule[];
}

let gradEnabled = true;
/** How many Module.forward calls are running: op results made at depth 0 are the user's. */
let moduleDepth = 0;

/**
 * Runs a module's forward (Module wraps every instance's forward in this). Tensors made inside are
 * the module's intermediates; what the outermost call returns is pinned, as the user holds it.
 */
export function runModuleForward<T>(fn: () => T, module?: AnomalyModule): T {
  moduleDepth++;
  const exitModule = enterModule(module); // anomaly mode names the module an op ran in
  let out: T;
  try {
    out = fn();
  } finally {
    exitModule();
    moduleDepth--;
  }
  if (moduleDepth === 0) {
    const collect = modelOutputs;
    forEachResultStorage(out, (storage) => {
      if (collect !== null && isGraphOwned(storage)) collect.push(storage); // not an input passed through, nor a leaf's view
      pin(storage);
    });
  }
  return out;
}

/** The storages of the outermost Module.forward results while withModelOutputsDisposed runs, else null. */
let modelOutputs: Storage[] | null = null;

/**
 * Internal (the CLI's training step, where nothing outlives the step but the loss's value): runs fn,
 * then disposes of what every outermost Module.forward call inside it returned, as t.dispose() would.
 * Without this a model's pinned output leaves the pool each step and its successor is fresh memory.
 */
export function withModelOutputsDisposed<T>(fn: () => T): T {
  if (modelOutputs !== null) return fn(); // nested: the outer call disposes
  const outputs: Storage[] = [];
  modelOutputs = outputs;
  try {
    return fn();
  } finally {
    modelOutputs = null;
    for (const s of outputs) dispose(s, "a model's output in a training step, disposed once the step was done");
  }
}

/**
 * Whether a graph inside a module will own an op's forward result (pooled, released by backward()),
 * rather than the user from the start: outside any module, under noGrad, or with no input requiring
 * grad, no node will ever release it.
 */
function graphWillOwn(inputs: readonly (GraphTensor | null | undefined)[]): boolean {
  return gradEnabled && moduleDepth > 0 && inputs.some((t) => t != null && t.requiresGrad);
}

/**
 * Storage for an op's forward result, or a buffer only its backward reads (a mask), next to like:
 * from the pool when a graph will own it, else plain memory (lib/core/memory.ts: acquirePlainFloat32).
 */
export function allocateForward(like: Storage, n: number, inputs: readonly (GraphTensor | null | undefined)[]): Storage {
  return like instanceof Float32Array && !graphWillOwn(inputs) ? acquirePlainFloat32(n) : allocateLike(like, n);
}

/**
 * Storage that only an op's backward reads (softmax probabilities a loss saves, a dropout mask): from the
 * pool whenever a node will be made, which releases it after its backward, even outside any module (a
 * loss on a model's output); else plain memory, as allocateForward.
 */
export function allocateSaved(like: Storage, n: number, inputs: readonly (GraphTensor | null | undefined)[]): Storage {
  const nodeWillOwn = gradEnabled && inputs.some((t) => t != null && t.requiresGrad);
  return like instanceof Float32Array && !nodeWillOwn ? acquirePlainFloat32(n) : allocateLike(like, n);
}

/** int32 slots (max-pool indices) on device for an op's forward, as allocateForward decides. */
export function allocateForwardIndices(device: Device, n: number, inputs: readonly (GraphTensor | null | undefined)[]): IndexBuffer {
  return device === 'cpu' && !graphWillOwn(inputs) ? acquirePlainInt32(n) : allocateIndices(device, n);
}

/** Ops call it on their result's storage: outside any module the user holds it. */
export function pinIfUserVisible(storage: Storage): void {
  if (moduleDepth === 0) pin(storage);
}

/** Calls fn with the storage of every tensor in a module's result (a tensor, or arrays and plain objects of them). */
function forEachResultStorage(out: unknown, fn: (storage: Storage) => void): void {
  if (out === null || typeof out !== 'object') return;
  if (isGraphTensorWithStorage(out)) {
    fn(out.storage);
  } else if (Array.isArray(out)) {
    for (const o of out) forEachResultStorage(o, fn);
  } else if (Object.getPrototypeOf(out) === Object.prototype) {
    for (const o of Object.values(out)) forEachResultStorage(o, fn);
  }
}

function isGraphTensorWithStorage(v: object): v is { storage: Storage } {
  return 'storage' in v && 'gradFn' in v && 'shape' in v;
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording a graph (results have requiresGrad false). Synchronous: fn's return value is passed through. */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`noGrad: fn expects a function, but got ${typeof fn}`);
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Runs fn recording the graph even inside noGrad (torch.enable_grad): summary() traces its forward so. */
export function enableGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * The node to attach to an op's result, or null when nothing upstream needs a gradient. `saved` lists
 * every storage the backward closure reads (inputs' values and op-internal buffers such as a mask):
 * they are kept until this node's backward has run, then released unless the graph is retained.
 */
export function makeGradNode(
  op: string, inputs: readonly (GraphTensor | null | undefined)[], backward: BackwardFn, saved: readonly (SavedBuffer | null | undefined)[] = [],
): GradNode | null {
  if (!gradEnabled) return null;
  const present = inputs.filter((t): t is GraphTensor => t != null);
  if (!present.some((t) => t.requiresGrad)) return null;
  const kept = saved.filter((s): s is SavedBuffer => s != null);
  for (const s of kept) save(s);
  // Absent inputs (an optional bias) become non-requiring placeholders so indices stay aligned.
  const node: GradNode = { op, inputs: inputs.map((t) => t ?? NO_INPUT), backward, saved: kept, freed: false };
  if (isAnomalyEnabled()) node.modules = moduleContext();
  return node;
}

const NO_INPUT: GraphTensor = { gradFn: null, storage: new Float32Array(0), requiresGrad: false, numel: 0, accumulateGrad() {} };

/**
 * Propagates rootGrad (d out / d root, same length as root) through the graph behind root. Without
 * retainGraph, each node's saved values are released once it has run, and running backward through
 * it again throws (as PyTorch's "backward through the graph a second time").
 */
export function runBackward(root: GraphTensor, rootGrad: Storage, retainGraph = false): void {
  backwardCallbacks.length = 0; // what a failed backward() queued
  if (root.gradFn === null) {
    root.accumulateGrad(rootGrad);
    return;
  }
  const pending = new Map<GraphTensor, Storage>([[root, rootGrad]]);
  // How many pending slots hold each gradient buffer: the last one to go releases it to the pool.
  const holds = new Map<Storage, number>();
  const hold = (g: Storage) => holds.set(g, (holds.get(g) ?? 0) + 1);
  const drop = (g: Storage) => {
    const left = (holds.get(g) ?? 1) - 1;
    if (left > 0) {
      holds.set(g, left);
      return;
    }
    holds.delete(g);
    if (g !== rootGrad) release(g, 'an intermediate gradient');
  };
  hold(rootGrad);
  const order = topologicalOrder(root);
  const ready = postAccumulateHooks.size > 0 ? new LeafReadiness(order) : null;
  for (let i = 0; i < order.length; i++) {
    ready?.fireAfter(i - 1);
    const t = order[i];
    const gradOut = pending.get(t);
    if (gradOut === undefined) continue;
    pending.delete(t);
    const node = t.gradFn as GradNode;
    if (node.freed) throw freedGraphError(node);
    const needsGrad = node.inputs.map((input) => input.requiresGrad);
    const gradIn = node.backward(gradOut, needsGrad);
    if (isAnomalyEnabled()) gradIn.forEach((g, k) => { if (g != null && needsGrad[k]) checkGradient(node.op, node.modules, k, g); });
    node.inputs.forEach((input, k) => {
      const g = gradIn[k];
      if (!needsGrad[k] || g == null) return;
      if (g.length !== input.numel) {
        throw new Error(`autograd: ${node.op} produced a gradient of ${g.length} values for an input of ${input.numel} (a bug in atrous)`);
      }
      if (input.gradFn === null) {
        // g is the engine's alone when no other slot, input or the caller holds it: a new grad may take it.
        const owned = g !== rootGrad && g !== gradOut && !holds.has(g) && gradIn.indexOf(g) === gradIn.lastIndexOf(g);
        input.accumulateGrad(g, owned);
        ready?.touched.add(input);
      } else {
        const previous = pending.get(input);
        const next = previous === undefined ? g : sumOf(previous, g);
        pending.set(input, next);
        hold(next);
        if (previous !== undefined) drop(previous);
      }
    });
    drop(gradOut);
    // Gradients that only leaves (or sums) took are dead now; release() skips what is still held elsewhere.
    for (const g of gradIn) if (g != null && g !== rootGrad && !holds.has(g)) release(g, 'an intermediate gradient');
    if (!retainGraph) {
      freeSaved(node);
      // Every consumer of t in this graph has run: a module's intermediate is dead (pinned ones are skipped).
      if (t !== root) release(t.storage, `an intermediate of ${node.op} inside a Module.forward, freed by backward() (${KEEP_HINT})`);
    }
  }
  ready?.fireAfter(order.length - 1);
  const callbacks = backwardCallbacks.splice(0);
  for (const fn of callbacks) fn();
}

/**
 * Called once a leaf's gradient for the running backward() is complete (PyTorch's
 * register_post_accumulate_grad_hook): DistributedDataParallel starts reducing a bucket of
 * gradients while backward still runs through the earlier layers.
 */
export type PostAccumulateGradHook = (leaf: GraphTensor) => void;
const postAccumulateHooks = new Map<GraphTensor, PostAccumulateGradHook[]>();
/** Run once when the running backward() has finished (PyTorch's engine queue_callback). */
const backwardCallbacks: (() => void)[] = [];

/** Registers hook on a leaf; remove() unregisters it. */
export function registerPostAccumulateGradHook(leaf: GraphTensor, hook: PostAccumulateGradHook): { remove(): void } {
  const hooks = postAccumulateHooks.get(leaf) ?? [];
  hooks.push(hook);
  postAccumulateHooks.set(leaf, hooks);
  return {
    remove: () => {
      const left = (postAccumulateHooks.get(leaf) ?? []).filter((h) => h !== hook);
      if (left.length > 0) postAccumulateHooks.set(leaf, left);
      else postAccumulateHooks.delete(leaf);
    },
  };
}

/** Queues fn to run when the backward() now running finishes (a failing backward drops it). */
export function queueBackwardCallback(fn: () => void): void {
  backwardCallbacks.push(fn);
}

/**
 * When each hooked leaf's gradient is complete: after the last node (in topological order) that has
 * the leaf as an input. Leaves that received no gradient in this backward fire nothing.
 */
class LeafReadiness {
  readonly touched = new Set<GraphTensor>();
  readonly #leavesAfter = new Map<number, GraphTensor[]>();

  constructor(order: readonly GraphTensor[]) {
    const lastUse = new Map<GraphTensor, number>();
    order.forEach((t, i) => {
      for (const input of (t.gradFn as GradNode).inputs) if (input.gradFn === null && postAccumulateHooks.has(input)) lastUse.set(input, i);
    });
    for (const [leaf, i] of lastUse) this.#leavesAfter.set(i, [...(this.#leavesAfter.get(i) ?? []), leaf]);
  }

  /** Fires the hooks of the leaves whose last contribution came from node i. */
  fireAfter(i: number): void {
    for (const leaf of this.#leavesAfter.get(i) ?? []) {
      if (!this.touched.has(leaf)) continue;
      for (const hook of postAccumulateHooks.get(leaf) ?? []) hook(leaf);
    }
  }
}

const KEEP_HINT = 'to keep it, call backward({ retainGraph: true }), or take t.detach() before backward()';

/** Releases what node saved (each buffer once no other node still needs it) and marks it spent. */
function freeSaved(node: GradNode): void {
  if (node.saved.length === 0) return;
  const reason = `saved by ${node.op} for its gradient and freed by backward() (${KEEP_HINT})`;
  for (const s of node.saved) unsave(s, reason);
  node.saved = [];
  node.freed = true;
  node.backward = () => {
    throw freedGraphError(node);
  };
}

function freedGraphError(node: GradNode): Error {
  return new Error(
    `Tensor.backward: the graph through ${node.op} was already used by a backward() that freed its saved values; ` +
      'call backward({ retainGraph: true }) the first time to run backward through the same graph twice',
  );
}

/** Tensors with a gradFn reachable from root, each after every tensor that consumes it. */
function topologicalOrder(root: GraphTensor): GraphTensor[] {
  const postorder: GraphTensor[] = [];
  const visited = new Set<GraphTensor>([root]);
  // Iterative DFS (deep graphs must not overflow the JS stack): [tensor, index of next input to visit].
  const stack: [GraphTensor, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = (top[0].gradFn as GradNode).inputs;
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.gradFn !== null && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      postorder.push(top[0]);
      stack.pop();
    }
  }
  return postorder.reverse();
}

/** A fresh buffer: a and b may be aliased elsewhere, so neither is written. */
function sumOf(a: Storage, b: Storage): Storage {
  const out = allocateLike(a);
  native().add(a, b, out);
  return out;
}
