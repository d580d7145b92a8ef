// PyTorch's default initialisation for conv and linear layers: kaiming_uniform_(a = √5) on the weight,
// which is uniform on ±1/√fan_in, and the bias uniform on ±1/√fan_in. Draws come from the global
// seeded stream, so at.manualSeed(n) makes a model's initial weights reproducible.
import { native } from '../native/load-addon';
import { fillUniformSeeded } from '../core/random';
import { Tensor } from '../core/tensor';

/** A leaf parameter (requiresGrad) of the given shape, uniform on ±bound. */
export function uniformParameter(shape: number[], bound: number): Tensor {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  fillUniformSeeded(values, -bound, bound);
  return new Tensor(values, shape, null, true);
}

/** gain·√(3/fan_in) with gain = √(2/(1 + a²)) and a = √5: exactly 1/√fan_in. */
export function kaimingUniformBound(fanIn: number): number {
  const a = Math.sqrt(5);
  const gain = Math.sqrt(2 / (1 + a * a));
  return gain * Math.sqrt(3 / fanIn);
}

export function filledParameter(shape: number[], value: number): Tensor {
  const t = new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, null, true);
  if (value !== 0) native().fill(t.storage, value);
  return t;
}
