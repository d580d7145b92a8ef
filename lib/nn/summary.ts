// model.summary(inputShape): runs the model once on zeros (eval mode, no graph), recording every leaf
// layer's input and output shape in call order, and the receptive field along that chain. The first
// layer that cannot take its input stops it with an error naming the layer and both shapes.
import { noGrad } from '../core/autograd';
import { expectShape, formatShape } from '../core/shape-checks';
import { Tensor } from '../core/tensor';
import { zeros } from '../core/random';
import type { Module } from './module';
import { describeField, extendField, fieldExtent, initialField, type ReceptiveField } from './receptive-field';

export interface SummaryRow {
  name: string;
  type: string;
  inputShape: number[];
  outputShape: number[];
  params: number;
  /** Per spatial axis, or null once the field is the whole input (or before any window). */
  receptiveField: number[] | null;
  /** Offsets inside the field that no path reaches, per axis (0s: no gridding). */
  gaps: number[] | null;
  /** The receptive field as the table shows it. */
  field: string;
}

export interface ModelSummary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  table: string;
  toString(): string;
}

const FAILED = Symbol('atrous.summary.failed');

export function summarize(model: Module, inputShape: readonly number[]): ModelSummary {
  const op = `${model.constructor.name}.summary`;
  const shape = expectShape(op, 'inputShape', inputShape);
  const rows: SummaryRow[] = [];
  let field: ReceptiveField = initialField();
  const named = model.namedModules();
  const wasTraining = named.map(([, m]) => m.training);
  const leafNames = new Map(named.filter(([, m]) => m.namedChildren().length === 0).map(([n, m]) => [m, n]));

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
        const input = args[0] instanceof Tensor ? args[0] : null;
        let out: unknown;
        try {
          out = original.apply(m, args);
        } catch (e) {
          throw wrapFailure(e, op, name, m, input, rows);
        }
        if (leaf && input && out instanceof Tensor) {
          field = extendField(field, m.receptiveStep(input.shape));
          const { size, gaps } = field.global || field.covered.length === 0 ? { size: null, gaps: null } : fieldExtent(field);
          rows.push({
            name: name || '(model)',
            type: m.constructor.name,
            inputShape: [...input.shape],
            outputShape: [...out.shape],
            params: m.parameters().reduce((n, p) => n + p.numel, 0),
            receptiveField: size,
            gaps,
            field: describeField(field),
          });
        }
        return out;
      },
    });
  }
  try {
    model.eval();
    // On the model's device (its first parameter's; the CPU for a model without any).
    const device = model.parameters()[0]?.device ?? 'cpu';
    noGrad((): unknown => model.forward(zeros(shape, { device })));
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
  const table = formatTable(model, shape, rows, totalParams, trainableParams);
  return { rows, totalParams, trainableParams, table, toString: () => table };
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

function formatTable(model: Module, inputShape: number[], rows: SummaryRow[], total: number, trainable: number): string {
  const header = ['Layer (type)', 'Output shape', 'Params', 'Receptive field'];
  const body = rows.map((r) => [`${r.name} (${r.type})`, formatShape(r.outputShape), r.params.toLocaleString('en-US'), r.field]);
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
  ].join('\n');
}
