// Makes the Fashion-MNIST subset shipped in the package (data/fashion-mnist-small/): the first 300
// training and the first 100 test images of each class, in file order, as gzip IDX files, with the
// dataset's MIT licence. Source: Debian's dataset-fashion-mnist (or any directory of the four files).
// Usage: node scripts/make-embedded-dataset.mjs [SOURCE_DIR=/usr/share/datasets/fashion-mnist]
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const outDir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'data', 'fashion-mnist-small');
const PER_CLASS = { train: 300, t10k: 100 };

function readIdx(file) {
  let bytes = fs.readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) throw new Error(`${file}: not an IDX file of unsigned bytes`);
  const ndims = bytes[3];
  const shape = [];
  for (let d = 0; d < ndims; d++) shape.push(bytes.readUInt32BE(4 + 4 * d));
  return { shape, data: bytes.subarray(4 + 4 * ndims) };
}

function writeIdx(file, shape, data) {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  // mtime 0 in the gzip header (zlib writes none), so the output is the same on every run.
  fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([header, data]), { level: 9 }));
}

fs.mkdirSync(outDir, { recursive: true });
for (const split of ['train', 't10k']) {
  const images = readIdx(path.join(source, `${split}-images-idx3-ubyte.gz`));
  const labels = readIdx(path.join(source, `${split}-labels-idx1-ubyte.gz`));
  const [count, h, w] = images.shape;
  const taken = new Array(10).fill(0);
  const keep = [];
  for (let i = 0; i < count && keep.length < 10 * PER_CLASS[split]; i++) {
    const c = labels.data[i];
    if (taken[c] < PER_CLASS[split]) {
      taken[c]++;
      keep.push(i);
    }
  }
  const img = Buffer.alloc(keep.length * h * w);
  const lab = Buffer.alloc(keep.length);
  keep.forEach((src, j) => {
    images.data.copy(img, j * h * w, src * h * w, (src + 1) * h * w);
    lab[j] = labels.data[src];
  });
  writeIdx(path.join(outDir, `${split}-images-idx3-ubyte.gz`), [keep.length, h, w], img);
  writeIdx(path.join(outDir, `${split}-labels-idx1-ubyte.gz`), [keep.length], lab);
  console.log(`${split}: ${keep.length} images (${PER_CLASS[split]} per class) of ${count}`);
}

const copyright = '/usr/share/doc/dataset-fashion-mnist/copyright';
const licence = `Fashion-MNIST subset: the first ${PER_CLASS.train} training and ${PER_CLASS.t10k} test images of each class
of Fashion-MNIST (https://github.com/zalandoresearch/fashion-mnist), made by
scripts/make-embedded-dataset.mjs. The dataset is distributed under the MIT License:

The MIT License (MIT)

Copyright © 2017 Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the “Software”), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED “AS IS”, WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;
fs.writeFileSync(path.join(outDir, 'LICENSE'), licence);
console.log(`licence: data/fashion-mnist-small/LICENSE (the upstream MIT text; Debian: ${copyright})`);
