// model.summary(inputShape): runs the model once on zeros (eval mode), recording every leaf layer's
// input and output shape in call order, and which value each layer read: the model's input, another
// layer's output, or the result of ops between layers (at.cat of branches, a residual add, an
// interpolation), which get rows of their own, found through the autograd graph of that one forward.
// So parallel branches show as reading the same input, and their concatenation as reading each branch.
// Each value's receptive field follows the same data flow: a layer extends its input's, an op merges its
// inputs' (ops count as acting per position). The first layer that cannot take its input stops it with
// an error naming the layer and both shapes. A run of layers with one dilation rate > 1 that leaves holes
// in the field adds a warning (the gridding problem). receptiveFieldMap follows the window layers in call
// order as one chain and counts paths from their geometry.
import { enableGrad } from '../core/autograd';
import { expectShape, formatShape, numelOf } from '../core/shape-checks';
import { Tensor, tensor } from '../core/tensor';
import { zeros } from '../core/random';
import type { Module } from './module';
import {
  describeField, extendField, fieldExtent, initialField, mergeFields, pathCountMap, type PathCountMap, type ReceptiveField, type ReceptiveStep, type WindowLayer,
} from './receptive-field';

export interface SummaryRow {
  name: string;
  /** The layer's class, or the op's name for a row of ops between layers ('cat', 'add', 'interpolate'). */
  type: string;
  /**
   * The rows whose outputs this one reads, as indices into rows; -1 is the model's input. A layer reads
   * one value; an op row reads each of its inputs that came from the model's input. Empty: none did.
   */
  from: number[];
  inputShape: number[];
  outputShape: number[];
  params: number;
  /** Per spatial axis, or null once the field is the whole input (or before any window). */
  receptiveField: number[] | null;
  /** Offsets inside the field that no path reaches, per axis (0s: no gridding). */
  gaps: number[] | null;
  /** The receptive field as the table shows it. */
  field: string;
  /** How the layer maps positions (null: per position, and for op rows). */
  step: ReceptiveStep | null;
}

export interface ModelSummary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  /** Gridding: each run of equal dilation rates > 1 that leaves holes in the field. Also in the table. */
  warnings: string[];
  table: string;
  toString(): string;
}

const FAILED = Symbol('atrous.summary.failed');

export interface SummaryOptions {
  /** The input's dtype: 'int32' for models over token ids (zeros are padding ids), default float32. */
  dtype?: 'float32' | 'int32';
}

/** A value of the forward: which row made it (-1: the model's input) and its receptive field. */
interface Made {
  row: number;
  field: ReceptiveField;
}

/** The rows of one summary run and the values they made. */
class DataFlow {
  readonly rows: SummaryRow[] = [];
  private readonly made = new WeakMap<Tensor, Made>();
  private readonly notFromInput = new WeakSet<Tensor>();
  private readonly names = new Set<string>();

  constructor(input: Tensor) {
    this.made.set(input, { row: -1, field: initialField() });
  }

  /** A leaf layer's call: its row, reading what made `input`, extending that field by the layer's step. */
  layer(name: string, m: Module, input: Tensor, source: Made | null, out: Tensor): void {
    const step = m.receptiveStep(input.shape);
    const field = extendField(source?.field ?? initialField(), step);
    this.add({ name, type: m.constructor.name, from: source ? [source.row] : [], inputShape: [...input.shape], outputShape: [...out.shape], params: m.parameters().reduce((n, p) => n + p.numel, 0), step }, field, out);
  }

  /**
   * What made t: a row already recorded, or else the ops between layers that made it from such rows
   * (each recorded now as a row named after `scope`, the module whose forward ran them); null when t
   * does not come from the model's input (a parameter, a constant).
   */
  trace(t: Tensor, scope: string): Made | null {
    const known = this.made.get(t);
    if (known) return known;
    if (t.gradFn === null || this.notFromInput.has(t)) return null;
    const inputs = t.gradFn.inputs.filter((i): i is Tensor => i instanceof Tensor);
    const traced = inputs.map((i) => [i, this.trace(i, scope)] as const).filter((p): p is readonly [Tensor, Made] => p[1] !== null);
    if (traced.length === 0) {
      this.notFromInput.add(t);
      return null;
    }
    const type = t.gradFn.op.replace(/^Tensor\./, '');
    const from = [...new Set(traced.map(([, made]) => made.row))];
    const field = mergeFields(traced.map(([, made]) => made.field));
    const name = this.uniqueName(scope ? `${scope}.${type}` : type);
    return this.add({ name, type, from, inputShape: [...traced[0][0].shape], outputShape: [...t.shape], params: 0, step: null }, field, t);
  }

