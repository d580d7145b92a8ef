// DistributedDataParallel, as PyTorch's DDP and Horovod: at construction every parameter and buffer
// is broadcast from rank 0; in backward, gradients are copied into fused buckets (parameters in
// reverse registration order, roughly the order backward produces them) and each full bucket's
// allreduce starts on the communication thread while backward goes on through the earlier layers.
// Buckets start strictly in index order, so every rank issues the same collectives in the same
// order. Before backward() returns (an end-of-backward callback), the rest is launched, every bucket
// waited, and the sums written back into .grad divided by the world size: after backward() the
// gradients are the average over ranks, and optimizer.step() needs nothing more. BatchNorm batch
// statistics and running statistics stay local to each rank (PyTorch's default normalization).
import { queueBackwardCallback, registerPostAccumulateGradHook } from '../../core/autograd';
import { type Tensor } from '../../core/tensor';
import { describeValue } from '../../core/shape-checks';
import { native } from '../../native/load-addon';
import type { CommBackend, Work } from '../../distributed/backend';
import { broadcast, requireGroup } from '../../distributed/process-group';
import { Module } from '../module';

export interface DistributedDataParallelOptions {
  /** Bucket size in MiB (PyTorch's bucket_cap_mb, 25): smaller buckets start reducing earlier. */
  bucketCapMb?: number;
}

interface Bucket {
  params: Tensor[];
  offsets: number[];
  buffer: Float32Array;
  /** Parameters whose gradient has not been copied in during this backward. */
  waiting: Set<Tensor>;
  work: Work | null;
}

export class DistributedDataParallel extends Module {
  readonly module: Module;
  readonly #group: CommBackend;
  readonly #buckets: Bucket[] = [];
  readonly #bucketOf = new Map<Tensor, Bucket>();
  /** The next bucket to start: buckets start in index order on every rank. */
  #next = 0;
  #inBackward = false;

  constructor(module: Module, opts: DistributedDataParallelOptions = {}) {
    super();
    const op = 'DistributedDataParallel';
    if (!(module instanceof Module)) throw new TypeError(`${op}: module expects a Module, but got ${describeValue(module)}`);
    const cap = opts.bucketCapMb ?? 25;
    if (typeof cap !== 'number' || !(cap > 0)) throw new RangeError(`${op}: opts.bucketCapMb expects a number > 0, but got ${describeValue(cap)}`);
    this.#group = requireGroup(op);
    for (const [name, t] of [...module.namedParameters(), ...module.namedBuffers()]) {
      if (t.device !== this.#group.device) {
        throw new TypeError(`${op}: ${name} is on '${t.device}'; the ${this.#group.name} backend keeps models on '${this.#group.device}'`);
      }
    }
    this.module = module;
    // The same values on every rank before the first step (the broadcasts check the shapes agree).
    for (const t of [...module.parameters(), ...module.buffers()]) broadcast(t, 0);
    this.#makeBuckets(module.parameters().filter((p) => p.requiresGrad), Math.floor((cap * 2 ** 20) / 4));
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the wrapped module's output, whatever it is
  override forward(...inputs: unknown[]): any {
    return this.module.forward(...inputs);
  }

  #makeBuckets(params: Tensor[], capElements: number): void {
    let current: Tensor[] = [];
    let size = 0;
    const close = () => {
      if (current.length === 0) return;
      const offsets: number[] = [];
      let at = 0;
      for (const p of current) {
        offsets.push(at);
        at += p.numel;
      }
      const bucket: Bucket = { params: current, offsets, buffer: new Float32Array(at), waiting: new Set(current), work: null };
      this.#buckets.push(bucket);
      for (const p of current) this.#bucketOf.set(p, bucket);
      current = [];
      size = 0;
    };
    for (const p of [...params].reverse()) {
      if (size > 0 && size + p.numel > capElements) close();
      current.push(p);
      size += p.numel;
      registerPostAccumulateGradHook(p, () => this.#gradReady(p));
    }
    close();
  }

  /** p's gradient for this backward is complete: copy it into its bucket, start what is full. */
  #gradReady(p: Tensor): void {
    const bucket = this.#bucketOf.get(p);
    const grad = p.peekGrad();
    if (bucket === undefined || grad === null) return;
    if (!this.#inBackward) {
      this.#inBackward = true;
      queueBackwardCallback(() => this.#finishBackward());
    }
    const i = bucket.params.indexOf(p);
    bucket.buffer.set(grad.storage as Float32Array, bucket.offsets[i]);
    bucket.waiting.delete(p);
    this.#launchReady();
  }

  #launchReady(): void {
    while (this.#next < this.#buckets.length && this.#buckets[this.#next].waiting.size === 0) {
      const bucket = this.#buckets[this.#next++];
      bucket.work = this.#group.allReduceSum(bucket.buffer);
    }
  }

  /** The end of backward: parameters that got no gradient count as zeros; wait; write the averages back. */
  #finishBackward(): void {
    this.#inBackward = false;
    for (const bucket of this.#buckets) {
      bucket.params.forEach((p, i) => {
        if (bucket.waiting.has(p)) bucket.buffer.fill(0, bucket.offsets[i], bucket.offsets[i] + p.numel);
      });
      bucket.waiting.clear();
    }
    this.#launchReady();
    const scale = 1 / this.#group.size;
    for (const bucket of this.#buckets) {
      (bucket.work as Work).wait();
      bucket.work = null;
      bucket.params.forEach((p, i) => {
        const averaged = bucket.buffer.subarray(bucket.offsets[i], bucket.offsets[i] + p.numel);
        if (p.peekGrad() === null) p.accumulateGrad(averaged); // unused on this rank: it takes the others' average
        native().axpby(averaged, scale, null, 0, (p.peekGrad() as unknown as Tensor).storage);
      });
      bucket.waiting = new Set(bucket.params);
    }
    this.#next = 0;
  }
}
