// The caching allocator for tensor storage, and the bookkeeping that lets autograd release storage
// deterministically (lib/core/autograd.ts decides what is dead; this file owns the memory).
//
// CPU: on this kind of VM a fresh page costs more than the math of a small layer (first touch
// ~3.4 ms/MB) and V8 zero-fills every new Float32Array, so op outputs come from size-class free lists
// of ArrayBuffers. Every Tensor on a pooled storage registers as its holder, and release swaps each
// holder's storage for an empty array that remembers why: a stale tensor throws when used, never
// reading memory that now belongs to another. (Detaching the ArrayBuffer instead, by transferring it,
// would also catch raw references, but V8 counts each transferred buffer as new external memory: 100
// MB a step of it forced 6 scavenges per training step. Raw references to a storage outside tensors
// are autograd's own closures, which never run after their node has released what they saved.)
// CUDA: DeviceBuffers come from the stream-ordered pool (cudaMallocAsync); release() hands the memory
// back to it at once instead of at collection, and leaves the buffer with length 0.
//
// A storage a user can hold (a leaf's, an op result made outside any module, a model's output) is
// pinned: never released early, unless the user disposes of it (t.dispose()). V8 frees it when it is
// collected, and a FinalizationRegistry then corrects the counts of at.memory(). Nothing recycles on
// collection: a finalizer runs only between event-loop turns, so a synchronous training loop would pile
// up whatever it held (and large freed blocks stay in the malloc heap anyway:
// native/kernels/cpu/host_allocator.h).
// Nothing here zero-fills: acquire() hands out stale values (NaN under ATROUS_POOL_POISON=1, which the
// test suite sets, so an op that reads what it did not write shows).
import { totalmem } from 'node:os';
import type { DeviceBuffer } from '../native/addon-api';

/**
 * Under this many bytes a CPU storage is a plain typed array, neither pooled nor counted: glibc serves
 * such blocks from its heap bins (no page faults) and V8's zero-fill of them is noise, while a small
 * tensor the user holds in a synchronous loop (a batch's logits) would keep at.memory() creeping
 * until the collector's finalizers run.
 */
const MIN_POOLED_BYTES = 64 * 1024;
/**
 * The free lists hold up to the most bytes ever live at once (plus the size classes' slack), at least
 * POOL_FLOOR_BYTES and at most half the machine's memory; what goes back beyond that is left to the
 * collector. A fixed 1 GiB cap made the speech task's WaveNet (1.8 GiB live at its peak) take 85 fresh
 * 16 MB buffers every step: page faults, and V8 counting them as new external memory ran ten
 * mark-sweeps a step. A steady loop needs no more than its peak cached to allocate nothing new.
 */
let poolFloorBytes = 1024 * 1024 * 1024;
const POOL_CEILING_BYTES = Math.max(poolFloorBytes, totalmem() / 2);

type Device = 'cpu' | 'cuda';

/** What holds a storage: a Tensor (kept minimal: lib/core/tensor.ts imports this file). */
export interface StorageHolder {
  storage: ArrayBufferView | DeviceBuffer;
}

// What the collector's registry holds for each storage. It must not reach the storage: the registry
// holds it strongly, so a path back (through the tensors on it) would keep every storage alive that
// was never released (a pinned model output: 5.8 MB a step of the segmentation model's logits).
interface Block {
  readonly device: Device;
  /** The bytes the caller asked for (a CPU buffer is its size class, up to 25% more). */
  readonly bytes: number;
  /** How many graph nodes saved this storage for their backward and have not run it yet. */
  savedBy: number;
  /** A user can hold it: only the collector frees it. */
  pinned: boolean;
  /** Async ops (a worker thread) reading it right now: release() leaves it to the collector. */
  busy: number;
  /** t.dispose() asked for it: a release it had to wait for (a pending backward, an async op) comes then, with its reason. */
  disposed: boolean;
  /**
   * A leaf's gradient (disown): the user's, so neither counted nor registered with the collector (a
   * dropped gradient is freed like plain memory), but its holders are still known, so zeroGrad() can
   * hand the buffer back (recycleGradient) instead of copying the next gradient into a kept one.
   */
  userOwned: boolean;
  released: boolean;
  /** Why it was released (for the error a stale use gets). */
  reason: string;
}

export interface MemoryStats {
  /** Live storages this allocator handed out (op outputs, gradients, saved buffers, optimizer state). */
  tensors: number;
  /** Bytes held by them. */
  bytes: number;
  /** Bytes cached in the free lists, ready for reuse (CPU; on CUDA the stream-ordered pool caches). */
  pooledBytes: number;
  /** The most bytes live at once since the process started. */
  peakBytes: number;
}

