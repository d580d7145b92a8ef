// Two layout ops the sequence models need, as GEMMs in the addon (with their gradients):
// lastStep (N×C×L → N×C, the output at the final time step) and channelsLast (N×C×L → (N·L)×C, so that
// a per-step classification is one crossEntropy over rows).
import { native } from '../binding';
import { cpuStorage, expectRank, formatShape } from '../shape-checks';
import { hostView } from '../storage';
import { opResult, type Tensor } from '../tensor';

/** x[:, :, -1]: (N·C)×L times the one-hot column e_L. */
export function lastStep(x: Tensor): Tensor {
  expectRank('lastStep', 'x', x, 3, 'N×C×L');
  const [n, c, l] = x.shape;
  if (n * c * l === 0) throw new RangeError(`lastStep: x expects a non-empty N×C×L tensor, but got ${formatShape(x.shape)}`);
  const rows = n * c;
  const pick = new Float32Array(l);
  pick[l - 1] = 1;
  const y = new Float32Array(rows);
  native().gemm(false, false, rows, 1, l, 1, cpuStorage('lastStep', 'x', x), l, pick, 1, 0, y, 1);
  return opResult('lastStep', y, [n, c], [x], (g) => {
    // dx = g · e_Lᵀ: zero except the last step.
    const dx = new Float32Array(rows * l);
    native().gemm(false, false, rows, l, 1, 1, hostView(g), 1, pick, l, 0, dx, l);
    return [dx];
  });
}

/** Per sample, the C×L block transposed to L×C (times the identity, so it stays in the addon). */
export function channelsLast(x: Tensor): Tensor {
  expectRank('channelsLast', 'x', x, 3, 'N×C×L');
  const [n, c, l] = x.shape;
  if (n * c * l === 0) throw new RangeError(`channelsLast: x expects a non-empty N×C×L tensor, but got ${formatShape(x.shape)}`);
  const eye = new Float32Array(c * c);
  for (let i = 0; i < c; i++) eye[i * c + i] = 1;
  const block = c * l;
  const xs = cpuStorage('channelsLast', 'x', x);
  const y = new Float32Array(n * block);
  for (let s = 0; s < n; s++) {
    // y_s (L×C) = x_sᵀ · I
    native().gemm(true, false, l, c, c, 1, xs.subarray(s * block, (s + 1) * block), l, eye, c, 0, y.subarray(s * block, (s + 1) * block), c);
  }
  return opResult('channelsLast', y, [n * l, c], [x], (g) => {
    const dx = new Float32Array(n * block);
    const gs = hostView(g);
    for (let s = 0; s < n; s++) {
      // dx_s (C×L) = I · g_sᵀ
      native().gemm(false, true, c, l, c, 1, eye, c, gs.subarray(s * block, (s + 1) * block), c, 0, dx.subarray(s * block, (s + 1) * block), l);
    }
    return [dx];
  });
}
