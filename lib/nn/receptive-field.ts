// The receptive field of a chain of layers, per spatial axis: which input offsets one output position
// sees. A dilated kernel samples every d-th position, so a stack of dilations can leave offsets that
// no path reaches (the gridding problem): the field then has gaps, which the summary reports.

/** How one layer maps positions: a window (conv, pool), or 'global' (sees the whole input: Linear, global pooling). */
export type ReceptiveStep =
  | { kind: 'window'; kernel: number[]; stride: number[]; dilation: number[] }
  | { kind: 'global' };

/** The field after some layers: per axis, the offsets seen (relative to the first) and the jump between outputs. */
export interface ReceptiveField {
  global: boolean;
  /** Per axis: covered[i] is true when input offset i reaches one output position. */
  covered: Uint8Array[];
  /** Per axis: input positions between neighbouring outputs (the product of strides so far). */
  jump: number[];
}

export function initialField(): ReceptiveField {
  return { global: false, covered: [], jump: [] };
}

/** The field after one more layer. Axes appear with the first window; a 1-d conv has one. */
export function extendField(field: ReceptiveField, step: ReceptiveStep | null): ReceptiveField {
  if (field.global || step === null) return field;
  if (step.kind === 'global') return { global: true, covered: field.covered, jump: field.jump };
  const axes = step.kernel.length;
  const covered = field.covered.length === axes ? field.covered : Array.from({ length: axes }, () => Uint8Array.of(1));
  const jump = field.jump.length === axes ? field.jump : new Array<number>(axes).fill(1);
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
  return { global: false, covered: next, jump: jump.map((j, a) => j * step.stride[a]) };
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
