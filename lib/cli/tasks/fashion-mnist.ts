// fashion-mnist: the dilated CNN on 28×28 images (the main job, `npm start`).
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadSplit, locateFashionMnist, type DataLocation } from '../../data/fashion-mnist';
import { ImageLoader } from '../../data/loader';
import { DilatedCnn } from '../../models/dilated-cnn';
import type { Tensor } from '../../core/tensor';
import { crossEntropy } from '../../ops/loss';
import { evaluateClassifier, limitBatches, type Task, type TaskOptions } from './task';

function describeLocation(loc: DataLocation): string {
  const from = { option: '--data', env: '$ATROUS_DATA', debian: "Debian's dataset-fashion-mnist", embedded: 'the embedded subset' }[loc.source];
  return `${loc.dir} (${from})`;
}

export function fashionMnistTask(opts: TaskOptions): Task {
  const device = opts.device ?? 'cpu';
  const loc = locateFashionMnist(opts.data);
  const train = loadSplit(loc.dir, 'train');
  const test = loadSplit(loc.dir, 'test');
  const norm = { mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD };
  const trainLoader = new ImageLoader(train, {
    batchSize: opts.batchSize, shuffle: true, seed: opts.seed, ...norm, augment: opts.augment ? { pad: 2, flip: true } : {},
  });
  const testLoader = new ImageLoader(test, { batchSize: 500, ...norm });
  const batchesPerEpoch = limitBatches(trainLoader.numBatches, opts.maxBatches);
  return {
    name: 'fashion-mnist',
    description: `Fashion-MNIST from ${describeLocation(loc)}: ${train.count} training and ${test.count} test images of ${train.height}x${train.width}`,
    model: new DilatedCnn({ imageSize: [train.height, train.width] }),
    summaryShape: [1, 1, train.height, train.width],
    batchesPerEpoch,
    *batches(epoch, start) {
      for (const b of trainLoader.epoch(epoch, start)) {
        if (b.index >= batchesPerEpoch) return;
        yield { index: b.index, size: b.targets.length, loss: (model) => crossEntropy(model.forward(b.x.to(device)) as Tensor, b.targets) };
      }
    },
    evaluate(model) {
      return evaluateClassifier(model, testLoader, device);
    },
    sampleImages: { images: test.images, count: test.count, height: test.height, width: test.width },
  };
}

