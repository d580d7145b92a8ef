// The IDX reader: valid files (raw and gzip), the embedded Fashion-MNIST subset, and malformed or
// truncated files, each of which throws an Error naming the file and what was wrong.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdx, parseIdx, readIdx } from '../lib/data/idx';
import { EMBEDDED_DIR, loadSplit, locateFashionMnist } from '../lib/data/fashion-mnist';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-idx-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) % 256);
const valid = encodeIdx([2, 3, 4], pixels);

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

function expectIdxError(file: string, ...fragments: string[]): void {
  let thrown: unknown;
  try {
    readIdx(file);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `reading ${path.basename(file)} should throw`).toBeInstanceOf(Error);
  const message = (thrown as Error).message;
  expect(message).toContain(file);
  for (const f of fragments) expect(message).toContain(f);
}

describe('readIdx', () => {
  it('reads raw and gzip files to the same shape and bytes', () => {
    for (const bytes of [valid, zlib.gzipSync(valid)]) {
      const idx = readIdx(write('ok.idx', bytes));
      expect(idx.shape).toEqual([2, 3, 4]);
      expect(Array.from(idx.data)).toEqual(Array.from(pixels));
    }
  });

  it('reads the embedded subset: 3000 + 1000 images of 28x28, 300 and 100 per class', () => {
    const train = loadSplit(EMBEDDED_DIR, 'train');
    const test = loadSplit(EMBEDDED_DIR, 'test');
    expect([train.count, train.height, train.width]).toEqual([3000, 28, 28]);
    expect(test.count).toBe(1000);
    const perClass = new Array(10).fill(0);
    for (const l of train.labels) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(300));
    expect(fs.readFileSync(path.join(EMBEDDED_DIR, 'LICENSE'), 'utf8')).toContain('MIT License');
  });

  it('rejects a bad magic, an unsupported type and zero dimensions', () => {
    const badMagic = valid.slice();
    badMagic[1] = 7;
    expectIdxError(write('magic.idx', badMagic), 'magic', '0x07');
    const floats = valid.slice();
    floats[2] = 0x0d;
    expectIdxError(write('float.idx', floats), 'element type 0x08', '0x0d (float)');
    expectIdxError(write('nodims.idx', Uint8Array.of(0, 0, 8, 0)), 'at least 1 dimension');
  });

  it('rejects truncated headers, data and gzip streams, and trailing bytes', () => {
    expectIdxError(write('tiny.idx', Uint8Array.of(0, 0)), '4-byte header', 'has 2 bytes');
    expectIdxError(write('header.idx', valid.subarray(0, 10)), 'expected 16 header bytes', 'has 10');
    expectIdxError(write('short.idx', valid.subarray(0, valid.length - 5)), 'need 24 data bytes', 'only 19', 'truncated');
    const gz = zlib.gzipSync(valid);
    expectIdxError(write('short.gz', gz.subarray(0, gz.length - 12)), 'gzip stream is damaged or truncated');
    expectIdxError(write('long.idx', Uint8Array.from([...valid, 1, 2])), 'trailing data');
    expectIdxError(path.join(dir, 'missing.idx'), 'cannot read');
  });

  it('names the buffer when parsing bytes', () => {
    expect(() => parseIdx(Uint8Array.of(1, 2, 3, 4), 'labels.bin')).toThrow(/'labels.bin' is not a valid IDX file/);
  });
});

describe('locateFashionMnist', () => {
  it('takes --data, then $ATROUS_DATA, and says which files an explicit directory lacks', () => {
    expect(locateFashionMnist(EMBEDDED_DIR, {})).toEqual({ dir: EMBEDDED_DIR, source: 'option' });
    expect(locateFashionMnist(undefined, { ATROUS_DATA: EMBEDDED_DIR })).toEqual({ dir: EMBEDDED_DIR, source: 'env' });
    expect(() => locateFashionMnist(dir, {})).toThrow(/--data is '.*', but it lacks train-images-idx3-ubyte\[\.gz\]/);
    expect(['debian', 'embedded']).toContain(locateFashionMnist(undefined, {}).source);
  });
});
