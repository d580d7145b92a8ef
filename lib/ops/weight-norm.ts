// Weight normalisation's ops over the rows of a weight (row r: the slice v[r], one output channel):
// normExceptDim (torch.norm_except_dim with pow 2) and weightNormed (torch._weight_norm, g·v/‖v‖),
// dim 0 or null (the whole tensor as one row, weight_norm's dim=None). Forward and backward are one
// call each into the addon's kernels (native/kernels/cpu/weight_norm.cpp), which sum in float64.
// CPU kernels only: for a weight on CUDA the op computes on a host copy and uploads its results, so a
// model on the device keeps working (a weight is small: the copies cost little beside its conv).
import { native } from '../native/load-addon';
import { allocateForward } from '../core/autograd';
import { allocateLike, deviceOf, hostView, onDevice, type Storage } from '../core/storage';
import { describeValue, expectDevice, expectTensor, formatShape } from '../core/shape-checks';
import { opResult, type Tensor } from '../core/tensor';

/** 0: per slice along dim 0 (an output channel); null: over the whole tensor. */
export type NormDim = 0 | null;

/** The norms' shape for v and dim, as PyTorch's norm_except_dim: size 1 on every dim but `dim`; [] for null. */
export function normShape(shape: readonly number[], dim: NormDim): number[] {
  return dim === null ? [] : shape.map((d, i) => (i === dim ? d : 1));
}

/** Checks v and dim; v as rows × width. */
function rowsOf(op: string, v: unknown, dim: unknown): { rows: number; width: number } {
  expectTensor(op, 'v', v);
  if (dim !== 0 && dim !== null) throw new RangeError(`${op}: dim expects 0 or null (the whole tensor), but got ${describeValue(dim)}`);
  if (v.shape.length === 0 || v.numel === 0) {
    throw new RangeError(`${op}: v expects a non-empty tensor with at least one dim, but got shape ${formatShape(v.shape)}`);
  }
  const rows = dim === null ? 1 : v.shape[0];
  return { rows, width: v.numel / rows };
}

/**
 * Outputs of the given sizes (null: not wanted) next to `like`, written by one CPU kernel call: on the
 * CPU straight into storage from `allocate`; on CUDA into host arrays that are then uploaded.
 */
function viaHost(op: string, like: Storage, sizes: readonly (number | null)[], allocate: (n: number) => Storage,
  write: (outs: (Float32Array | null)[]) => void): (Storage | null)[] {
  const onCpu = deviceOf(like) === 'cpu';
  const outs = sizes.map((n) => (n === null ? null : onCpu ? (allocate(n) as Float32Array) : new Float32Array(n)));
  write(outs);
  return onCpu ? outs : outs.map((o) => (o === null ? null : onDevice(o, 'cuda', op)));
}

/**
 * ‖v‖₂ over every dim but 0 (dim 0), or over all of v (dim null), shaped as normShape says; as
 * torch.norm_except_dim(v, pow=2, dim). Differentiable: d‖v[r]‖/dv[r] = v[r]/‖v[r]‖.
 */
export function normExceptDim(v: Tensor, pow = 2, dim: NormDim = 0): Tensor {
  const op = 'normExceptDim';
  const { rows, width } = rowsOf(op, v, dim);
  if (pow !== 2) throw new RangeError(`${op}: pow expects 2 (the L2 norm, the only one implemented), but got ${describeValue(pow)}`);
  const vh = hostView(v.storage);
  const [norms] = viaHost(op, v.storage, [rows], (n) => allocateForward(v.storage, n, [v]), ([out]) => native().rowNorms(vh, rows, width, out!));
  return opResult(op, norms!, normShape(v.shape, dim), [v], (grad) => {
    const gradHost = hostView(grad);
    // g·v/‖v‖ with the norms' gradient as g: weight norm's forward kernel.
    const [dv] = viaHost(op, grad, [v.numel], (n) => allocateLike(grad, n),
      ([out]) => native().weightNormForward(hostView(v.storage), gradHost, rows, width, out!));
    return [dv];
  }, [v.storage]);
}

/**
 * g·v/‖v‖ with the norm per slice along dim 0 (g holds one value per row, any shape with that many
 * elements) or over all of v (dim null, g one value); as torch._weight_norm(v, g, dim). Differentiable
 * in both: dg = (G·v)/‖v‖ and dv = (g/‖v‖)·G − (g·(G·v)/‖v‖³)·v per row, for the result's gradient G.
 */
export function weightNormed(v: Tensor, g: Tensor, dim: NormDim = 0): Tensor {
  const op = 'weightNormed';
  const { rows, width } = rowsOf(op, v, dim);
  expectTensor(op, 'g', g);
  expectDevice(op, 'g', g, 'v', v);
  if (g.numel !== rows) throw new RangeError(`${op}: g expects ${rows} element(s) (shape ${formatShape(normShape(v.shape, dim))}), but got shape ${formatShape(g.shape)}`);
  const [vh, gh] = [hostView(v.storage), hostView(g.storage)];
  const [w] = viaHost(op, v.storage, [v.numel], (n) => allocateForward(v.storage, n, [v, g]), ([out]) => native().weightNormForward(vh, gh, rows, width, out!));
  return opResult(op, w!, v.shape, [v, g], (grad, needs) => {
    const gradHost = hostView(grad);
    return viaHost(op, grad, [needs[0] ? v.numel : null, needs[1] ? rows : null], (n) => allocateLike(grad, n),
      ([dv, dg]) => native().weightNormBackward(hostView(v.storage), hostView(g.storage), gradHost, rows, width, dv, dg));
  }, [v.storage, g.storage]);
}
