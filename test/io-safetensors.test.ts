// at.save / at.load: round trips, PyTorch-written files (F32, F16, BF16, F64, I64), atomic writes, and
// bad files: truncated, malformed, lying about sizes, and fuzzed (random and mutated bytes).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as at from '../lib';
import { fixturesDir, readFixture } from './helpers/nn-fixtures';
import { seededValues } from './helpers/values';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-io-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A safetensors file from a header object and data bytes, written by hand. */
function craft(name: string, header: unknown, data: Uint8Array, headerText?: string): string {
  const text = headerText ?? JSON.stringify(header);
  const h = Buffer.from(text, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(h.length));
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat([prefix, h, data]));
  return file;
}

function loadError(file: string): Error {
  try {
    at.load(file);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`load('${file}') did not throw`);
}

describe('save and load', () => {
  it('round-trips tensors of any shape, bit for bit, with metadata', () => {
    const record = {
      weight: at.tensor(seededValues(12, 1), [3, 4]),
      scalar: at.tensor(Float32Array.of(-0.5), []),
      empty: at.zeros([0, 3]),
      'layers.0.bias': at.tensor(Float32Array.of(NaN, Infinity, -0, 1e-45), [4]),
    };
    const file = path.join(dir, 'roundtrip.safetensors');
    at.save(record, file, { note: 'hello' });
    const back = at.readSafetensors(file);
    expect(Object.keys(back.tensors)).toEqual(Object.keys(record));
    for (const [k, t] of Object.entries(record)) {
      expect(back.tensors[k].shape).toEqual(t.shape);
      expect(new Uint32Array(back.tensors[k].toFloat32Array().buffer)).toEqual(new Uint32Array(t.toFloat32Array().buffer));
    }
    expect(back.metadata).toEqual({ note: 'hello' });
    // The header is 8-byte aligned, as the reference writer does.
    const n = Number(fs.readFileSync(file).readBigUInt64LE(0));
    expect(n % 8).toBe(0);
  });

  it('writes int32 tensors as I32 (their values, not their float bit patterns); load converts them to float32', () => {
    const file = path.join(dir, 'ids.safetensors');
    at.save({ ids: at.tensor([0, 7, -3, 2147483647], [2, 2], { dtype: 'int32' }) }, file);
    const bytes = fs.readFileSync(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string }>;
    expect(header.ids.dtype).toBe('I32');
    const data = bytes.subarray(8 + headerLength);
    expect([0, 1, 2, 3].map((i) => data.readInt32LE(4 * i))).toEqual([0, 7, -3, 2147483647]);
    expect([...at.load(file).ids.toFloat32Array()]).toEqual([0, 7, -3, 2147483648]);
  });

  it('reads a PyTorch-written file, converting F16, BF16, F64 and I64 to float32', () => {
    const want = readFixture<Record<string, { shape: number[]; data: (number | string)[] }>>('nn-dtypes.json');
    const got = at.load(path.join(fixturesDir, 'nn-dtypes.safetensors'));
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const [k, rec] of Object.entries(want)) {
      expect(got[k].shape, k).toEqual(rec.shape);
      expect(Array.from(got[k].toFloat32Array()), k).toEqual(rec.data.map((v) => Math.fround(Number(v))));
    }
  });

  it('refuses a dtype it cannot convert, naming the file, the tensor and the dtype', () => {
    const file = craft('f8.safetensors', { x: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2));
    expect(loadError(file).message).toMatch(new RegExp(`load: '${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'.*tensor 'x' has dtype "F8_E4M3"`));
  });

  it('writes atomically: a failure mid-write leaves the old file and no temp file', () => {
    const file = path.join(dir, 'atomic.safetensors');
    at.save({ a: at.ones([4]) }, file);
    const before = fs.readFileSync(file);
    // The second tensor's storage fails while the temp file is half written.
    const failing = at.zeros([100]);
    Object.defineProperty(failing, 'storage', { get: () => { throw new Error('disk full (simulated)'); } });
    expect(() => at.save({ a: at.zeros([4]), b: failing }, file)).toThrow(/save: could not write .*disk full/);
    expect(fs.readFileSync(file)).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => f.includes('atomic') && f.endsWith('.tmp'))).toEqual([]);
  });

  it('checks its arguments', () => {
    expect(() => at.save({ a: [1, 2] } as never, path.join(dir, 'x.safetensors'))).toThrow(/save: record\.a expects a Tensor/);
    expect(() => at.save({ __metadata__: at.ones([1]) }, path.join(dir, 'x.safetensors'))).toThrow(/reserves/);
    expect(() => at.load(path.join(dir, 'does-not-exist.safetensors'))).toThrow(/load: cannot open/);
  });
});

