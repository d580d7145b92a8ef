// PyTorch parity of the speech models (scripts/make-speech-model-fixtures.py): the WaveNet classifier
// (both readouts) and the log-mel CNN load PyTorch's state_dict by the same names and must give
// PyTorch's output, loss and every parameter's gradient (eval mode).
import { describe, expect, it } from 'vitest';
import * as at from '../lib';
import { MelCnn, type MelCnnOptions } from '../lib/models/mel-cnn';
import { WaveNetClassifier, type WaveNetOptions } from '../lib/models/wavenet';
import { expectRelClose, readFixture, toStateDict, toTensor, type TensorRecord } from './helpers/nn-fixtures';

interface ModelCase {
  name: string;
  config: Record<string, unknown>;
  state: Record<string, TensorRecord>;
  input: TensorRecord;
  targets: { shape: number[]; data: number[] };
  output: TensorRecord;
  loss: number;
  grads: Record<string, TensorRecord>;
}

const fixtures = readFixture<{ models: ModelCase[] }>('speech-models.json');
const TOL = 1e-4;

describe('speech models match PyTorch (forward, loss, every parameter gradient)', () => {
  for (const c of fixtures.models) {
    it(c.name, () => {
      const model = c.name === 'mel-cnn' ? new MelCnn(c.config as unknown as MelCnnOptions) : new WaveNetClassifier(c.config as unknown as WaveNetOptions);
      expect(Object.keys(model.stateDict()), 'state_dict names and order as PyTorch').toEqual(Object.keys(c.state));
      model.loadStateDict(toStateDict(c.state));
      model.eval();
      const out = model.forward(toTensor(c.input));
      expect(out.shape).toEqual(c.output.shape);
      expectRelClose(`${c.name} output`, out.toFloat32Array(), c.output.data, TOL);
      const loss = at.crossEntropy(out, Int32Array.from(c.targets.data));
      expect(Math.abs(loss.item() - c.loss) / Math.abs(c.loss), `${c.name} loss ${loss.item()} vs ${c.loss}`).toBeLessThanOrEqual(TOL);
      loss.backward();
      for (const [name, p] of model.namedParameters()) {
        expect(p.grad, `${c.name}: ${name} has no gradient`).not.toBeNull();
        expectRelClose(`${c.name} grad of ${name}`, p.grad!.toFloat32Array(), c.grads[name].data, TOL);
      }
    });
  }
});
