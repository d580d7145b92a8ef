// A small TypeScript consumer of the installed package: `tsc --noEmit` must accept it against the
// published .d.ts files (scripts/package-check.mjs). It uses the public types by name.
import * as at from 'atrous';
import type { BackendInfo, ConvOptions, Tensor, TensorOptions } from 'atrous';

const opts: ConvOptions = { padding: 'same', dilation: 2 };
const leaf: TensorOptions = { requiresGrad: true };
const x: Tensor = at.randn([1, 3, 16, 16]);
const w: Tensor = at.randn([8, 3, 3, 3], leaf);
const y: Tensor = at.conv2d(x, w, null, opts);
const loss: Tensor = y.relu().mean();
loss.backward();
const grad: Tensor | null = w.grad;
const info: BackendInfo = at.backend();
const cpu: 'avx512' | 'avx2' | 'neon' | 'scalar' = info.cpu;

class Net extends at.nn.Module {
  conv = new at.nn.Conv1d(4, 4, 3, { dilation: 4, padding: 4 });
  override forward(input: Tensor): Tensor {
    return at.relu(this.conv.forward(input));
  }
}
const net = new Net();
const optimizer = new at.optim.Adam(net.parameters(), { lr: 1e-3 });
optimizer.step();
const value: number = loss.item();
export { grad, cpu, value };
