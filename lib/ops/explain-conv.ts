// at.explainConv: which CPU path each pass of a convolution takes, and the workspace it uses, as the
// native planner (native/kernels/cpu/conv/plan.h) decides it now: for this geometry, this thread
// count, this CPU and ATROUS_CONV_PATH. Shapes and options are checked as at.conv1d/at.conv2d check
// them (a 3-d input shape is a conv1d, a 4-d one a conv2d).
import { native } from '../native/load-addon';
import type { ConvPassPlan } from '../native/addon-api';
import { describeValue, expectShape, formatShape } from '../core/shape-checks';
import { type ConvOptions, planConvShapes } from './conv-args';

export type { ConvPassPlan } from '../native/addon-api';

/** The plan of each pass: forward, data gradient (dx) and weight gradient (dw). */
export interface ConvExplanation {
  forward: ConvPassPlan;
  data: ConvPassPlan;
  weight: ConvPassPlan;
}

export function explainConv(xShape: readonly number[], wShape: readonly number[], opts?: ConvOptions): ConvExplanation {
  const op = 'explainConv';
  const x = expectShape(op, 'xShape', xShape);
  const w = expectShape(op, 'wShape', wShape);
  if (x.length !== 3 && x.length !== 4) {
    throw new RangeError(`${op}: xShape expects 3 dims (N×C×L, a conv1d) or 4 (N×C×H×W, a conv2d), but got ${formatShape(x)}`);
  }
  if (w.length !== x.length) {
    throw new RangeError(
      `${op}: wShape expects ${x.length} dims like xShape (${x.length === 4 ? 'Cout×(Cin/groups)×KH×KW' : 'Cout×(Cin/groups)×K'}), but got ${formatShape(w)}`,
    );
  }
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
    throw new TypeError(`${op}: opts expects an object { stride?, padding?, dilation?, groups? }, but got ${describeValue(opts)}`);
  }
  const plan = planConvShapes(op, x.length === 4, x, w, opts);
  return native().explainConv(plan.xShape, plan.wShape, plan.params);
}