interface Counters {
  count: number;
  bytes: number;
  peak: number;
}

type Tracked = ArrayBufferView | DeviceBuffer;

const blocks = new WeakMap<object, Block>();
/** The tensors on each storage (views share it); release empties each that still holds it. Weak: see Block. */
const holders = new WeakMap<object, StorageHolder[]>();
/** Why a CPU storage outside the pool (under MIN_POOLED_BYTES) was released, for the error a stale use gets. */
const plainReleases = new WeakMap<object, string>();
const freeLists = new Map<number, ArrayBuffer[]>();
const live: Record<Device, Counters> = { cpu: { count: 0, bytes: 0, peak: 0 }, cuda: { count: 0, bytes: 0, peak: 0 } };
let pooledBytes = 0;
/** ArrayBuffers made because no free list had one (each is fresh memory: page faults). */
let freshBuffers = 0;
const poison = process.env.ATROUS_POOL_POISON === '1';
/**
 * ATROUS_POOL_EXACT=1: every buffer is exactly the size asked for, no class slack, so that a kernel
 * writing past a tensor's end hits AddressSanitizer's redzone (scripts/addon-sanitize.mjs sets it).
 */
const exactSizes = process.env.ATROUS_POOL_EXACT === '1';

// The collector's path: a storage nobody released has died with its memory; only the counts change.
const collected = new FinalizationRegistry<Block>((block) => {
  if (block.released) return;
  block.released = true;
  forget(block);
});

function forget(block: Block): void {
  const c = live[block.device];
  c.count--;
  c.bytes -= block.bytes;
}

/** The size class of a request: the next m·2^e with m in 4..7 (at most 25% above it); the request itself under ATROUS_POOL_EXACT. */
function sizeClass(bytes: number): number {
  if (exactSizes) return bytes;
  if (bytes <= 64) return 64;
  const e = Math.floor(Math.log2(bytes)) - 2;
  const step = 2 ** e;
  return Math.ceil(bytes / step) * step;
}

function takeBuffer(classBytes: number): ArrayBuffer {
  const reused = freeLists.get(classBytes)?.pop();
  if (reused !== undefined) {
    pooledBytes -= classBytes;
    return reused;
  }
  freshBuffers++;
  // Uninitialised (Node's unsafe allocation skips calloc's zero-fill): every user overwrites it.
  return Buffer.allocUnsafeSlow(classBytes).buffer;
}

function giveBack(buffer: ArrayBuffer): void {
  const classBytes = buffer.byteLength;
  const limit = Math.min(POOL_CEILING_BYTES, Math.max(poolFloorBytes, 1.25 * live.cpu.peak));
  if (pooledBytes + classBytes > limit) return; // dropped: the collector frees it
  let list = freeLists.get(classBytes);
  if (list === undefined) freeLists.set(classBytes, (list = []));
  list.push(buffer);
  pooledBytes += classBytes;
}

function track<T extends Tracked>(storage: T, bytes: number, device: Device): T {
  const block: Block = { device, bytes, savedBy: 0, pinned: false, busy: 0, disposed: false, userOwned: false, released: false, reason: '' };
  blocks.set(storage, block);
  collected.register(storage, block, storage);
  const c = live[device];
  c.count++;
  c.bytes += bytes;
  if (c.bytes > c.peak) c.peak = c.bytes;
  return storage;
}

type HostArray = Float32Array | Int32Array;
type HostArrayType = Float32ArrayConstructor | Int32ArrayConstructor;

/** n values of plain memory, uninitialised (NaN, or int32's most negative but one, under poisoning). */
function plainArray<T extends HostArray>(Type: HostArrayType, n: number, poisoned = poison): T {
  const view = new Type(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n) as T;
  if (poisoned) view.fill(Type === Float32Array ? NaN : -0x7fffffff);
  return view;
}

/** n values from the free lists (plain memory under MIN_POOLED_BYTES), uninitialised. */
function pooledArray<T extends HostArray>(Type: HostArrayType, n: number): T {
  const bytes = n * 4;
  if (bytes < MIN_POOLED_BYTES) return plainArray<T>(Type, n);
  const view = track(new Type(takeBuffer(sizeClass(bytes)), 0, n) as T, bytes, 'cpu');
  if (poison) view.fill(Type === Float32Array ? NaN : -0x7fffffff);
  return view;
}

/** n float32 values of CPU memory whose contents are unspecified (an op's output that its kernel overwrites). */
export function acquireFloat32(n: number): Float32Array {
  return pooledArray(Float32Array, n);
}

