// The native addon's interface: the one place TypeScript meets C++. The addon (native/napi/) checks
// every length against the shape it is given and throws on a mismatch, but the TS ops check shapes
// first and give the user-facing message. All arrays are used in place (no copies); outputs are
// preallocated by the caller and overwritten. Sizes are plain numbers (< 2^31).

/** Convolution geometry beyond the shapes: per-side padding (so 'same' and 'causal' are just values). */
export interface ConvParams {
  strideH: number;
  strideW: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  dilationH: number;
  dilationW: number;
  groups: number;
}

/** The CPU plan of one pass of a convolution (native/kernels/cpu/conv/plan.h). */
export interface ConvPassPlan {
  /** The path's name: dense, by_region, direct, channels_last, winograd, by_tap, as_forward, by_columns, depthwise, ... */
  path: string;
  /** The bytes the path allocates for itself (within the 16 MiB budget, bar the per-thread GEMM tiles). */
  workspaceBytes: number;
  /** The rule that chose the path ("forced" under ATROUS_CONV_PATH). */
  why: string;
  /** Whether the stride folds into a subsampled input first. */
  folded: boolean;
  /** The whole plan in words: "as_forward -> channels_last", "dense (stride folded 2x2, ...)". */
  plan: string;
}

/** A 2-d window: [h, w] pairs. */
export interface PoolParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

/** A resize of N×C×H×W planes to size [outH, outW] (1-d: H = outH = 1). */
export interface InterpolateParams {
  size: [number, number];
  /** The user's scale factor per axis (sets the source step to 1/scale, as PyTorch); 0 when size was given. */
  scale: [number, number];
  /** 'linear' is bilinear over two axes. */
  mode: 'nearest' | 'linear';
  alignCorners: boolean;
}

/** Float32 memory on the CUDA device (native/napi/device_buffer.cpp); freed when collected. */
export interface DeviceBuffer {
  readonly length: number;
  /** Host to device; src.length must equal length. */
  upload(src: Float32Array): void;
  /** Device to host, after the queued kernels finish; dst.length must equal length. */
  download(dst: Float32Array): void;
  /** Device to device; src.length must equal length. */
  copyFrom(src: DeviceBuffer): void;
  /** Frees the memory now (into the stream-ordered pool); length becomes 0 and any later use throws. */
  release(): void;
}

/** Where the bindings with CUDA kernels take their arrays: all host or all device in one call. */
export type FloatBuffer = Float32Array | DeviceBuffer;
/** int32 indices (max-pool argmax, class targets): host, or a DeviceBuffer's 4-byte elements on CUDA. */
export type IndexBuffer = Int32Array | DeviceBuffer;

export interface NativeBinding {
  // --- backend (native/napi/backend_binding.cpp) ---
  backend(): { cpu: 'avx512' | 'avx2' | 'neon' | 'scalar'; threads: number };
  setNumThreads(n: number): void;

  // --- CUDA (native/napi/cuda_binding.cpp): libatrous_cuda is loaded once per process ---
  cudaLoad(path: string): { usable: boolean; reason?: string; device?: string; path?: string };
  cudaState(): { usable: boolean; reason?: string; device?: string; path?: string };
  /** Waits for the queued kernels; throws if one failed. */
  cudaSynchronize(): void;
  /** TF32 tensor cores for SGEMM and the convolutions (off by default; ATROUS_CUDA_TF32=1 at load). */
  cudaSetTf32(on: boolean): void;
  cudaTf32(): boolean;
  /** new DeviceBuffer(length): uninitialized; throws when CUDA is not available. */
  DeviceBuffer: new (length: number) => DeviceBuffer;

