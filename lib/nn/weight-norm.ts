// Weight normalisation (Salimans & Kingma 2016; torch.nn.utils.weight_norm): a layer's weight becomes
// w = g · v / ‖v‖, the norm taken per slice along `dim` (dim 0: per output channel) or over the whole
// tensor (dim null), with g (weight_g) and v (weight_v) the trained parameters under PyTorch's names.
// The math is the ops' (lib/ops/weight-norm.ts): normExceptDim for g's start, weightNormed per read.
import { noGrad } from '../core/autograd';
import { copyOf } from '../core/storage';
import { describeValue } from '../core/shape-checks';
import { Tensor } from '../core/tensor';
import { normExceptDim, normShape, weightNormed } from '../ops/weight-norm';
import { Module } from './module';

export { weightNormed } from '../ops/weight-norm';

/** g's shape for v and dim, as PyTorch's norm_except_dim: size 1 on every dim but `dim`; [] for dim null. */
export const weightNormGShape = normShape;

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
  // Both new leaves live where the weight does.
  const g = noGrad(() => normExceptDim(weight, 2, dim)).detach();
  g.requiresGrad = true;
  const v = new Tensor(copyOf(weight.storage), weight.shape, null, true);
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
