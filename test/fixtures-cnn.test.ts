// A small dilated CNN (conv → relu → dilated conv → relu → maxPool2d → flatten → linear →
// crossEntropy) against PyTorch: the loss and the gradients of the input and every parameter.
import { describe, it } from 'vitest';
import * as at from '../lib';
import { checkCase, loadFixtures } from './helpers/fixtures';

describe('dilated CNN forward + backward vs PyTorch', () => {
  for (const c of loadFixtures<{ conv1: at.ConvOptions; conv2: at.ConvOptions; maxPool2d: at.IntOrPair }>('cnn.json')) {
    it(`${c.name} ${JSON.stringify(c.config)}`, () =>
      checkCase(c, (p) => {
        const { conv1, conv2, maxPool2d } = c.config;
        let y = at.relu(at.conv2d(p.input, p['conv1.weight'], p['conv1.bias'], conv1));
        y = at.relu(at.conv2d(y, p['conv2.weight'], p['conv2.bias'], conv2));
        y = at.maxPool2d(y, maxPool2d).flatten(1);
        return at.crossEntropy(at.linear(y, p['fc.weight'], p['fc.bias']), c.targets as number[]);
      }));
  }
});
