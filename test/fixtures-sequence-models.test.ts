// PyTorch parity of the embedding op and the sequence models (scripts/make-sequence-model-fixtures.py):
// each model loads PyTorch's state_dict by the same names and must give PyTorch's output, loss and
// every parameter's gradient.
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { CharLm } from '../lib/models/char-lm';
import { Tcn, type TcnOptions } from '../lib/models/tcn';
import { TextCnn } from '../lib/models/text-cnn';
import { expectRelClose, readFixture, toStateDict, toTensor, type TensorRecord } from './helpers/nn-fixtures';

interface IdsRecord {
  shape: number[];
  data: number[];
}

interface ModelCase {
  name: string;
  config: Record<string, unknown>;
  state: Record<string, TensorRecord>;
  ids?: IdsRecord;
  input?: TensorRecord;
  targets: IdsRecord;
  output: TensorRecord;
  loss: number;
  grads: Record<string, TensorRecord>;
}

interface EmbeddingCase {
  name: string;
  paddingIdx: number | null;
  ids: IdsRecord;
  weight: TensorRecord;
  gradOutput: TensorRecord;
  output: TensorRecord;
  weightGrad: TensorRecord;
}

const fixtures = readFixture<{ models: ModelCase[]; embedding: EmbeddingCase[] }>('sequence-models.json');
const TOL = 1e-4;
const ids = (r: IdsRecord) => at.tensor(Int32Array.from(r.data), r.shape, { dtype: 'int32' });

function build(c: ModelCase): at.nn.Module {
  switch (c.name) {
    case 'text-cnn':
      return new TextCnn(c.config as unknown as ConstructorParameters<typeof TextCnn>[0]);
    case 'char-lm':
      return new CharLm(c.config as unknown as ConstructorParameters<typeof CharLm>[0]);
    default:
      return new Tcn(c.config as unknown as TcnOptions);
  }
}

describe('sequence models match PyTorch (forward, loss, every parameter gradient)', () => {
  for (const c of fixtures.models) {
    it(c.name, () => {
      const model = build(c);
      expect(Object.keys(model.stateDict()), 'state_dict names and order as PyTorch').toEqual(Object.keys(c.state));
      model.loadStateDict(toStateDict(c.state));
      model.eval();
      const x = c.ids ? ids(c.ids) : toTensor(c.input!);
      const out = model.forward(x) as at.Tensor;
      expect(out.shape).toEqual(c.output.shape);
      expectRelClose(`${c.name} output`, out.toFloat32Array(), c.output.data, TOL);
      const loss = c.name === 'tcn-last' ? at.mseLoss(out, toTensor({ shape: c.targets.shape, data: c.targets.data })) : at.crossEntropy(out, ids(c.targets));
      expect(Math.abs(loss.item() - c.loss) / Math.abs(c.loss), `${c.name} loss ${loss.item()} vs ${c.loss}`).toBeLessThanOrEqual(TOL);
      loss.backward();
      for (const [name, p] of model.namedParameters()) {
        expect(p.grad, `${c.name}: ${name} has no gradient`).not.toBeNull();
        expectRelClose(`${c.name} grad of ${name}`, p.grad!.toFloat32Array(), c.grads[name].data, TOL);
      }
    });
  }
});

describe('embedding matches PyTorch (output and weight gradient)', () => {
  for (const c of fixtures.embedding) {
    it(c.name, () => {
      const weight = toTensor(c.weight, true);
      const out = at.embedding(ids(c.ids), weight, { paddingIdx: c.paddingIdx });
      expect(out.shape).toEqual(c.output.shape);
      expectRelClose(`${c.name} output`, out.toFloat32Array(), c.output.data, 1e-6);
      out.backward(toTensor(c.gradOutput));
      expectRelClose(`${c.name} weight grad`, weight.grad!.toFloat32Array(), c.weightGrad.data, 1e-6);
    });
  }

  it('nn.Embedding: N(0, 1) rows with the padding row zero; bad arguments name op and argument', () => {
    at.manualSeed(1);
    const e = new at.nn.Embedding(2000, 8, { paddingIdx: -1 });
    expect(e.paddingIdx).toBe(1999);
    const w = e.weight.toFloat32Array();
    expect([...w.subarray(1999 * 8)]).toEqual(new Array(8).fill(0));
    const body = w.subarray(0, 1999 * 8);
    const mean = body.reduce((a, b) => a + b, 0) / body.length;
    const variance = body.reduce((a, b) => a + (b - mean) ** 2, 0) / body.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const weight = at.randn([5, 3], { requiresGrad: true });
    expect(() => at.embedding(at.tensor([1, 5], [2], { dtype: 'int32' }), weight)).toThrow(/embedding: indices holds 5 at position 1, outside the vocabulary \[0, 5\)/);
    expect(() => at.embedding(at.randn([2]), weight)).toThrow(/^embedding: indices expects an int32 tensor of indices/);
    expect(() => at.embedding(at.tensor([1], [1], { dtype: 'int32' }), at.randn([5]))).toThrow(/^embedding: weight expects a 2-d tensor V×D/);
    expect(() => at.embedding(at.tensor([1], [1], { dtype: 'int32' }), weight, { paddingIdx: 5 })).toThrow(/^embedding: paddingIdx expects an integer in \[-5, 5\)/);
    expect(() => new at.nn.Embedding(0, 3)).toThrow(/^Embedding: numEmbeddings/);
  });
});