  // --- MPI (native/napi/mpi_binding.cpp): libmpi dlopen()ed once per process; collectives run on a
  // communication thread in submission order and return a job id that mpiWait settles ---
  mpiLoad(path: string): { usable: boolean; reason?: string; version?: string; path: string };
  mpiInit(): { rank: number; size: number; threadLevel: number };
  mpiFinalize(): void;
  /** MPI_Abort on MPI_COMM_WORLD: ends every rank; does not return. */
  mpiAbort(code: number): void;
  /** In-place sums over ranks; the array must not be touched until mpiWait(id) returns. */
  mpiAllreduceSumAsync(data: Float32Array): number;
  /** In-place maxima over ranks (the collectives' size checks). */
  mpiAllreduceMaxAsync(data: Float64Array): number;
  mpiBroadcastAsync(data: Float32Array, root: number): number;
  mpiBarrierAsync(): number;
  /** Blocks until job id has run; throws MPI's message if it failed. */
  mpiWait(id: number): void;

  // --- convolution, NCHW; 1-d convs pass H = KH = 1 (native/napi/conv_binding.cpp) ---
  // xShape [N, C, H, W], wShape [Cout, C/groups, KH, KW]; y is N x Cout x OH x OW.
  convForward(x: FloatBuffer, xShape: number[], w: FloatBuffer, wShape: number[],
    bias: FloatBuffer | null, y: FloatBuffer, p: ConvParams): void;
  // Same, on a worker thread: the event loop stays free. The arrays must not be touched until it settles.
  convForwardAsync(x: Float32Array, xShape: number[], w: Float32Array, wShape: number[],
    bias: Float32Array | null, y: Float32Array, p: ConvParams): Promise<void>;
  convBackwardData(dy: FloatBuffer, w: FloatBuffer, wShape: number[], dx: FloatBuffer,
    xShape: number[], p: ConvParams): void;
  convBackwardWeight(x: FloatBuffer, xShape: number[], dy: FloatBuffer, dw: FloatBuffer,
    wShape: number[], p: ConvParams): void;
  // db[c] = sum of dy over n and pixels; dyShape [N, C, OH, OW].
  convBackwardBias(dy: FloatBuffer, dyShape: number[], db: FloatBuffer): void;
  // The CPU plan per pass for this geometry now (ATROUS_CONV_PATH included; throws where it forces a
  // path that does not apply).
  explainConv(xShape: number[], wShape: number[], p: ConvParams): { forward: ConvPassPlan; data: ConvPassPlan; weight: ConvPassPlan };

