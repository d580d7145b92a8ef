// at.interpolate: torch.nn.functional.interpolate (torch 1.13) for N×C×L ('nearest', 'linear') and
// N×C×H×W ('nearest', 'bilinear'). A scale factor is used as given (recompute_scale_factor's default):
// the output is floor(in · scale) and the source step 1/scale. The addon resizes N×C×H×W planes; a
// 1-d resize is one over N×C×1×L. CPU only.
import { native } from '../native/load-addon';
import type { InterpolateParams } from '../native/addon-api';
import { describeValue, expectCpu, expectElementCount, expectTensor, formatShape, numelOf } from '../core/shape-checks';
import { allocateForward } from '../core/autograd';
import { allocateLike } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear';

export interface InterpolateOptions {
  /** The output's spatial size: one integer for every spatial dim, or one per dim. */
  size?: number | number[];
  /** Output = floor(input · scaleFactor) per spatial dim: one number for all, or one per dim. */
  scaleFactor?: number | number[];
  mode?: InterpolateMode;
  /** Linear modes only: the corner samples of input and output align (default false: half-pixel centres). */
  alignCorners?: boolean;
}

/** Spatial dims each mode takes: nearest 1 or 2, linear 1, bilinear 2. */
const MODE_DIMS: Record<InterpolateMode, readonly number[]> = { nearest: [1, 2], linear: [1], bilinear: [2] };

const SIZE_RULE = { what: 'an integer >= 1', ok: (n: number) => Number.isInteger(n) && n >= 1 && n < 2 ** 31 };
const SCALE_RULE = { what: 'a finite number > 0', ok: (n: number) => Number.isFinite(n) && n > 0 };

/** size or scaleFactor: a number, or an array of 1 or 2 of them (one per spatial dim), each passing rule. */
function checkPerDimValue(op: string, arg: string, v: unknown, rule: typeof SIZE_RULE): void {
  if (Array.isArray(v) && (v.length < 1 || v.length > 2)) {
    throw new RangeError(`${op}: ${arg} expects ${rule.what} or one per spatial dim (1 or 2 of them), but got ${describeValue(v)}`);
  }
  (Array.isArray(v) ? v : [v]).forEach((e, i) => {
    const name = Array.isArray(v) ? `${arg}[${i}]` : arg;
    if (typeof e !== 'number') throw new TypeError(`${op}: ${name} expects ${rule.what}, but got ${describeValue(e)}`);
    if (!rule.ok(e)) throw new RangeError(`${op}: ${name} expects ${rule.what}, but got ${e}`);
  });
}

const copyOf = (v: number | number[] | undefined) => (Array.isArray(v) ? [...v] : v);