describe('bad files', () => {
  const data = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
  const header = { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };

  const cases: [string, () => string, RegExp][] = [
    ['shorter than 8 bytes', () => { const f = path.join(dir, 'tiny.safetensors'); fs.writeFileSync(f, Buffer.from([1, 2, 3])); return f; }, /3 bytes, shorter than the 8-byte header length/],
    ['truncated data', () => craft('trunc.safetensors', header, data.subarray(0, 10)), /data_offsets \[0, 16\] past the end of the data \(10 bytes; truncated\?\)/],
    ['invalid JSON', () => craft('json.safetensors', null, data, '{"w": {'), /header is not valid JSON/],
    ['a JSON array header', () => craft('array.safetensors', [], data), /not a JSON object/],
    ['a wrong byte count for the shape', () => craft('count.safetensors', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, data), /needs 12 bytes, but data_offsets \[0, 16\] hold 16/],
    ['overlapping tensors', () => craft('overlap.safetensors', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, data), /overlap or hole/],
    ['trailing bytes', () => craft('trail.safetensors', { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data), /cover 8 bytes of data, but the file holds 16/],
    ['a negative dim', () => craft('neg.safetensors', { w: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, data), /shape \[-4\], not a list of integers/],
    ['a huge shape', () => craft('huge.safetensors', { w: { dtype: 'F32', shape: [1e6, 1e6], data_offsets: [0, 16] } }, data), /more than the 2\^31-1 elements/],
    ['offsets claiming terabytes', () => craft('tera.safetensors', { w: { dtype: 'F32', shape: [268435456], data_offsets: [0, 1073741824] } }, data), /past the end of the data \(16 bytes/],
    ['a non-string metadata value', () => craft('meta.safetensors', { __metadata__: { a: 1 }, ...header }, data), /__metadata__\.a is not a string/],
  ];
  for (const [what, make, pattern] of cases) {
    it(`refuses ${what}, naming the file`, () => {
      const file = make();
      const err = loadError(file);
      expect(err.message).toContain(`load: '${file}'`);
      expect(err.message).toMatch(pattern);
    });
  }

  it('refuses a header length that claims more than the file holds, without allocating it', () => {
    const file = path.join(dir, 'liar.safetensors');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(2n ** 62n);
    fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from('{}')]));
    expect(loadError(file).message).toMatch(/header length says 4611686018427387904 bytes, but only 2 follow/);
  });

  it('a "__proto__" tensor name is an ordinary entry', () => {
    const file = craft('proto.safetensors', null, new Uint8Array(4), '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    const got = at.load(file);
    expect(Object.keys(got)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
  });
});

describe('fuzzing the reader', () => {
  // Every outcome is a record of tensors or an Error naming the file: no crash, no other exception.
  function expectCleanOutcome(file: string): void {
    let result: unknown;
    try {
      result = at.load(file);
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toContain(file);
      return;
    }
    for (const t of Object.values(result as Record<string, at.Tensor>)) expect(t).toBeInstanceOf(at.Tensor);
  }

  it('random files', () => {
    const file = path.join(dir, 'fuzz-random.safetensors');
    for (let i = 0; i < 200; i++) {
      const len = Math.floor(seededValues(1, 1000 + i, 0, 64)[0]);
      const bytes = Uint8Array.from(seededValues(len, 2000 + i, 0, 256), Math.floor);
      if (i % 2 === 0 && len >= 8) new DataView(bytes.buffer).setBigUint64(0, BigInt(len - 8), true); // plausible length
      fs.writeFileSync(file, bytes);
      expectCleanOutcome(file);
    }
  });

  it('mutated valid files: flipped bytes, truncations, edited header fields', () => {
    const base = path.join(dir, 'fuzz-base.safetensors');
    at.save({ a: at.tensor(seededValues(6, 3), [2, 3]), b: at.tensor(seededValues(5, 4), [5]), c: at.zeros([0]) }, base, { k: 'v' });
    const good = fs.readFileSync(base);
    const file = path.join(dir, 'fuzz-mutated.safetensors');
    const r = seededValues(3000, 99, 0, 1);
    for (let i = 0; i < 600; i++) {
      const bytes = Buffer.from(good);
      const kind = i % 4;
      let out: Buffer = bytes;
      if (kind === 0) for (let j = 0; j < 3; j++) bytes[Math.floor(r[(i * 5 + j) % r.length] * bytes.length)] ^= 1 + Math.floor(r[(i * 7 + j) % r.length] * 255);
      if (kind === 1) out = bytes.subarray(0, Math.floor(r[i % r.length] * bytes.length));
      if (kind === 2) {
        // Replace one digit of the header with another: shapes and offsets that lie.
        const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
        const digits = [...bytes.subarray(8, headerEnd).entries()].filter(([, c]) => c >= 48 && c <= 57).map(([k]) => k + 8);
        bytes[digits[Math.floor(r[i % r.length] * digits.length)]] = 48 + Math.floor(r[(i + 1) % r.length] * 10);
      }
      if (kind === 3) bytes.writeBigUInt64LE(BigInt(Math.floor(r[i % r.length] * 2 ** 40)), 0);
      fs.writeFileSync(file, out);
      expectCleanOutcome(file);
    }
  });
});