/** n int32 values (max-pool indices), contents unspecified. */
export function acquireInt32(n: number): Int32Array {
  return pooledArray(Int32Array, n);
}

/**
 * n float32 values of plain CPU memory (neither pooled nor counted), contents unspecified: for an op
 * result that is the user's from the start. V8 frees it when it is collected and glibc reuses the
 * block at once. (Tracking it would cost more than it saves: V8's scavenger keeps anything registered
 * in a FinalizationRegistry alive until a full collection, so a loop of forward calls then faulted
 * in 113 fresh pages per 2 MB output instead of none.)
 */
export function acquirePlainFloat32(n: number): Float32Array {
  return plainArray(Float32Array, n);
}

/**
 * n float32 values of plain CPU memory for a kernel on a worker thread to write in full (conv2dAsync's
 * output), never poisoned: the NaN fill would fault every page in on the event loop's thread, the one
 * thing the async form exists to spare it (the same kernel's synchronous form is checked under poisoning).
 */
export function acquireWorkerOutputFloat32(n: number): Float32Array {
  return plainArray(Float32Array, n, false);
}

/** n int32 values of plain CPU memory (see acquirePlainFloat32). */
export function acquirePlainInt32(n: number): Int32Array {
  return plainArray(Int32Array, n);
}

/** Counts a new DeviceBuffer of n floats, so that autograd can release it and at.memory() sees it. */
export function trackDeviceBuffer(buffer: DeviceBuffer): DeviceBuffer {
  return track(buffer, buffer.length * 4, 'cuda');
}

function blockOf(storage: unknown): Block | undefined {
  return storage !== null && typeof storage === 'object' ? blocks.get(storage) : undefined;
}

/** Why storage was released (for errors), or null while it holds values. */
export function releaseReason(storage: unknown): string | null {
  const block = blockOf(storage);
  if (block !== undefined) return block.released ? block.reason : null;
  return storage !== null && typeof storage === 'object' ? (plainReleases.get(storage) ?? null) : null;
}

/** holder (a new Tensor) is on storage: release will empty it. */
export function addHolder(storage: unknown, holder: StorageHolder): void {
  const block = blockOf(storage);
  if (block === undefined || block.released) return;
  const list = holders.get(storage as object);
  if (list === undefined) holders.set(storage as object, [holder]);
  else list.push(holder);
}

/**
 * The user owns storage from now on (a gradient a leaf took). On the CPU it leaves the counts and the
 * collector's registry, so a gradient the user drops is freed like plain memory (see
 * acquirePlainFloat32 for why registered memory is slow to come back), but its tensors stay known:
 * recycleGradient() can still hand it back. A DeviceBuffer stays tracked and is pinned.
 */
export function disown(storage: unknown): void {
  const block = blockOf(storage);
  if (block === undefined || block.released) return;
  block.pinned = true;
  if (block.device === 'cuda' || block.userOwned) return;
  block.userOwned = true;
  collected.unregister(storage as object);
  forget(block);
}

/**
 * zeroGrad(): a leaf's own gradient (disowned CPU storage) goes back to the free lists, its tensors
 * released with reason, unless a pending backward saved it or an async op reads it. Returns whether it
 * did (else the caller keeps the buffer by other means).
 */
export function recycleGradient(storage: unknown, reason: string): boolean {
  const block = blockOf(storage);
  if (block === undefined || !block.userOwned || block.released || block.busy > 0 || block.savedBy > 0) return false;
  releaseBlock(storage, block, reason);
  return true;
}

/** Whether storage is pooled, live and not pinned: a graph's, which nothing outside it holds yet. */
export function isGraphOwned(storage: unknown): boolean {
  const block = blockOf(storage);
  return block !== undefined && !block.released && !block.pinned;
}

/** A user can hold storage: it is never released explicitly. */
export function pin(storage: unknown): void {
  const block = blockOf(storage);
  if (block !== undefined) block.pinned = true;
}

/** A graph node saved storage for its backward (undone by unsave()). */
export function save(storage: unknown): void {
  const block = blockOf(storage);
  if (block !== undefined) block.savedBy++;
}

/** The node that saved storage has run its backward: the last one releases it (unless pinned). */
export function unsave(storage: unknown, reason: string): void {
  const block = blockOf(storage);
  if (block === undefined || block.savedBy === 0) return;
  block.savedBy--;
  if (block.savedBy === 0) release(storage, reason);
}

/** A worker thread reads storage until endBusy(storage): it must not be released meanwhile. */
export function holdBusy(storage: unknown): void {
  const block = blockOf(storage);
  if (block !== undefined) block.busy++;
}

