// Resolves conv1d/conv2d arguments into the addon's NCHW shapes and per-side ConvParams, checking
// every one first. conv1d is a 2-d convolution with H = KH = 1.
import type { ConvParams } from '../native/addon-api';
import {
  describeValue, expectDevice, expectInt, expectIntPair, expectIntSingle, expectRank, expectElementCount, formatShape,
} from '../core/shape-checks';

export type IntOrPair = number | readonly [number, number];
export type ConvPadding = number | readonly [number, number] | 'valid' | 'same' | 'causal';

export interface ConvOptions {
  stride?: IntOrPair;
  padding?: ConvPadding;
  dilation?: IntOrPair;
  groups?: number;
}

export interface ConvPlan {
  xShape: number[]; // N, C, H, W
  wShape: number[]; // Cout, C/groups, KH, KW
  yShape: number[]; // N, Cout, OH, OW
  outShape: number[]; // yShape in the caller's rank (drops H for conv1d)
  params: ConvParams;
}

const OPTION_NAMES = ['stride', 'padding', 'dilation', 'groups'];

export function planConv(
  op: 'conv1d' | 'conv2d',
  input: unknown,
  weight: unknown,
  bias: unknown,
  opts: unknown,
): ConvPlan {
  const is2d = op === 'conv2d';
  expectRank(op, 'input', input, is2d ? 4 : 3, is2d ? 'N×C×H×W' : 'N×C×L');
  expectRank(op, 'weight', weight, is2d ? 4 : 3, is2d ? 'Cout×(Cin/groups)×KH×KW' : 'Cout×(Cin/groups)×K');
  expectDevice(op, 'weight', weight, 'input', input);
  return planConvShapes(op, is2d, input.shape, weight.shape, opts, (cout) => {
    if (bias === null || bias === undefined) return;
    expectRank(op, 'bias', bias, 1, 'Cout');
    expectDevice(op, 'bias', bias, 'input', input);
    if (bias.shape[0] !== cout) {
      throw new RangeError(`${op}: bias expects ${cout} values (one per output channel of weight ${formatShape(weight.shape)}), but got shape ${formatShape(bias.shape)}`);
    }
  });
}

/**
 * planConv on shapes alone (the input's and the weight's, of rank 4 for 2-d or 3 for 1-d, already
 * checked to be integer arrays of that rank); checkBias(cout) checks the bias, if any, in its turn.
 */
export function planConvShapes(
  op: string,
  is2d: boolean,
  inputShape: readonly number[],
  weightShape: readonly number[],
  opts: unknown,
  checkBias: (cout: number) => void = () => {},
): ConvPlan {
  const options = checkOptionNames(op, opts);

  const groups = expectInt(op, 'groups', options.groups ?? 1, 1);
  const [strideH, strideW] = is2d ? expectIntPair(op, 'stride', options.stride ?? 1, 1) : [1, expectIntSingle(op, 'stride', options.stride ?? 1, 1)];
  const [dilationH, dilationW] = is2d ? expectIntPair(op, 'dilation', options.dilation ?? 1, 1) : [1, expectIntSingle(op, 'dilation', options.dilation ?? 1, 1)];

  const xShape = is2d ? [...inputShape] : [inputShape[0], inputShape[1], 1, inputShape[2]];
  const wShape = is2d ? [...weightShape] : [weightShape[0], weightShape[1], 1, weightShape[2]];
  const [n, c, h, w] = xShape;
  const [cout, cinPerGroup, kh, kw] = wShape;
  const spatial = is2d ? 'H×W' : 'L';
  if (n < 1 || c < 1 || h < 1 || w < 1) {
    throw new RangeError(`${op}: input expects every dim >= 1, but got shape ${formatShape(inputShape)}`);
  }
  if (cout < 1 || cinPerGroup < 1 || kh < 1 || kw < 1) {
    throw new RangeError(`${op}: weight expects every dim >= 1, but got shape ${formatShape(weightShape)}`);
  }
  if (c % groups !== 0) {
    throw new RangeError(`${op}: groups=${groups} must divide the input channels, but input has ${c} channels (shape ${formatShape(inputShape)})`);
  }
  if (cout % groups !== 0) {
    throw new RangeError(`${op}: groups=${groups} must divide the output channels, but weight has ${cout} (shape ${formatShape(weightShape)})`);
  }
  if (cinPerGroup !== c / groups) {
    throw new RangeError(
      `${op}: weight expects ${cinPerGroup} input channels per group, but input has ${c} channels (groups=${groups}); ` +
        `weight ${formatShape(weightShape)}, input ${formatShape(inputShape)}`,
    );
  }
  checkBias(cout);

  const pads = resolvePadding(op, is2d, options.padding ?? 0, [strideH, strideW], [dilationH, dilationW], [kh, kw]);
  const params: ConvParams = { strideH, strideW, dilationH, dilationW, groups, ...pads };

  const oh = outputSize(op, is2d ? 'height' : '', h, pads.padTop, pads.padBottom, kh, dilationH, strideH);
  const ow = outputSize(op, is2d ? 'width' : 'length', w, pads.padLeft, pads.padRight, kw, dilationW, strideW);
  const yShape = [n, cout, oh, ow];
  const outShape = is2d ? yShape : [n, cout, ow];
  expectElementCount(op, `output (input ${formatShape(inputShape)} over ${spatial})`, outShape);
  return { xShape, wShape, yShape, outShape, params };
}

