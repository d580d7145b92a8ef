// Fashion-MNIST (Zalando, MIT licence): where the files are and how to load them. Searched in order:
// an explicit directory (--data), $ATROUS_DATA, Debian's dataset-fashion-mnist package, and the
// subset embedded in this package (data/fashion-mnist-small: 3000 train + 1000 test images), so a
// training run works offline anywhere.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../native/load-addon';
import { readIdx } from './idx';
import type { ImageDataset } from './loader';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/** Pixel statistics of the full training set (values in [0, 1]), for normalisation. */
export const FASHION_MNIST_MEAN = 0.286;
export const FASHION_MNIST_STD = 0.353;

export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
export const EMBEDDED_DIR = path.join(packageRoot, 'data', 'fashion-mnist-small');

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export type DataSource = 'option' | 'env' | 'debian' | 'embedded';

export interface DataLocation {
  dir: string;
  source: DataSource;
}

/** The file for a base name in dir: the .gz if present, else the raw file, else null. */
function findFile(dir: string, base: string): string | null {
  for (const name of [`${base}.gz`, base]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

function missingFiles(dir: string): string[] {
  return Object.values(FILES).filter((base) => findFile(dir, base) === null);
}

/**
 * The data directory to use. An explicit one (option, then $ATROUS_DATA) must hold the four files,
 * else this throws naming what is missing; otherwise Debian's directory, otherwise the embedded subset.
 */
export function locateFashionMnist(option?: string, env: NodeJS.ProcessEnv = process.env): DataLocation {
  const explicit: [string | undefined, DataSource, string][] = [
    [option, 'option', '--data'],
    [env.ATROUS_DATA || undefined, 'env', '$ATROUS_DATA'],
  ];
  for (const [dir, source, what] of explicit) {
    if (dir === undefined) continue;
    const missing = missingFiles(dir);
    if (missing.length > 0) {
      throw new Error(`Fashion-MNIST: ${what} is '${dir}', but it lacks ${missing.map((m) => `${m}[.gz]`).join(', ')} (expected the four IDX files of MNIST/Fashion-MNIST)`);
    }
    return { dir: path.resolve(dir), source };
  }
  if (missingFiles(DEBIAN_DIR).length === 0) return { dir: DEBIAN_DIR, source: 'debian' };
  const missing = missingFiles(EMBEDDED_DIR);
  if (missing.length > 0) throw new Error(`Fashion-MNIST: the embedded subset in '${EMBEDDED_DIR}' lacks ${missing.join(', ')} (a broken install?)`);
  return { dir: EMBEDDED_DIR, source: 'embedded' };
}

/** Reads one split (images and labels), checking that they agree. */
export function loadSplit(dir: string, split: 'train' | 'test'): ImageDataset {
  const imagesBase = split === 'train' ? FILES.trainImages : FILES.testImages;
  const labelsBase = split === 'train' ? FILES.trainLabels : FILES.testLabels;
  const imagesFile = findFile(dir, imagesBase);
  const labelsFile = findFile(dir, labelsBase);
  if (!imagesFile || !labelsFile) throw new Error(`Fashion-MNIST: '${dir}' lacks ${!imagesFile ? imagesBase : labelsBase}[.gz]`);
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  if (images.shape.length !== 3) {
    throw new Error(`Fashion-MNIST: '${imagesFile}' expects 3 dimensions (count × height × width), but has [${images.shape.join(', ')}]`);
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new Error(`Fashion-MNIST: '${labelsFile}' expects [${images.shape[0]}] labels (one per image of '${imagesFile}'), but has [${labels.shape.join(', ')}]`);
  }
  const numClasses = FASHION_MNIST_CLASSES.length;
  const bad = labels.data.findIndex((v) => v >= numClasses);
  if (bad >= 0) throw new Error(`Fashion-MNIST: '${labelsFile}' label ${bad} expects a class in [0, ${numClasses - 1}], but is ${labels.data[bad]}`);
  const [count, height, width] = images.shape;
  return { images: images.data, labels: labels.data, count, height, width, numClasses };
}