  // --- GEMM, row-major: C = alpha op(A) op(B) + beta C (native/napi/conv_binding.cpp) ---
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: FloatBuffer, lda: number, b: FloatBuffer, ldb: number, beta: number,
    c: FloatBuffer, ldc: number): void;

  // --- elementwise (native/napi/ops_binding.cpp); out may alias an input ---
  add(a: FloatBuffer, b: FloatBuffer, out: FloatBuffer): void;
  sub(a: FloatBuffer, b: FloatBuffer, out: FloatBuffer): void;
  mul(a: FloatBuffer, b: FloatBuffer, out: FloatBuffer): void;
  /** out = a * alpha + b * beta (b may be null: out = a * alpha + beta). */
  axpby(a: FloatBuffer, alpha: number, b: FloatBuffer | null, beta: number, out: FloatBuffer): void;
  /** out[i] = a[i] + bias[(i / inner) % channels]: broadcast a per-channel vector (bias add). */
  addChannelBias(a: FloatBuffer, bias: FloatBuffer, channels: number, inner: number, out: FloatBuffer): void;
  relu(x: FloatBuffer, out: FloatBuffer): void;
  /** dx = dy where x > 0, else 0. */
  reluBackward(x: FloatBuffer, dy: FloatBuffer, dx: FloatBuffer): void;
  fill(out: FloatBuffer, value: number): void;
  /** Sum in float64, returned as a number. */
  sum(x: FloatBuffer): number;
  /** Sum of squares in float64 (for norms). */
  sumSquares(x: FloatBuffer): number;
  /** out[b] = x[b]ᵀ for batch row-major rows × cols matrices; out must not overlap x. */
  transposeBatched(x: FloatBuffer, batch: number, rows: number, cols: number, out: FloatBuffer): void;

  // --- Wave 2, CPU buffers only (native/napi/ops_binding.cpp): a DeviceBuffer is refused ---
  /** out = x (contiguous, shape) with dims reordered: out dim i is x dim perm[i]. Moves bytes only (int32 too). */
  permute(x: Float32Array, shape: number[], perm: number[], out: Float32Array): void;
  /** dst[dstOffset + r·dstStride + c] = src[srcOffset + r·srcStride + c] for r < rows, c < cols (cat, split). */
  copyStridedRows(src: Float32Array, srcOffset: number, srcStride: number, dst: Float32Array, dstOffset: number,
    dstStride: number, rows: number, cols: number): void;
  /** out[o·inner + i] = argmax over s of x[(o·size + s)·inner + i]; the first on ties, NaN wins. */
  argmaxAlong(x: Float32Array, outer: number, size: number, inner: number, out: Int32Array): void;
  /** softmax (log: log-softmax) along the size dim of outer × size × inner. */
  softmaxForward(x: Float32Array, outer: number, size: number, inner: number, log: boolean, out: Float32Array): void;
  /** From the forward's output y: dx = y·(dy − Σ dy·y), or for log-softmax dy − exp(y)·Σ dy. */
  softmaxBackward(y: Float32Array, dy: Float32Array, outer: number, size: number, inner: number, log: boolean,
    dx: Float32Array): void;
  tanhForward(x: Float32Array, out: Float32Array): void;
  /** dx = dy·(1 − y²) from the forward's output y. */
  tanhBackward(y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  sigmoidForward(x: Float32Array, out: Float32Array): void;
  /** dx = dy·y·(1 − y) from the forward's output y. */
  sigmoidBackward(y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** z = tanh(a)·σ(b) over outer blocks [a | b] of 2·half values of x (z: outer × half). */
  gatedTanhForward(x: Float32Array, outer: number, half: number, out: Float32Array): void;
  /** From x and dz: da = dz·σ(b)·(1 − tanh(a)²), db = dz·tanh(a)·σ(b)·(1 − σ(b)) (dx like x). */
  gatedTanhBackward(x: Float32Array, dz: Float32Array, outer: number, half: number, dx: Float32Array): void;
  /** Cross-entropy over logits N × C × inner with targets N × inner (ignoreIndex: no loss, no gradient):
   *  writes the softmax (probs) and, if given, each position's (1−ε)·nll + ε/C·smooth (losses); returns the
   *  sums over non-ignored positions: nll = Σ w[t]·(−log p[t]), smooth = Σ Σ_c w[c]·(−log p[c]) (0 when
   *  ε = 0), weight = Σ w[t], counted. Throws if a target is neither in [0, C) nor ignoreIndex. */
  crossEntropyNdForward(logits: Float32Array, n: number, c: number, inner: number, targets: Int32Array,
    weight: Float32Array | null, ignoreIndex: number, labelSmoothing: number, probs: Float32Array,
    losses: Float32Array | null): { nll: number; smooth: number; weight: number; counted: number };
  /** dlogits = g·(nllScale·w[t]·(p − onehot(t)) + smoothScale·(p·Σw − w)), 0 where ignored; g is gradOut[position]
   *  (N·inner values) or gradOut[0]. */
  crossEntropyNdBackward(probs: Float32Array, n: number, c: number, inner: number, targets: Int32Array,
    weight: Float32Array | null, ignoreIndex: number, labelSmoothing: number, nllScale: number, smoothScale: number,
    gradOut: Float32Array, dlogits: Float32Array): void;

  // --- pooling, NCHW, PyTorch semantics (native/napi/ops_binding.cpp) ---
  // argmax (int32, one per output: an Int32Array, or a DeviceBuffer on CUDA) holds the flat index within
  // the input plane of each max.
  maxPool2dForward(x: FloatBuffer, xShape: number[], p: PoolParams, y: FloatBuffer, argmax: IndexBuffer): void;
  maxPool2dBackward(dy: FloatBuffer, argmax: IndexBuffer, xShape: number[], yShape: number[], dx: FloatBuffer): void;
  // Padded zeros count in the average (count_include_pad = true).
  avgPool2dForward(x: FloatBuffer, xShape: number[], p: PoolParams, y: FloatBuffer): void;
  avgPool2dBackward(dy: FloatBuffer, xShape: number[], p: PoolParams, dx: FloatBuffer): void;
  adaptiveAvgPool2dForward(x: FloatBuffer, xShape: number[], outHW: [number, number], y: FloatBuffer): void;
  adaptiveAvgPool2dBackward(dy: FloatBuffer, xShape: number[], outHW: [number, number], dx: FloatBuffer): void;
  /** CPU only; its backward is maxPool2dBackward with yShape [N, C, ...outHW]. */
  adaptiveMaxPool2dForward(x: Float32Array, xShape: number[], outHW: [number, number], y: Float32Array, argmax: Int32Array): void;

  // --- resizing, NCHW, torch.nn.functional.interpolate's semantics, CPU only (native/napi/ops_binding.cpp) ---
  interpolateForward(x: Float32Array, xShape: number[], p: InterpolateParams, y: Float32Array): void;
  /** dx is overwritten: zeros, then dy scattered through the forward's taps. */
  interpolateBackward(dy: Float32Array, xShape: number[], p: InterpolateParams, dx: Float32Array): void;

  // --- losses (native/napi/ops_binding.cpp) ---
  /** Mean cross-entropy over the batch; writes softmax probabilities (N x C) for the backward pass.
   *  Throws if a target is outside [0, C). */
  crossEntropyForward(logits: FloatBuffer, n: number, c: number, targets: IndexBuffer, probs: FloatBuffer): number;
  /** dlogits = (probs - onehot(targets)) * scale, where scale = upstream grad / N. */
  crossEntropyBackward(probs: FloatBuffer, n: number, c: number, targets: IndexBuffer, scale: number,
    dlogits: FloatBuffer): void;

  // --- random numbers: a counter-based generator, so a seed reproduces a stream exactly
  //     whatever the thread count (native/napi/ops_binding.cpp). seed and offset are < 2^53.
  //     On a DeviceBuffer the same streams: uniform and dropout bit-identical to the CPU, normals
  //     within 1 float ulp. ---
  fillUniform(out: FloatBuffer, lo: number, hi: number, seed: number, offset: number): void;
  fillNormal(out: FloatBuffer, mean: number, std: number, seed: number, offset: number): void;
  /** mask[i] = uniform < keep ? 1/keep : 0, and out = x * mask (inverted dropout). */
  dropout(x: FloatBuffer, keep: number, seed: number, offset: number, mask: FloatBuffer, out: FloatBuffer): void;

  // --- nn: batch norm, optimizer steps, dtype conversion (native/napi/nn_binding.cpp) ---
  /** Batch norm over xShape [N, C, H, W]. training: batch statistics (biased var), and the running ones
   *  (if given) move by `factor` (unbiased var); else the running statistics normalise. Writes y and,
   *  per channel, the mean and 1/sqrt(var + eps) used, for the backward. gamma/beta null: 1 and 0.
   *  relu: y = relu(batchnorm(x)) in one pass (CPU buffers only), the same bits as relu() after it. */
  batchNormForward(x: FloatBuffer, xShape: number[], gamma: FloatBuffer | null, beta: FloatBuffer | null,
    runningMean: FloatBuffer | null, runningVar: FloatBuffer | null, training: boolean, eps: number, factor: number,
    y: FloatBuffer, saveMean: FloatBuffer, saveInvStd: FloatBuffer, relu: boolean): void;
  /** batchStats: the forward used the batch's statistics (gradient flows through them). Null outputs are skipped.
   *  reluOut: the fused forward's y; dy first goes through its ReLU (reluBackward's rule), unwritten (CPU only). */
  batchNormBackward(x: FloatBuffer, xShape: number[], dy: FloatBuffer, gamma: FloatBuffer | null,
    saveMean: FloatBuffer, saveInvStd: FloatBuffer, batchStats: boolean, dx: FloatBuffer | null,
    dgamma: FloatBuffer | null, dbeta: FloatBuffer | null, reluOut: FloatBuffer | null): void;
  /** One torch.optim.SGD update of param in place; momentumBuffer (null when momentum is 0) is set to the
   *  gradient on the first step. */
  sgdStep(param: FloatBuffer, grad: FloatBuffer, momentumBuffer: FloatBuffer | null, lr: number, momentum: number,
    dampening: number, weightDecay: number, nesterov: boolean, firstStep: boolean): void;
  /** One Adam (decoupled false) or AdamW (true) update in place; step counts from 1; maxExpAvgSq for amsgrad. */
  adamStep(param: FloatBuffer, grad: FloatBuffer, expAvg: FloatBuffer, expAvgSq: FloatBuffer,
    maxExpAvgSq: FloatBuffer | null, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number,
    decoupled: boolean, step: number): void;
  /** Little-endian raw elements of a safetensors dtype (F16, BF16, F64, I64, I32, I16, I8, U8, BOOL) to
   *  float32; bytes.length must be out.length times the item size. Any alignment. */
  convertToFloat32(bytes: Uint8Array, dtype: string, out: Float32Array): void;
  /** Weight norm over the rows of v (rows × width, CPU buffers only), norms in float64: norms[r] = ‖v[r]‖. */
  rowNorms(v: Float32Array, rows: number, width: number, norms: Float32Array): void;
  /** w[r] = g[r]·v[r]/‖v[r]‖ (w may be v). With g the norms' gradient it is their backward. */
  weightNormForward(v: Float32Array, g: Float32Array, rows: number, width: number, w: Float32Array): void;
  /** dg[r] = (dw[r]·v[r])/‖v[r]‖, dv[r] = (g[r]/‖v[r]‖)·dw[r] − g[r]·(dw[r]·v[r])/‖v[r]‖³·v[r]; null: not computed. */
  weightNormBackward(v: Float32Array, g: Float32Array, dw: Float32Array, rows: number, width: number,
    dv: Float32Array | null, dg: Float32Array | null): void;

  // --- data loading (native/napi/data_binding.cpp) ---
  /** out[b] = image indices[b] of src (imageShape [count, H, W] bytes), shifted by crops (dy, dx in [0, 2·pad],
   *  flip 0/1: 3 per image; null: none) over zero padding, each byte v written as v * scale + shift. */
  gatherImageBatch(src: Uint8Array, imageShape: [number, number, number], indices: Int32Array, scale: number, shift: number,
    pad: number, crops: Int32Array | null, out: Float32Array): void;
  /** out[r] = the index of the largest value of row r of x (rows × cols); the first on ties, NaN wins. */
  argmaxRows(x: Float32Array, rows: number, cols: number, out: Int32Array): void;

  // --- streaming inference (native/napi/sequence_binding.cpp) ---
  /** One causal Conv1d on a chunk of T steps: out (N×Cout×T) = conv of [history | x] (x: N×Cin×T); then the
   *  ring history (N×Cin×P, P = (kernel-1)·dilation, oldest step at slot head) keeps the newest P steps.
   *  The caller advances head by T (mod P). */
  causalConvStream(shape: CausalStreamShape, x: Float32Array, weight: Float32Array, bias: Float32Array | null,
    history: Float32Array, head: number, out: Float32Array): void;
  /** out[i, :] = weight[indices[i], :] (weight vocab × dim); an index outside [0, vocab) throws naming it. */
  embeddingForward(indices: Int32Array, weight: Float32Array, vocab: number, dim: number, out: Float32Array): void;
  /** gradWeight (overwritten) = Σ_i e_{indices[i]} ⊗ gradOut[i, :], row paddingIdx (-1: none) zero; deterministic. */
  embeddingBackward(indices: Int32Array, gradOut: Float32Array, vocab: number, dim: number, paddingIdx: number, gradWeight: Float32Array): void;
}

export interface CausalStreamShape {
  batch: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  dilation: number;
  groups: number;
  steps: number;
}
