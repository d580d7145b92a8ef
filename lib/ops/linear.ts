// linear(x, weight, bias) = x weightᵀ + bias over the last dim of x (any leading dims), via the
// addon's row-major GEMM.
import { native } from '../native/load-addon';
import { expectDevice, expectRank, expectTensor, formatShape, numelOf } from '../core/shape-checks';
import { allocateForward } from '../core/autograd';
import { allocateLike, type Storage } from '../core/storage';
import { opResult, type Tensor } from '../core/tensor';

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = 'linear';
  expectTensor(op, 'x', x);
  expectRank(op, 'weight', weight, 2, 'out×in');
  expectDevice(op, 'weight', weight, 'x', x);
  const [outFeatures, inFeatures] = weight.shape;
  if (x.shape.length < 1) throw new RangeError(`${op}: x expects at least 1 dim (…×in), but got shape ${formatShape(x.shape)}`);
  const lead = x.shape.slice(0, -1);
  const rows = numelOf(lead);
  if (x.shape[x.shape.length - 1] !== inFeatures) {
    throw new RangeError(
      `${op}: x expects ${inFeatures} features in its last dim (weight ${formatShape(weight.shape)} is out×in), but got shape ${formatShape(x.shape)}`,
    );
  }
  if (rows < 1 || inFeatures < 1 || outFeatures < 1) {
    throw new RangeError(`${op}: expects non-empty x and weight, but got x ${formatShape(x.shape)} and weight ${formatShape(weight.shape)}`);
  }
  if (bias !== null && bias !== undefined) {
    expectRank(op, 'bias', bias, 1, 'out');
    expectDevice(op, 'bias', bias, 'x', x);
    if (bias.shape[0] !== outFeatures) {
      throw new RangeError(`${op}: bias expects ${outFeatures} values (weight ${formatShape(weight.shape)} is out×in), but got shape ${formatShape(bias.shape)}`);
    }
  }

  const a = x.storage;
  const w = weight.storage;
  const y = allocateForward(a, rows * outFeatures, [x, weight, bias]);
  const nat = native();
  nat.gemm(false, true, rows, outFeatures, inFeatures, 1, a, inFeatures, w, inFeatures, 0, y, outFeatures);
  if (bias) nat.addChannelBias(y, bias.storage, outFeatures, 1, y);
  return opResult(op, y, [...lead, outFeatures], [x, weight, bias], (g, needs) => {
    let dx: Storage | null = null;
    let dw: Storage | null = null;
    let db: Storage | null = null;
    if (needs[0]) {
      dx = allocateLike(g, a.length); // dY W
      native().gemm(false, false, rows, inFeatures, outFeatures, 1, g, outFeatures, w, inFeatures, 0, dx, inFeatures);
    }
    if (needs[1]) {
      dw = allocateLike(g, w.length); // dYᵀ X
      native().gemm(true, false, outFeatures, inFeatures, rows, 1, g, outFeatures, a, inFeatures, 0, dw, inFeatures);
    }
    if (needs[2]) {
      db = allocateLike(g, outFeatures); // column sums of dY: the conv bias gradient with 1×1 pixels
      native().convBackwardBias(g, [rows, outFeatures, 1, 1], db);
    }
    return [dx, dw, db];
  }, [a, w]);
}
