// The receptive field of a value, per spatial axis: which input offsets one output position sees,
// layer after layer (extendField) and where branches meet (mergeFields). A dilated kernel samples every
// d-th position, so a stack of dilations can leave offsets that no path reaches (the gridding problem):
// the field then has gaps, which the summary reports.

/**
 * How one layer maps positions: a window (conv, pool), or 'global' (sees the whole input: Linear, global
 * pooling). Output o of a window reads inputs o·stride − padding + t·dilation, t in [0, kernel).
 */
export type ReceptiveStep =
  | { kind: 'window'; kernel: number[]; stride: number[]; dilation: number[]; /** Zeros before the first input, per axis (default 0). */ padding?: number[] }
  | { kind: 'global' };

export type WindowStep = Extract<ReceptiveStep, { kind: 'window' }>;

/** The field after some layers: per axis, the offsets seen (relative to the first) and the jump between outputs. */
export interface ReceptiveField {
  global: boolean;
  /** Per axis: covered[i] is true when input offset i reaches one output position. */
  covered: Uint8Array[];
  /** Per axis: input positions between neighbouring outputs (the product of strides so far). */
  jump: number[];
  /** Per axis: where covered[0] lies, in input positions, from output position o's o·jump (paddings move it). */
  origin: number[];
}

export function initialField(): ReceptiveField {
  return { global: false, covered: [], jump: [], origin: [] };
}

/** The field after one more layer. Axes appear with the first window; a 1-d conv has one. */
export function extendField(field: ReceptiveField, step: ReceptiveStep | null): ReceptiveField {
  if (field.global || step === null) return field;
  if (step.kind === 'global') return { ...field, global: true };
  const axes = step.kernel.length;
  const { covered, jump, origin } = field.covered.length === axes ? field : pointField(axes);
  const next: Uint8Array[] = [];
  for (let a = 0; a < axes; a++) {
    const spacing = step.dilation[a] * jump[a]; // input positions between two taps of this kernel
    const before = covered[a];
    const out = new Uint8Array(before.length + (step.kernel[a] - 1) * spacing);
    for (let t = 0; t < step.kernel[a]; t++) {
      const shift = t * spacing;
      for (let i = 0; i < before.length; i++) if (before[i]) out[i + shift] = 1;
    }
    next.push(out);
  }
  // Output o reads positions o·stride − padding + t·dilation of the layer's input.
  return {
    global: false,
    covered: next,
    jump: jump.map((j, a) => j * step.stride[a]),
    origin: origin.map((o, a) => o - (step.padding?.[a] ?? 0) * jump[a]),
  };
}

/** One position on each of `axes` axes: the field of the input itself. */
function pointField(axes: number): ReceptiveField {
  const ones = (v: number) => new Array<number>(axes).fill(v);
  return { global: false, covered: Array.from({ length: axes }, () => Uint8Array.of(1)), jump: ones(1), origin: ones(0) };
}

/**
 * The field of a value computed from several (at.cat of branches, a residual add): the union of theirs,
 * aligned by their origins; the whole input if any sees it. Fields that disagree in their jump (a 1×1
 * shortcut that strides but reports no step) take the larger one.
 */
export function mergeFields(fields: readonly ReceptiveField[]): ReceptiveField {
  if (fields.some((f) => f.global)) return { ...fields[0], global: true };
  const axes = Math.max(0, ...fields.map((f) => f.covered.length));
  if (axes === 0) return initialField();
  const aligned = fields.map((f) => (f.covered.length === axes ? f : pointField(axes)));
  const covered: Uint8Array[] = [];
  const origin: number[] = [];
  for (let a = 0; a < axes; a++) {
    const lo = Math.min(...aligned.map((f) => f.origin[a]));
    const hi = Math.max(...aligned.map((f) => f.origin[a] + f.covered[a].length));
    const union = new Uint8Array(hi - lo);
    for (const f of aligned) f.covered[a].forEach((c, i) => (union[f.origin[a] - lo + i] |= c));
    covered.push(union);
    origin.push(lo);
  }
  return { global: false, covered, jump: Array.from({ length: axes }, (_, a) => Math.max(...aligned.map((f) => f.jump[a]))), origin };
}

/** Per axis: the field's size, and how many offsets inside it no path reaches. */
export function fieldExtent(field: ReceptiveField): { size: number[]; gaps: number[] } {
  const size = field.covered.map((c) => c.length);
  const gaps = field.covered.map((c) => c.length - c.reduce((n, v) => n + v, 0));
  return { size, gaps };
}

