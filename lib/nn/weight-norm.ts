// Weight normalisation (Salimans & Kingma 2016; torch.nn.utils.weight_norm): a layer's weight becomes
// w = g · v / ‖v‖, the norm taken per slice along `dim` (dim 0: per output channel) or over the whole
// tensor (dim null), with g (weight_g) and v (weight_v) the trained parameters under PyTorch's names.
// The op works row by row on host views: rows are output channels (tens), each row one native call,
// so no loop runs over elements here; on CUDA the small weight goes to the host and back.
import { native } from '../native/load-addon';
import { allocateForward } from '../core/autograd';
import { allocateLike, copyInto, hostView, type Storage } from '../core/storage';
import { describeValue, expectDevice, expectTensor, formatShape } from '../core/shape-checks';
import { opResult, Tensor } from '../core/tensor';
import { Module } from './module';

/** g's shape for v and dim, as PyTorch's norm_except_dim: size 1 on every dim but `dim`; [] for dim null. */
export function weightNormGShape(shape: readonly number[], dim: number | null): number[] {
  return dim === null ? [] : shape.map((d, i) => (i === dim ? d : 1));
}

/** Writes into `host` (or a host copy of `out`) and moves the values to `out` where it lives on CUDA. */
function writeThrough(out: Storage, fill: (host: Float32Array) => void): void {
  const host = out instanceof Float32Array ? out : new Float32Array(out.length);
  fill(host);
  if (host !== out) copyInto(out, host);
}

/** g · v / ‖v‖ (norm over every dim but 0, or over all of v when dim is null), differentiable in v and g. */
export function weightNormed(v: Tensor, g: Tensor, dim: 0 | null = 0): Tensor {
  const op = 'weightNormed';
  expectTensor(op, 'v', v);
  expectTensor(op, 'g', g);
  expectDevice(op, 'g', g, 'v', v);
  if (dim !== 0 && dim !== null) throw new RangeError(`${op}: dim expects 0 or null, but got ${describeValue(dim)}`);
  if (v.shape.length === 0 || v.numel === 0) throw new RangeError(`${op}: v expects a non-empty tensor with at least one dim, but got shape ${formatShape(v.shape)}`);
  const rows = dim === null ? 1 : v.shape[0];
  if (g.numel !== rows) throw new RangeError(`${op}: g expects ${rows} element(s) (shape ${formatShape(weightNormGShape(v.shape, dim))}), but got shape ${formatShape(g.shape)}`);
  const width = v.numel / rows;
  const nat = native();
  const vh = hostView(v.storage);
  const gh = hostView(g.storage);
  const row = (a: Float32Array, r: number) => a.subarray(r * width, (r + 1) * width);
  const norms = Float64Array.from({ length: rows }, (_, r) => Math.sqrt(nat.sumSquares(row(vh, r))));
  const out = allocateForward(v.storage, v.numel, [v, g]);
  writeThrough(out, (w) => {
    for (let r = 0; r < rows; r++) nat.axpby(row(vh, r), gh[r] / norms[r], null, 0, row(w, r));
  });
  return opResult(op, out, v.shape, [v, g], (grad, needs) => {
    // dL/dg = (G·v)/‖v‖; dL/dv = (g/‖v‖)·G − (g·(G·v)/‖v‖³)·v, per row.
    const gradHost = hostView(grad);
    const scratch = new Float32Array(width);
    const dots = Float64Array.from({ length: rows }, (_, r) => {
      nat.mul(row(gradHost, r), row(vh, r), scratch);
      return nat.sum(scratch);
    });
    let dv: Storage | null = null;
    let dg: Storage | null = null;
    if (needs[0]) {
      dv = allocateLike(grad, v.numel);
      writeThrough(dv, (d) => {
        for (let r = 0; r < rows; r++) {
          const n = norms[r];
          nat.axpby(row(gradHost, r), gh[r] / n, row(vh, r), (-gh[r] * dots[r]) / (n * n * n), row(d, r));
        }
      });
    }
    if (needs[1]) {
      dg = allocateLike(grad, rows);
      writeThrough(dg, (d) => {
        for (let r = 0; r < rows; r++) d[r] = dots[r] / norms[r];
      });
    }
    return [dv, dg];
  }, [v.storage, g.storage]);
}

/**
 * at.nn.utils.weightNorm(module, name = 'weight', dim = 0), as torch.nn.utils.weight_norm: replaces the
 * parameter `name` by `${name}_g` (its norm, shape per weightNormGShape) and `${name}_v` (its values), so
 * the weight is unchanged at first; every read of module[name] then computes g·v/‖v‖. Returns module.
 */
export function weightNorm<M extends Module>(module: M, name = 'weight', dim: 0 | null = 0): M {
  const op = 'weightNorm';
  if (!(module instanceof Module)) throw new TypeError(`${op}: module expects an nn.Module, but got ${describeValue(module)}`);
  if (typeof name !== 'string' || name === '') throw new TypeError(`${op}: name expects a parameter name, but got ${describeValue(name)}`);
  if (dim !== 0 && dim !== null) throw new RangeError(`${op}: dim expects 0 or null, but got ${describeValue(dim)}`);
  const holder = module as unknown as Record<string, unknown>;
  const weight = holder[name];
  if (!(weight instanceof Tensor) || !Object.getOwnPropertyDescriptor(module, name)?.enumerable) {
    throw new RangeError(`${op}: ${module.constructor.name} has no parameter '${name}' (already weight-normed, or not a Tensor property)`);
  }
  const rows = dim === null ? 1 : weight.shape[0];
  const width = weight.numel / rows;
  const wh = hostView(weight.storage);
  const norms = Float32Array.from({ length: rows }, (_, r) => Math.sqrt(native().sumSquares(wh.subarray(r * width, (r + 1) * width))));
  const g = new Tensor(norms, weightNormGShape(weight.shape, dim), null, true);
  const v = new Tensor(Float32Array.from(wh), weight.shape, null, true);
  g.moveTo(weight.device);
  v.moveTo(weight.device);
  // As PyTorch: the plain parameter goes, g and v come last in the state dict (`bias, weight_g, weight_v`).
  delete holder[name];
  holder[`${name}_g`] = g;
  holder[`${name}_v`] = v;
  Object.defineProperty(module, name, {
    get: () => weightNormed(holder[`${name}_v`] as Tensor, holder[`${name}_g`] as Tensor, dim),
    enumerable: false, // not a parameter: computed from the two that are
    configurable: true,
  });
  return module;
}
