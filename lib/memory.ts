// The caching allocator for CPU tensor storage. On this kind of VM a fresh page costs more than the
// math of a small layer (first touch ~3.4 ms/MB) and V8 zero-fills every new Float32Array, so op
// outputs come from size-class free lists of ArrayBuffers, and go back as soon as autograd knows they
// are dead (lib/autograd.ts): intermediate gradients once consumed, and after backward() the values a
// graph saved and the activations made inside Module.forward calls. Release detaches the ArrayBuffer
// (its memory moves to a new ArrayBuffer, no copy), so every view onto the old one, in a Tensor or
// anywhere else, reads as empty: a released storage can never be read or written through a stale
// reference. A storage a user can hold (a leaf, an op result made outside any module, a model's
// output) is pinned: never released early; V8 frees it when it is collected, and a
// FinalizationRegistry keeps the counts of at.memory() honest then. (Nothing recycles on collection:
// a finalizer runs only between event-loop turns, so a synchronous training loop would pile up
// whatever it held.) Nothing here zero-fills: acquire() hands out stale values (NaN under
// ATROUS_POOL_POISON=1, which the test suite sets, so an op that reads what it did not write shows).

/** Under this many bytes a storage is a plain typed array: pooling would cost more than it saves. */
const MIN_POOLED_BYTES = 1024;
/** The free lists never hold more than this (what goes back beyond it is left to the collector). */
const DEFAULT_POOL_LIMIT_BYTES = 1024 * 1024 * 1024;

interface Block {
  /** The bytes the caller asked for (the buffer is its size class, up to 25% more). */
  readonly bytes: number;
  /** How many graph nodes saved this storage for their backward and have not run it yet. */
  savedBy: number;
  /** A leaf tensor holds it: only the collector may return it. */
  pinned: boolean;
  /** Async ops (a worker thread) reading it right now: release() leaves it to the collector. */
  busy: number;
  released: boolean;
  /** Why it was released (for the error a stale use gets). */
  reason: string;
}

export interface MemoryStats {
  /** Live pooled storages (op outputs, gradients, saved buffers) handed out and not yet returned. */
  tensors: number;
  /** Bytes held by them. */
  bytes: number;
  /** Bytes cached in the free lists, ready for reuse. */
  pooledBytes: number;
  /** The most bytes live at once since the process started (or resetPeak()). */
  peakBytes: number;
}

type PooledView = Float32Array | Int32Array;

const blocks = new WeakMap<ArrayBufferView, Block>();
/** Why a storage outside the pool (under MIN_POOLED_BYTES) was released, for the error a stale use gets. */
const plainReleases = new WeakMap<ArrayBufferView, string>();
const freeLists = new Map<number, ArrayBuffer[]>();
let liveCount = 0;
let liveBytes = 0;
let pooledBytes = 0;
let peakBytes = 0;
let poolLimit = DEFAULT_POOL_LIMIT_BYTES;
/** ArrayBuffers made because no free list had one (each is fresh memory: page faults, zero-fill). */
let freshBuffers = 0;
const poison = process.env.ATROUS_POOL_POISON === '1';

// The collector's path: a view nobody released has died with its buffer; only the counts change.
const collected = new FinalizationRegistry<Block>((block) => {
  if (block.released) return;
  block.released = true;
  liveCount--;
  liveBytes -= block.bytes;
});

/** The size class of a request: the next m·2^e with m in 4..7 (at most 25% above it). */
export function sizeClass(bytes: number): number {
  if (bytes <= 64) return 64;
  const e = Math.floor(Math.log2(bytes)) - 2;
  const step = 2 ** e;
  return Math.ceil(bytes / step) * step;
}

function takeBuffer(classBytes: number): ArrayBuffer {
  const list = freeLists.get(classBytes);
  const reused = list?.pop();
  if (reused !== undefined) {
    pooledBytes -= classBytes;
    return reused;
  }
  freshBuffers++;
  return new ArrayBuffer(classBytes);
}

function giveBack(buffer: ArrayBuffer): void {
  const classBytes = buffer.byteLength;
  if (pooledBytes + classBytes > poolLimit) return; // dropped: the collector frees it
  let list = freeLists.get(classBytes);
  if (list === undefined) freeLists.set(classBytes, (list = []));
  list.push(buffer);
  pooledBytes += classBytes;
}

function track<T extends PooledView>(view: T, bytes: number): T {
  const block: Block = { bytes, savedBy: 0, pinned: false, busy: 0, released: false, reason: '' };
  blocks.set(view, block);
  collected.register(view, block, view);
  liveCount++;
  liveBytes += bytes;
  if (liveBytes > peakBytes) peakBytes = liveBytes;
  return view;
}

/** n float32 values of CPU memory whose contents are unspecified (an op's output that its kernel overwrites). */
export function acquireFloat32(n: number): Float32Array {
  const bytes = n * 4;
  if (bytes < MIN_POOLED_BYTES) return new Float32Array(n);
  const buffer = takeBuffer(sizeClass(bytes));
  const view = track(new Float32Array(buffer, 0, n), bytes);
  if (poison) view.fill(NaN);
  return view;
}