/** The checks that do not need x (nn.Upsample runs them when built): opts with their defaults. */
export function checkInterpolateOptions(op: string, opts: unknown): Required<Pick<InterpolateOptions, 'mode'>> & InterpolateOptions {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${op}: opts expects { size?, scaleFactor?, mode?, alignCorners? }, but got ${describeValue(opts)}`);
  }
  const { size, scaleFactor, mode = 'nearest', alignCorners } = opts as InterpolateOptions;
  if (typeof mode !== 'string' || !Object.hasOwn(MODE_DIMS, mode)) {
    throw new RangeError(`${op}: mode expects 'nearest', 'linear' or 'bilinear', but got ${describeValue(mode)}`);
  }
  if (alignCorners !== undefined && alignCorners !== null) {
    if (typeof alignCorners !== 'boolean') throw new TypeError(`${op}: alignCorners expects a boolean, but got ${describeValue(alignCorners)}`);
    if (mode === 'nearest') {
      throw new RangeError(`${op}: alignCorners expects to be left out with mode 'nearest' (only 'linear' and 'bilinear' take it), but got ${alignCorners}`);
    }
  }
  const hasSize = size !== undefined && size !== null;
  const hasScale = scaleFactor !== undefined && scaleFactor !== null;
  if (hasSize === hasScale) {
    throw new TypeError(`${op}: size and scaleFactor expect exactly one of the two, but got ${hasSize ? 'both' : 'neither'}`);
  }
  if (hasSize) checkPerDimValue(op, 'size', size, SIZE_RULE);
  else checkPerDimValue(op, 'scaleFactor', scaleFactor, SCALE_RULE);
  return {
    mode,
    ...(hasSize ? { size: copyOf(size) } : { scaleFactor: copyOf(scaleFactor) }),
    ...(alignCorners === undefined || alignCorners === null ? {} : { alignCorners }),
  };
}

/** A checked size or scaleFactor as one value per spatial dim. */
function perDim(op: string, arg: string, v: number | number[], dims: number): number[] {
  if (!Array.isArray(v)) return new Array<number>(dims).fill(v);
  if (v.length !== dims) throw new RangeError(`${op}: ${arg} expects ${dims} value(s), one per spatial dim, but got ${describeValue(v)}`);
  return [...v];
}

function planInterpolate(op: string, x: unknown, opts: unknown): { params: InterpolateParams; xShape: number[]; yShape: number[] } {
  expectTensor(op, 'x', x);
  const { size, scaleFactor, mode, alignCorners } = checkInterpolateOptions(op, opts);
  const dims = x.shape.length - 2;
  if (!MODE_DIMS[mode].includes(dims)) {
    const want = mode === 'nearest' ? '3 dims (N×C×L) or 4 (N×C×H×W)' : mode === 'linear' ? '3 dims (N×C×L)' : '4 dims (N×C×H×W)';
    throw new RangeError(`${op}: x expects ${want} for mode '${mode}', but got shape ${formatShape(x.shape)}`);
  }
  if (x.shape.some((d) => d < 1)) throw new RangeError(`${op}: x expects every dim >= 1, but got shape ${formatShape(x.shape)}`);
  expectCpu(op, 'x', x);
  const spatial = x.shape.slice(2);
  let out: number[];
  let scale: number[];
  if (size !== undefined) {
    out = perDim(op, 'size', size, dims);
    scale = new Array<number>(dims).fill(0);
  } else {
    scale = perDim(op, 'scaleFactor', scaleFactor as number | number[], dims);
    out = spatial.map((d, i) => Math.floor(d * scale[i]));
    const empty = out.findIndex((o) => o < 1);
    if (empty >= 0) {
      throw new RangeError(
        `${op}: scaleFactor ${describeValue(scaleFactor)} gives an empty output: floor(${spatial[empty]} × ${scale[empty]}) = ${out[empty]} along dim ${empty + 2} of x ${formatShape(x.shape)}`,
      );
    }
  }
  const yShape = [x.shape[0], x.shape[1], ...out];
  expectElementCount(op, 'output', yShape);
  const [n, c] = x.shape;
  const xShape = dims === 2 ? [n, c, spatial[0], spatial[1]] : [n, c, 1, spatial[0]];
  const params: InterpolateParams = {
    size: dims === 2 ? [out[0], out[1]] : [1, out[0]],
    scale: dims === 2 ? [scale[0], scale[1]] : [0, scale[0]],
    mode: mode === 'nearest' ? 'nearest' : 'linear',
    alignCorners: alignCorners === true,
  };
  return { params, xShape, yShape };
}

/**
 * Resizes the spatial dims of x: exactly one of `size` / `scaleFactor`. 'nearest' copies the source
 * floor(o · in/out) (or floor(o / scaleFactor)); 'linear' / 'bilinear' interpolate between the two
 * nearest samples, at half-pixel centres unless `alignCorners`.
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  const op = 'interpolate';
  const { params, xShape, yShape } = planInterpolate(op, x, opts);
  const y = allocateForward(x.storage, numelOf(yShape), [x]) as Float32Array;
  native().interpolateForward(x.storage as Float32Array, xShape, params, y);
  return opResult(op, y, yShape, [x], (g) => {
    const dx = allocateLike(g, x.numel) as Float32Array;
    native().interpolateBackward(g as Float32Array, xShape, params, dx);
    return [dx];
  });
}