  private add(row: Omit<SummaryRow, 'receptiveField' | 'gaps' | 'field'>, field: ReceptiveField, out: Tensor): Made {
    const { size, gaps } = field.global || field.covered.length === 0 ? { size: null, gaps: null } : fieldExtent(field);
    this.rows.push({ ...row, receptiveField: size, gaps, field: describeField(field) });
    this.names.add(row.name);
    const made = { row: this.rows.length - 1, field };
    this.made.set(out, made);
    return made;
  }

  /** base, or base_1, base_2, … when a row has it (an op used twice in one forward). */
  private uniqueName(base: string): string {
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    return name;
  }
}

export function summarize(model: Module, inputShape: readonly number[], opts: SummaryOptions = {}): ModelSummary {
  const op = `${model.constructor.name}.summary`;
  const shape = expectShape(op, 'inputShape', inputShape);
  const named = model.namedModules();
  const wasTraining = named.map(([, m]) => m.training);
  const leafNames = new Map(named.filter(([, m]) => m.namedChildren().length === 0).map(([n, m]) => [m, n]));
  // On the model's device (its first parameter's; the CPU for a model without any). A float input
  // requires grad so that every op on its way records the graph that trace() walks.
  const device = model.parameters()[0]?.device ?? 'cpu';
  const input = opts.dtype === 'int32' ? tensor(new Int32Array(numelOf(shape)), shape, { dtype: 'int32', device }) : zeros(shape, { device, requiresGrad: true });
  const flow = new DataFlow(input);
  const rows = flow.rows;
  const running: string[] = []; // the modules whose forward is running, outermost first

  // Each module's forward is shadowed by an own property for the run, then restored.
  const ownForward = named.map(([, m]) => Object.getOwnPropertyDescriptor(m, 'forward'));
  for (const [name, m] of named) {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to m below
    const original = m.forward;
    const leaf = leafNames.has(m);
    Object.defineProperty(m, 'forward', {
      configurable: true,
      enumerable: false,
      writable: true,
      value: (...args: unknown[]) => {
        const arg = args[0] instanceof Tensor ? args[0] : null;
        // Ops that made the argument ran in the caller's forward.
        const source = arg ? flow.trace(arg, running.at(-1) ?? '') : null;
        running.push(name);
        let out: unknown;
        try {
          out = original.apply(m, args);
        } catch (e) {
          throw wrapFailure(e, op, name, m, arg, rows);
        } finally {
          running.pop();
        }
        if (!(out instanceof Tensor)) return out;
        if (leaf && arg) flow.layer(name || '(model)', m, arg, source, out);
        else if (!leaf) flow.trace(out, name); // ops in this forward made it
        return out;
      },
    });
  }
  try {
    model.eval();
    enableGrad((): unknown => model.forward(input));
  } catch (e) {
    if (e instanceof Error && (e as { [FAILED]?: boolean })[FAILED]) throw e;
    throw wrapFailure(e, op, '', model, null, rows);
  } finally {
    named.forEach(([, m], i) => {
      const own = ownForward[i];
      if (own) Object.defineProperty(m, 'forward', own);
      else delete (m as { forward?: unknown }).forward;
      m.training = wasTraining[i];
    });
  }

  const params = model.parameters();
  const totalParams = params.reduce((n, p) => n + p.numel, 0);
  const trainableParams = params.filter((p) => p.requiresGrad).reduce((n, p) => n + p.numel, 0);
  const warnings = griddingWarnings(rows);
  const table = formatTable(model, shape, rows, totalParams, trainableParams, warnings);
  return { rows, totalParams, trainableParams, warnings, table, toString: () => table };
}

/**
 * One warning per run of two or more window layers with the same dilation rate > 1 (layers acting per
 * position between them do not break a run) after which the field has gaps.
 */