/** n int32 values (max-pool indices), contents unspecified. */
export function acquireInt32(n: number): Int32Array {
  const bytes = n * 4;
  if (bytes < MIN_POOLED_BYTES) return new Int32Array(n);
  const buffer = takeBuffer(sizeClass(bytes));
  const view = track(new Int32Array(buffer, 0, n), bytes);
  if (poison) view.fill(-0x7fffffff);
  return view;
}

/** True for a storage of this pool that was released: its values are gone. */
export function isReleased(view: unknown): boolean {
  return ArrayBuffer.isView(view) && (blocks.get(view)?.released ?? false);
}

/** Why view was released (for errors), or null. */
export function releaseReason(view: unknown): string | null {
  if (!ArrayBuffer.isView(view)) return null;
  const block = blocks.get(view);
  if (block !== undefined) return block.released ? block.reason : null;
  return plainReleases.get(view) ?? null;
}

/** A user can hold view (a leaf's, or a tensor made outside any module): it is never released explicitly. */
export function pin(view: unknown): void {
  if (!ArrayBuffer.isView(view)) return;
  const block = blocks.get(view);
  if (block !== undefined) block.pinned = true;
}

/** A graph node saved view for its backward (undone by unsave()). */
export function save(view: unknown): void {
  if (!ArrayBuffer.isView(view)) return;
  const block = blocks.get(view);
  if (block !== undefined) block.savedBy++;
}

/** The node that saved view has run its backward: the last one releases it (unless pinned). */
export function unsave(view: unknown, reason: string): void {
  if (!ArrayBuffer.isView(view)) return;
  const block = blocks.get(view);
  if (block === undefined || block.savedBy === 0) return;
  block.savedBy--;
  if (block.savedBy === 0) release(view, reason);
}

/** A worker thread reads view until endBusy(view): it must not be released meanwhile. */
export function holdBusy(view: unknown): void {
  if (!ArrayBuffer.isView(view)) return;
  const block = blocks.get(view);
  if (block !== undefined) block.busy++;
}

export function endBusy(view: unknown): void {
  if (!ArrayBuffer.isView(view)) return;
  const block = blocks.get(view);
  if (block !== undefined && block.busy > 0) block.busy--;
}

/**
 * Returns view's memory to the free lists now, if it is pooled, not pinned and not saved by a node
 * still waiting for its backward. Every view onto the old buffer then reads as empty (length 0).
 */
export function release(view: unknown, reason: string): void {
  if (!ArrayBuffer.isView(view)) return;
  const block = blocks.get(view);
  if (block === undefined || block.released || block.pinned || block.busy > 0 || block.savedBy > 0) return;
  block.released = true;
  block.reason = reason;
  collected.unregister(view);
  liveCount--;
  liveBytes -= block.bytes;
  // Detach: the memory moves to a new ArrayBuffer (no copy); the old one, and all views on it, are empty.
  const buffer = view.buffer as ArrayBuffer;
  giveBack(structuredClone(buffer, { transfer: [buffer] }));
}

/**
 * Internal (zeroGrad): the memory of view, moved into a fresh view of the same length that the
 * caller now owns, leaving view (and any tensor on it) released with reason. Not pooled: returned as is.
 */
export function reclaim(view: Float32Array, reason: string): Float32Array {
  const block = blocks.get(view);
  if (block === undefined || block.released) return view.length === 0 ? view : reclaimPlain(view, reason);
  block.released = true;
  block.reason = reason;
  collected.unregister(view);
  const moved = structuredClone(view.buffer, { transfer: [view.buffer] });
  liveCount--;
  liveBytes -= block.bytes;
  return track(new Float32Array(moved, 0, view.length), block.bytes);
}

function reclaimPlain(view: Float32Array, reason: string): Float32Array {
  if (view.byteOffset !== 0 || view.byteLength !== view.buffer.byteLength) return view.slice();
  const buffer = view.buffer as ArrayBuffer;
  const moved = structuredClone(buffer, { transfer: [buffer] });
  plainReleases.set(view, reason);
  return new Float32Array(moved);
}

/** at.memory(): see API.md "Memory". */
export function hostMemoryStats(): MemoryStats {
  return { tensors: liveCount, bytes: liveBytes, pooledBytes, peakBytes };
}

/** Internal (tests, benchmarks): how many buffers the pool had to make because no free list had one. */
export function freshBufferCount(): number {
  return freshBuffers;
}

/** at.emptyCache(): drops the free lists (the collector frees them), as torch.cuda.empty_cache. */
export function emptyCache(): void {
  freeLists.clear();
  pooledBytes = 0;
}

/** Internal (tests, benchmarks): peakBytes starts again from what is live now. */
export function resetPeak(): void {
  peakBytes = liveBytes;
}

/** Internal: the most bytes the free lists may hold. */
export function setPoolLimit(bytes: number): void {
  poolLimit = bytes;
  if (pooledBytes > poolLimit) emptyCache();
}
