// PyTorch parity of the dense-prediction models (scripts/make-segmentation-model-fixtures.py): the
// DeepLab-lite segmenter (DRN backbone, ASPP, bilinear upsampling) at both dilation schedules and the
// CenterNet detector load PyTorch's state_dict by the same names and must give PyTorch's output, loss
// and every parameter's gradient (eval mode, random BatchNorm statistics).
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { DeepLabLite } from '../lib/models/aspp';
import { CenterNet, centerNetLoss } from '../lib/models/centernet-head';
import { centerTargets } from '../lib/data/center-targets';
import type { SceneBox } from '../lib/data/fashion-scenes';
import { expectRelClose, readFixture, toStateDict, toTensor, type TensorRecord } from './helpers/nn-fixtures';

interface ModelCase {
  name: string;
  kind: 'segmentation' | 'detection';
  config: Record<string, unknown>;
  state: Record<string, TensorRecord>;
  input: TensorRecord;
  targets?: { shape: number[]; data: number[] };
  weight?: TensorRecord;
  gradOutput?: TensorRecord;
  output: TensorRecord;
  loss: number;
  grads: Record<string, TensorRecord>;
}

interface CenterNetLossCase {
  boxes: SceneBox[][];
  classes: number;
  size: number;
  stride: number;
  heatmap: TensorRecord;
  sizeTarget: TensorRecord;
  logits: TensorRecord;
  sizes: TensorRecord;
  loss: number;
  logitsGrad: TensorRecord;
  sizesGrad: TensorRecord;
}

const fixtures = readFixture<{ models: ModelCase[]; centernetLoss: CenterNetLossCase }>('segmentation-model.json');
const TOL = 1e-4;

describe('segmentation and detection models match PyTorch (forward, loss, every parameter gradient)', () => {
  for (const c of fixtures.models) {
    it(c.name, () => {
      const model = c.kind === 'segmentation' ? new DeepLabLite(c.config) : new CenterNet(c.config);
      expect(Object.keys(model.stateDict()), 'state_dict names and order as PyTorch').toEqual(Object.keys(c.state));
      model.loadStateDict(toStateDict(c.state));
      model.eval();
      const out = model.forward(toTensor(c.input));
      expect(out.shape).toEqual(c.output.shape);
      expectRelClose(`${c.name} output`, out.toFloat32Array(), c.output.data, TOL);
      const loss = c.kind === 'segmentation'
        ? at.crossEntropy(out, at.tensor(Int32Array.from(c.targets!.data), c.targets!.shape, { dtype: 'int32' }), { weight: toTensor(c.weight!) })
        : out.mul(toTensor(c.gradOutput!)).sum();
      expect(Math.abs(loss.item() - c.loss) / Math.abs(c.loss), `${c.name} loss ${loss.item()} vs ${c.loss}`).toBeLessThanOrEqual(TOL);
      loss.backward();
      for (const [name, p] of model.namedParameters()) {
        expect(p.grad, `${c.name}: ${name} has no gradient`).not.toBeNull();
        expectRelClose(`${c.name} grad of ${name}`, p.grad!.toFloat32Array(), c.grads[name].data, TOL);
      }
    });
  }
});

describe('DeepLabLite summary', () => {
  // Hand count: stem and layer1 add 2 each (3, 5, 7); layer2 2 then 4 at jump 2 (9, 13); layer3 4 then
  // 8 at jump 4 (17, 25); each dilated conv at jump 4 adds 2·4·d: 1,2,5 → 33, 41, 57, 73, 113, 153.
  it('receptive fields follow the data (a shortcut sees its block input, the sum the main path); ASPP sees the whole input', () => {
    const rows = new DeepLabLite().summary([1, 1, 64, 64]).rows; // dilations 1, 2, 5
    const field = (layer: string, of = rows) => of.find((r) => r.name === layer)?.receptiveField;
    expect(field('backbone.layer3.downsample')).toEqual([13, 13]); // layer2's output
    expect(field('backbone.layer3.conv2')).toEqual([25, 25]);
    expect(field('backbone.layer3.add')).toEqual([25, 25]);
    expect(field('backbone.layer4.0.conv1')).toEqual([33, 33]);
    expect(field('backbone.layer4.2.conv2')).toEqual([153, 153]);
    expect(field('backbone.layer4.2.conv2', new DeepLabLite({ dilations: [2, 2, 2] }).summary([1, 1, 64, 64]).rows)).toEqual([121, 121]);
    expect(field('head.classifier')).toBeNull();
    const classifier = rows.findIndex((r) => r.name === 'head.classifier');
    expect(rows[classifier].outputShape).toEqual([1, 11, 16, 16]);
    // The model's last op, the upsampling to the input size, has a row of its own.
    expect(rows.at(-1)).toMatchObject({ name: 'interpolate', type: 'interpolate', from: [classifier], outputShape: [1, 11, 64, 64] });
    expect(rows.find((r) => r.name === 'head.aspp.pool.0')!.field).toBe('whole input');
  });
});

describe("CenterNet's targets and loss match its PyTorch code (gaussian_radius, draw_umich_gaussian, _neg_loss, RegL1Loss)", () => {
  const c = fixtures.centernetLoss;
  it('heatmaps and size targets for hand-placed boxes', () => {
    const t = centerTargets(c.boxes, c.classes, c.size, c.size, c.stride);
    expectRelClose('heatmap', t.heatmap, c.heatmap.data, 1e-6);
    expect(Array.from(t.size)).toEqual(c.sizeTarget.data);
    expect(t.heatmap.filter((v) => v === 1)).toHaveLength(5);
  });

  it('loss and the gradients of both maps', () => {
    const heatmap = toTensor(c.logits, true);
    const size = toTensor(c.sizes, true);
    const loss = centerNetLoss({ heatmap, size }, centerTargets(c.boxes, c.classes, c.size, c.size, c.stride));
    expect(Math.abs(loss.item() - c.loss) / c.loss, `loss ${loss.item()} vs ${c.loss}`).toBeLessThanOrEqual(1e-5);
    loss.backward();
    expectRelClose('heatmap logits grad', heatmap.grad!.toFloat32Array(), c.logitsGrad.data, 1e-5);
    expectRelClose('size grad', size.grad!.toFloat32Array(), c.sizesGrad.data, 1e-5);
  });
});

describe('DeepLabLite receptiveFieldMap', () => {
  it('follows the 13 convs of the main path (shortcuts and the global ASPP branch left out)', () => {
    for (const dilations of [[1, 2, 5], [2, 2, 2]]) {
      const map = new DeepLabLite({ dilations }).receptiveFieldMap([1, 1, 64, 64]);
      expect(map.layers).toHaveLength(13); // stem 1 + 2 per block × (layer1, layer2, layer3, 3 dilated blocks)
      expect(map.outputSize).toEqual([16, 16]);
      expect(map.holes).toBe(0); // the strided 3×3 stages before the dilated ones fill every offset
    }
  });
});