function checkOptionNames(op: string, opts: unknown): ConvOptions {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${op}: opts expects an object { stride?, padding?, dilation?, groups? }, but got ${describeValue(opts)}`);
  }
  for (const key of Object.keys(opts)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new TypeError(`${op}: opts.${key} is not an option (expected one of ${OPTION_NAMES.join(', ')})`);
    }
  }
  return opts;
}

type Pads = Pick<ConvParams, 'padTop' | 'padBottom' | 'padLeft' | 'padRight'>;

function resolvePadding(op: string, is2d: boolean, padding: unknown, stride: number[], dilation: number[], kernel: number[]): Pads {
  if (padding === 'valid') return { padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 };
  if (padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new RangeError(`${op}: padding 'same' expects stride 1, but got stride ${is2d ? formatShape(stride) : stride[1]}`);
    }
    // Total d(k-1) per axis; an odd total puts the extra element after (right/bottom), as PyTorch.
    const [th, tw] = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)];
    return { padTop: Math.floor(th / 2), padBottom: th - Math.floor(th / 2), padLeft: Math.floor(tw / 2), padRight: tw - Math.floor(tw / 2) };
  }
  if (padding === 'causal') {
    if (is2d) throw new RangeError(`${op}: padding 'causal' is for conv1d only; conv2d expects a number, [h, w], 'valid' or 'same'`);
    return { padTop: 0, padBottom: 0, padLeft: dilation[1] * (kernel[1] - 1), padRight: 0 };
  }
  if (typeof padding === 'string') {
    const modes = is2d ? "'valid' or 'same'" : "'valid', 'same' or 'causal'";
    throw new TypeError(`${op}: padding expects an integer >= 0, ${is2d ? '[h, w], ' : ''}${modes}, but got ${describeValue(padding)}`);
  }
  const [ph, pw] = is2d ? expectIntPair(op, 'padding', padding, 0) : [0, expectIntSingle(op, 'padding', padding, 0)];
  return { padTop: ph, padBottom: ph, padLeft: pw, padRight: pw };
}

/** (size + pads - (d(k-1)+1)) / stride + 1, refusing an empty output. */
function outputSize(op: string, axis: string, size: number, padBefore: number, padAfter: number, k: number, d: number, s: number): number {
  const span = d * (k - 1) + 1;
  const padded = size + padBefore + padAfter;
  if (padded < span) {
    throw new RangeError(
      `${op}: output would be empty: input ${axis} ${size} + padding ${padBefore}+${padAfter} = ${padded} is smaller than ` +
        `the dilated kernel ${axis} ${span} (kernel ${k}, dilation ${d})`,
    );
  }
  return Math.floor((padded - span) / s) + 1;
}
