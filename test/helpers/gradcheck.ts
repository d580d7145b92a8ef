// Finite-difference gradient check. The scalar probed is L = Σ out·R for fixed weights R, summed in
// float64; analytic grads come from out.backward(R), numeric ones from central differences of L
// through the op's own forward (under noGrad), each input element in turn.
import { expect } from 'vitest';
import { noGrad, tensor, type Tensor } from '../../lib';
import { seededValues } from './values';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Which inputs to check (default: all). */
  check?: boolean[];
}

function weightedSum(out: Tensor, weights: Float32Array): number {
  const v = out.toFloat32Array();
  let total = 0;
  for (let i = 0; i < v.length; i++) total += v[i] * weights[i];
  return total;
}

export function gradcheck(label: string, f: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const { eps = 1e-2, atol = 2e-3, rtol = 2e-3 } = opts;
  const check = opts.check ?? inputs.map(() => true);
  inputs.forEach((t, i) => {
    t.grad = null;
    t.requiresGrad = check[i];
  });
  const out = f(...inputs);
  const weights = seededValues(out.numel, 1234, -1, 1);
  out.backward(tensor(weights.slice(), [...out.shape]));

  inputs.forEach((t, i) => {
    if (!check[i]) return;
    expect(t.grad, `${label}: input ${i} got no grad`).not.toBeNull();
    const analytic = (t.grad as Tensor).toFloat32Array();
    const data = t.storage as Float32Array; // gradcheck runs on the CPU
    let worst = { err: 0, j: -1, a: 0, n: 0 };
    for (let j = 0; j < data.length; j++) {
      const x0 = data[j];
      const xp = Math.fround(x0 + eps);
      const xm = Math.fround(x0 - eps);
      data[j] = xp;
      const lp = noGrad(() => weightedSum(f(...inputs), weights));
      data[j] = xm;
      const lm = noGrad(() => weightedSum(f(...inputs), weights));
      data[j] = x0;
      const numeric = (lp - lm) / (xp - xm);
      const err = Math.abs(analytic[j] - numeric) - (atol + rtol * Math.abs(numeric));
      if (err > worst.err) worst = { err, j, a: analytic[j], n: numeric };
    }
    expect(worst.j, `${label}: input ${i} [${t.shape}] element ${worst.j}: analytic ${worst.a} vs numeric ${worst.n}`).toBe(-1);
  });
}