export function endBusy(storage: unknown): void {
  const block = blockOf(storage);
  if (block === undefined || block.busy === 0) return;
  block.busy--;
  if (block.busy === 0 && block.disposed) release(storage, block.reason);
}

/**
 * t.dispose(): the user gives up storage, pinned or not. It goes back to the free lists now, or, while
 * a graph node still saves it for a backward (or an async op reads it), as soon as that is done.
 * Returns false for storage this allocator does not manage (plain memory: the collector frees it).
 */
export function dispose(storage: unknown, reason: string): boolean {
  const block = blockOf(storage);
  if (block === undefined) return false;
  if (block.released) return true;
  block.pinned = false;
  block.disposed = true;
  block.reason = reason;
  release(storage, reason);
  return true;
}

/** Marks an empty storage as released for reason (what a stale use of it reports). */
export function markReleased(empty: object, reason: string): void {
  plainReleases.set(empty, reason);
}

/**
 * Frees storage's memory now, for reuse, if this allocator made it and it is not pinned, busy or
 * saved by a node still waiting for its backward; otherwise does nothing (the collector will).
 * Afterwards every reference to it reads as empty (length 0).
 */
export function release(storage: unknown, reason: string): void {
  const block = blockOf(storage);
  if (block === undefined || block.released || block.pinned || block.busy > 0 || block.savedBy > 0) return;
  releaseBlock(storage, block, block.disposed ? block.reason : reason); // a deferred dispose() says so
}

/** Internal (zeroGrad on CUDA): releases a storage its caller owns alone, pinned or not. */
export function releaseOwned(storage: unknown, reason: string): void {
  const block = blockOf(storage);
  if (block === undefined || block.released || block.busy > 0 || block.savedBy > 0) return;
  releaseBlock(storage, block, reason);
}

function releaseBlock(storage: unknown, block: Block, reason: string): void {
  block.released = true;
  block.reason = reason;
  collected.unregister(storage as object);
  if (!block.userOwned) forget(block); // a user-owned block left the counts when it was disowned
  if (block.device === 'cuda') {
    (storage as DeviceBuffer).release(); // the buffer itself now has length 0: its tensors see that
  } else {
    // Each tensor still on it gets an empty array that remembers why (device stays 'cpu').
    for (const h of holders.get(storage as object) ?? []) {
      if (h.storage !== storage) continue;
      const empty = new Float32Array(0);
      plainReleases.set(empty, reason);
      h.storage = empty;
    }
    giveBack((storage as ArrayBufferView).buffer as ArrayBuffer);
  }
  holders.delete(storage as object);
}

/**
 * Internal (zeroGrad): the memory of a CPU view, moved into a fresh view of the same length that the
 * caller now owns, leaving view (and any tensor on it) released with reason.
 */
export function reclaim(view: Float32Array, reason: string): Float32Array {
  const block = blocks.get(view);
  if (block !== undefined && block.released) return view;
  if (view.byteOffset !== 0 || (block === undefined && view.byteLength !== view.buffer.byteLength)) return view.slice();
  const buffer = view.buffer as ArrayBuffer;
  const length = view.length; // read before the transfer, which leaves view with length 0
  const moved = new Float32Array(structuredClone(buffer, { transfer: [buffer] }), 0, length);
  if (block === undefined) {
    plainReleases.set(view, reason);
    return moved;
  }
  block.released = true;
  block.reason = reason;
  collected.unregister(view);
  holders.delete(view);
  if (block.userOwned) {
    blocks.delete(view);
    plainReleases.set(view, reason);
    return moved;
  }
  forget(block);
  return track(moved, block.bytes, 'cpu');
}

/** What the allocator holds on device (see MemoryStats). */
export function memoryStats(device: Device): MemoryStats {
  const c = live[device];
  return { tensors: c.count, bytes: c.bytes, pooledBytes: device === 'cpu' ? pooledBytes : 0, peakBytes: c.peak };
}

/** at.emptyCache(): drops the CPU free lists (the collector frees them), as torch.cuda.empty_cache. */
export function emptyCache(): void {
  freeLists.clear();
  pooledBytes = 0;
}

/** Internal (tests): sets the free lists' floor (see poolFloorBytes); returns the previous one. */
export function setPoolFloorBytes(bytes: number): number {
  const previous = poolFloorBytes;
  poolFloorBytes = bytes;
  return previous;
}

/** Internal (tests, benchmarks): how many buffers the pool had to make because no free list had one. */
export function freshBufferCount(): number {
  return freshBuffers;
}