/** "7×7", "15×15, gaps 6/15×6/15 (gridding)", "whole input", or "1" before any window. */
export function describeField(field: ReceptiveField): string {
  if (field.global) return 'whole input';
  if (field.covered.length === 0) return '1';
  const { size, gaps } = fieldExtent(field);
  const text = size.join('×');
  if (gaps.every((g) => g === 0)) return text;
  return `${text}, gaps ${gaps.map((g, a) => `${g}/${size[a]}`).join('×')} (gridding)`;
}

/** One window layer of a chain, with the spatial sizes it took and gave (as summary() records them). */
export interface WindowLayer {
  name: string;
  type: string;
  step: WindowStep;
  inputSize: number[];
  outputSize: number[];
}

/** Path counts from one output position back to the input of a chain of window layers. */
export interface PathCountMap {
  /** The spatial size of the first layer's input: the map's shape ([L] or [H, W]). */
  size: number[];
  /** The output position the paths start from, in the last layer's output of size outputSize. */
  output: number[];
  outputSize: number[];
  /** counts[i] = distinct tap chains from the output to input position i (row-major over size). */
  counts: Float64Array;
  /** Per axis: first and one-past-last input position any path reaches (the field's box). */
  start: number[];
  end: number[];
  /** Positions inside the box that no path reaches (the gridding holes). */
  holes: number;
  maxCount: number;
  layers: WindowLayer[];
}

/**
 * Counts, for each input position, the chains of kernel taps (one tap per layer) that lead from the
 * output position to it: the input gradient of the chain with all-ones weights, no bias, at a one-hot
 * output. Taps landing in padding end their chain. A rectangular window makes the count separable: the
 * product over axes of the 1-d counts.
 */
export function pathCountMap(layers: WindowLayer[], output?: readonly number[]): PathCountMap {
  const op = 'receptiveFieldMap';
  if (layers.length === 0) throw new RangeError(`${op}: the model has no conv or pooling layer before its first global one, so there is no map to draw`);
  const last = layers[layers.length - 1];
  const axes = last.outputSize.length;
  for (let k = 1; k < layers.length; k++) {
    const [before, after] = [layers[k - 1], layers[k]];
    if (after.inputSize.join() !== before.outputSize.join()) {
      throw new RangeError(`${op}: layer '${after.name}' takes a ${after.inputSize.join('×')} input, but the window layer before it ('${before.name}') gives ${before.outputSize.join('×')}; a layer in between changes the size without a receptive step`);
    }
  }
  const position = output ? [...output] : last.outputSize.map((n) => (n - 1) >> 1);
  if (position.length !== axes || position.some((p, a) => !Number.isInteger(p) || p < 0 || p >= last.outputSize[a])) {
    throw new RangeError(`${op}: output expects ${axes} integer(s) inside the ${last.outputSize.join('×')} output of layer '${last.name}', but got [${position.join(', ')}]`);
  }
  const perAxis = position.map((p, a) => axisPathCounts(layers, a, p));
  const size = layers[0].inputSize;
  const counts = outerProduct(perAxis);
  const start = perAxis.map((c) => c.findIndex((v) => v > 0));
  const end = perAxis.map((c) => c.length - [...c].reverse().findIndex((v) => v > 0));
  const boxCells = start.reduce((n, s, a) => n * (end[a] - s), 1);
  const reached = perAxis.reduce((n, c) => n * c.reduce((m, v) => m + (v > 0 ? 1 : 0), 0), 1);
  return { size, output: position, outputSize: last.outputSize, counts, start, end, holes: boxCells - reached, maxCount: Math.max(...counts), layers };
}

/** Along one axis: paths from output index o of the last layer to each input index of the first. */
function axisPathCounts(layers: WindowLayer[], axis: number, o: number): Float64Array {
  let counts = new Float64Array(layers[layers.length - 1].outputSize[axis]);
  counts[o] = 1;
  for (let k = layers.length - 1; k >= 0; k--) {
    const { step, inputSize } = layers[k];
    const [kernel, stride, dilation, padding] = [step.kernel[axis], step.stride[axis], step.dilation[axis], step.padding?.[axis] ?? 0];
    const before = new Float64Array(inputSize[axis]);
    counts.forEach((paths, j) => {
      if (paths === 0) return;
      for (let t = 0; t < kernel; t++) {
        const i = j * stride - padding + t * dilation;
        if (i >= 0 && i < before.length) before[i] += paths;
      }
    });
    counts = before;
  }
  return counts;
}

/** The row-major product map of per-axis vectors (one axis: the vector itself). */
function outerProduct(perAxis: Float64Array[]): Float64Array {
  return perAxis.reduce((acc, v) => {
    const out = new Float64Array(acc.length * v.length);
    acc.forEach((a, i) => v.forEach((b, j) => (out[i * v.length + j] = a * b)));
    return out;
  }, Float64Array.of(1));
}