function griddingWarnings(rows: SummaryRow[]): string[] {
  const dilationOf = (r: SummaryRow) => (r.step?.kind === 'window' ? r.step.dilation : []);
  const windows = rows.filter((r) => r.step?.kind === 'window');
  const warnings: string[] = [];
  let runStart = 0;
  for (let k = 1; k <= windows.length; k++) {
    const dilation = dilationOf(windows[runStart]);
    if (k < windows.length && dilationOf(windows[k]).join() === dilation.join()) continue;
    const run = windows.slice(runStart, k);
    const { gaps, receptiveField } = run[run.length - 1];
    runStart = k;
    if (run.length < 2 || dilation.every((d) => d === 1) || !gaps || !receptiveField || gaps.every((g) => g === 0)) continue;
    warnings.push(
      `Warning: layers ${run.map((r) => `'${r.name}'`).join(', ')} all use dilation ${dilation.join('×')}: after them ` +
        `${gaps.map((g, i) => `${g} of ${receptiveField[i]}`).join(' × ')} offsets of the receptive field get no path (gridding); ` +
        `rates without a common factor, e.g. 1, 2, 5, cover it.`,
    );
  }
  return warnings;
}

export interface ReceptiveFieldMapOptions {
  /** The output position the paths start from (default: the centre, rounded down). */
  output?: readonly number[];
}

/**
 * Path counts from one output position of the model's spatial part (its window layers up to the first
 * global one, in the order summary() records them) to each input position. Only the layers' kernel,
 * stride, padding and dilation enter; the forward on zeros only records the chain and its sizes.
 * Branches (residual additions) are not followed: the map is that of the main chain.
 */
export function receptiveFieldMapOf(model: Module, inputShape: readonly number[], opts: ReceptiveFieldMapOptions = {}): PathCountMap {
  const rows = summarize(model, inputShape).rows;
  const layers: WindowLayer[] = [];
  for (const r of rows) {
    if (r.step?.kind === 'global') break;
    if (r.step?.kind !== 'window') continue;
    const axes = r.step.kernel.length;
    layers.push({ name: r.name, type: r.type, step: r.step, inputSize: r.inputShape.slice(-axes), outputSize: r.outputShape.slice(-axes) });
  }
  return pathCountMap(layers, opts.output);
}

/** The error for the first layer that failed: it names the layer, its input shape and the cause. */
function wrapFailure(e: unknown, op: string, name: string, m: Module, input: Tensor | null, rows: SummaryRow[]): unknown {
  if (!(e instanceof Error) || (e as { [FAILED]?: boolean })[FAILED]) return e;
  const after = rows.length > 0 ? ` (after layer '${rows[rows.length - 1].name}', output ${formatShape(rows[rows.length - 1].outputShape)})` : '';
  const where = name
    ? `layer '${name}' (${m.toString().split('\n')[0]}) cannot take its input${input ? ` of shape ${formatShape(input.shape)}` : ''}${after}`
    : `the model's forward failed${after}`;
  const Ctor = e instanceof RangeError ? RangeError : e instanceof TypeError ? TypeError : Error;
  const wrapped = new Ctor(`${op}: ${where}: ${e.message}`, { cause: e });
  (wrapped as { [FAILED]?: boolean })[FAILED] = true;
  return wrapped;
}

/**
 * What a row reads, for the table's last column: blank when it is the row above (a chain), else the
 * rows' names ('input': the model's input) — where branches leave a chain or meet again.
 */
function readsFrom(rows: SummaryRow[], i: number): string {
  const { from } = rows[i];
  if (from.length === 1 && from[0] === i - 1) return '';
  if (from.length === 0) return 'none';
  return from.map((k) => (k === -1 ? 'input' : rows[k].name)).join(', ');
}

function formatTable(model: Module, inputShape: number[], rows: SummaryRow[], total: number, trainable: number, warnings: string[]): string {
  const header = ['Layer (type)', 'Output shape', 'Params', 'Receptive field', 'Input from'];
  const body = rows.map((r, i) => [`${r.name} (${r.type})`, formatShape(r.outputShape), r.params.toLocaleString('en-US'), r.field, readsFrom(rows, i)]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => (c === 2 ? s.padStart(widths[c]) : s.padEnd(widths[c]))).join('  ').trimEnd();
  const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  return [
    `${model.constructor.name} on input ${formatShape(inputShape)}`,
    rule,
    line(header),
    rule,
    ...body.map(line),
    rule,
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`,
    ...warnings,
  ].join('\n');
}
