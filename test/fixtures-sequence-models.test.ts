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

interface WeightNormCase {
  name: string;
  shape: number[];
  dim: 0 | null;
  names: string[];
  g: TensorRecord;
  v: TensorRecord;
  weight: TensorRecord;
  gradOutput: TensorRecord;
  gGrad: TensorRecord;
  vGrad: TensorRecord;
}

const fixtures = readFixture<{ models: ModelCase[]; embedding: EmbeddingCase[]; weightNorm: WeightNormCase[] }>('sequence-models.json');
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
      const loss = c.config.readout === 'last' && c.config.outputs === 1 ? at.mseLoss(out, toTensor({ shape: c.targets.shape, data: c.targets.data })) : at.crossEntropy(out, ids(c.targets));
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

describe('nn.utils.weightNorm matches torch.nn.utils.weight_norm', () => {
  for (const c of fixtures.weightNorm) {
    it(c.name, () => {
      const layer = c.shape.length === 3 ? new at.nn.Conv1d(c.shape[1], c.shape[0], c.shape[2]) : new at.nn.Linear(c.shape[1], c.shape[0]);
      const before = layer.weight.toFloat32Array();
      at.nn.utils.weightNorm(layer, 'weight', c.dim);
      expect(Object.keys(layer.stateDict()), 'state_dict names and order as PyTorch').toEqual(c.names);
      expect(layer.stateDict().weight_g.shape, 'g keeps size 1 on the normed dims').toEqual(c.g.shape);
      expectRelClose(`${c.name}: the weight is unchanged by weightNorm itself`, layer.weight.toFloat32Array(), before, 1e-6);
      layer.loadStateDict({ ...layer.stateDict(), weight_g: toTensor(c.g), weight_v: toTensor(c.v) });
      const w = layer.weight;
      expectRelClose(`${c.name} weight`, w.toFloat32Array(), c.weight.data, 1e-6);
      w.backward(toTensor(c.gradOutput));
      const sd = Object.fromEntries(layer.namedParameters());
      expectRelClose(`${c.name} grad of weight_g`, sd.weight_g.grad!.toFloat32Array(), c.gGrad.data, 1e-5);
      expectRelClose(`${c.name} grad of weight_v`, sd.weight_v.grad!.toFloat32Array(), c.vGrad.data, 1e-5);
    });
  }

  it('refuses a missing parameter, a second application and a bad dim, naming them', () => {
    const conv = new at.nn.Conv1d(2, 3, 2);
    expect(() => at.nn.utils.weightNorm(conv, 'kernel')).toThrow(/^weightNorm: Conv1d has no parameter 'kernel'/);
    at.nn.utils.weightNorm(conv);
    expect(() => at.nn.utils.weightNorm(conv)).toThrow(/^weightNorm: Conv1d has no parameter 'weight' \(already weight-normed/);
    expect(() => at.nn.utils.weightNorm(new at.nn.Linear(2, 2), 'weight', 1 as 0)).toThrow(/^weightNorm: dim expects 0 or null, but got 1/);
  });
});
