// seq-fashion-mnist: each 28×28 image read pixel by pixel, a 784-step sequence (N×1×784), by a causal
// TCN classified from its last step (the TCN paper's sequential MNIST on Fashion-MNIST's images).
// --permute: the pixels in one fixed pseudo-random order, the same for every image, every run and every
// machine: a Fisher-Yates shuffle driven by splitmix32(PERMUTATION_SEED), independent of --seed. The
// seed travels in the checkpoint, so eval and --resume read the pixels in the order the model learned.
import { FASHION_MNIST_CLASSES, FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadSplit, locateFashionMnist } from '../../data/fashion-mnist';
import { ImageLoader, shuffleInPlace, splitmix32, type ImageDataset } from '../../data/loader';
import type { Tcn } from '../../models/tcn';
import type { Tensor } from '../../core/tensor';
import { crossEntropy } from '../../ops/loss';
import { describeTcn, resolveSequenceSpec, tcnOf, type SequenceRules, type SequenceSpec } from './sequence-spec';
import { evaluateClassifier, limitBatches, type Task, type TaskOptions } from './task';

export const PIXELS = 28 * 28;
export const PERMUTATION_SEED = 1111; // the seed locuslab/TCN's pmnist_test.py starts from

export const SEQ_FASHION_RULES: SequenceRules = {
  task: 'seq-fashion-mnist',
  // The paper's sequential-MNIST TCN: receptive field 1 + 2·6·255 = 3061 ≥ 784.
  defaults: { seqLen: PIXELS, levels: 8, channels: 25, kernelSize: 7, weightNorm: true, init: 'paper', permute: false },
  minSeqLen: null,
};

/** The fixed pixel order of --permute: position t of the sequence reads pixel perm[t] (a bijection of 0..n−1). */
export function pixelPermutation(n: number, seed: number): Int32Array {
  return shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i), splitmix32(seed));
}

/** A copy of the dataset with every image's pixels in the order perm (done once, at load). */
export function permutePixels(ds: ImageDataset, perm: Int32Array): ImageDataset {
  const n = ds.height * ds.width;
  const images = new Uint8Array(ds.images.length);
  // Data preparation, once per run: one byte per pixel, as the embedded loader decodes them.
  for (let i = 0; i < ds.count; i++) {
    const src = ds.images.subarray(i * n, (i + 1) * n);
    const dst = images.subarray(i * n, (i + 1) * n);
    for (let t = 0; t < n; t++) dst[t] = src[perm[t]];
  }
  return { ...ds, images };
}

export function seqFashionModel(spec: SequenceSpec = SEQ_FASHION_RULES.defaults): Tcn {
  return tcnOf(spec, { inChannels: 1, outputs: FASHION_MNIST_CLASSES.length, readout: 'last' });
}

export function seqFashionMnistTask(opts: TaskOptions, saved?: Partial<SequenceSpec>): Task {
  const device = opts.device ?? 'cpu';
  const resolved = resolveSequenceSpec(SEQ_FASHION_RULES, opts.sequence, saved);
  const spec: SequenceSpec = resolved.permute ? { ...resolved, permutationSeed: resolved.permutationSeed ?? PERMUTATION_SEED } : resolved;
  const loc = locateFashionMnist(opts.data);
  let train = loadSplit(loc.dir, 'train');
  let test = loadSplit(loc.dir, 'test');
  if (train.height * train.width !== PIXELS) throw new RangeError(`seq-fashion-mnist: expects 28×28 images, but ${loc.dir} holds ${train.height}×${train.width}`);
  if (spec.permute) {
    const perm = pixelPermutation(PIXELS, spec.permutationSeed!);
    train = permutePixels(train, perm);
    test = permutePixels(test, perm);
  }
  const norm = { mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD };
  const trainLoader = new ImageLoader(train, { batchSize: opts.batchSize, shuffle: true, seed: opts.seed, ...norm });
  const testLoader = new ImageLoader(test, { batchSize: 250, ...norm });
  const batchesPerEpoch = limitBatches(trainLoader.numBatches, opts.maxBatches);
  const model = seqFashionModel(spec);
  const order = spec.permute ? `permuted (fixed order, seed ${spec.permutationSeed})` : 'in raster order';
  return {
    name: 'seq-fashion-mnist',
    description: `sequential Fashion-MNIST from ${loc.dir}: ${train.count} training and ${test.count} test images, each read as ${PIXELS} pixels ${order}; ${describeTcn(spec, model)}`,
    model,
    summaryShape: [1, 1, PIXELS],
    unit: 'images',
    batchesPerEpoch,
    spec,
    *batches(epoch, start) {
      for (const b of trainLoader.epoch(epoch, start)) {
        if (b.index >= batchesPerEpoch) return;
        // The loader's N×1×28×28 batch; the TCN reads it as N×1×784.
        yield { index: b.index, size: b.targets.length, loss: (m) => crossEntropy(m.forward(b.x.to(device)) as Tensor, b.targets) };
      }
    },
    evaluate(m) {
      return evaluateClassifier(m, testLoader, device);
    },
  };
}
