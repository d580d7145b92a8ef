// Every file reader fed random and mutated bytes (fast-check): at.load (safetensors), readIdx, readWav
// and readLabelledText (tsv, csv, jsonl). Each read either returns or throws an Error instance whose
// message names the file — never a crash of the process, a hang (the test's timeout) or a thrown
// non-Error. Mutations start from valid files written by the library's own writers (and a hand-built
// safetensors file holding every dtype the addon converts), so the fuzzing reaches past the first check.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as at from '../lib';
import { encodeIdx, readIdx } from '../lib/data/idx';
import { encodeWav, readWav, WAV_ENCODINGS } from '../lib/audio/wav';
import { readLabelledText } from '../lib/data/labelled-text';
import { fuzzParameters, fuzzTimeout } from './helpers/fuzz';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-fuzz-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

const position = fc.nat();
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x0a, 0x09, 0x2c, 0x22) }),
  // sizes and counts that readers must not believe
  fc.record({ kind: fc.constant('u32' as const), at: position, value: fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff8) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 16 }) }),
);

function mutate(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(seed);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'flip' && b.length > 0) b[at] ^= 1 << m.bit;
    else if (m.kind === 'set' && b.length > 0) b[at] = m.value;
    else if (m.kind === 'u32' && b.length >= 4) new DataView(b.buffer).setUint32(Math.min(at, b.length - 4), m.value, (m.at & 1) === 0);
    else if (m.kind === 'truncate') b = b.slice(0, at);
    else if (m.kind === 'insert') b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
    else if (m.kind === 'delete') b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.count)]);
  }
  return b;
}

/** Random bytes, or one of the seeds with one to four mutations. */
function fileBytes(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([s, ms]) => mutate(s, ms)) },
  );
}

/** The property: write the bytes, read them; success, or an Error naming the file. */
function readsOrRefuses(file: string, read: (file: string) => unknown): (bytes: Uint8Array) => void {
  return (bytes) => {
    fs.writeFileSync(file, bytes);
    try {
      read(file);
    } catch (e) {
      if (!(e instanceof Error)) throw new Error(`threw a non-Error: ${String(e)}`);
      if (!e.message.includes(file)) throw new Error(`the error does not name the file: ${e.message}`);
    }
  };
}

function safetensorsSeeds(): Uint8Array[] {
  const file = path.join(dir, 'seed.safetensors');
  at.save({ w: at.tensor([[1, 2, 3], [4, 5, 6]]), b: at.tensor([0.5]), i: at.tensor([1, 2], [2], { dtype: 'int32' }) }, file, { note: 'seed' });
  const written = new Uint8Array(fs.readFileSync(file));
  // One tensor of every dtype the addon converts, two elements each, the data zero-padded.
  const dtypes: Record<string, number> = { F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [dtype, size] of Object.entries(dtypes)) {
    header[dtype.toLowerCase()] = { dtype, shape: [2], data_offsets: [offset, offset + 2 * size] };
    offset += 2 * size;
  }
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const data = Uint8Array.from({ length: offset }, (_, i) => (i * 37) & 0xff);
  return [written, new Uint8Array(Buffer.concat([prefix, json, data]))];
}

/** A safetensors file with a header of random JSON fields around a valid layout. */
const randomHeader: fc.Arbitrary<Uint8Array> = fc.record({
  dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'), fc.jsonValue()),
  shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 6 }), { maxLength: 4 }), fc.jsonValue()),
  offsets: fc.oneof(fc.tuple(fc.integer({ min: -1, max: 64 }), fc.integer({ min: -1, max: 64 })), fc.jsonValue()),
  metadata: fc.oneof(fc.constant(undefined), fc.jsonValue()),
  dataBytes: fc.integer({ min: 0, max: 64 }),
}).map(({ dtype, shape, offsets, metadata, dataBytes }) => {
  const header: Record<string, unknown> = { t: { dtype, shape, data_offsets: offsets } };
  if (metadata !== undefined) header.__metadata__ = metadata;
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return new Uint8Array(Buffer.concat([prefix, json, Buffer.alloc(dataBytes, 0x3c)]));
});

function wavSeeds(): Uint8Array[] {
  const tone = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i / 3));
  return [
    ...WAV_ENCODINGS.map((encoding) => encodeWav(tone, 8000, { encoding })),
    encodeWav([tone, tone.map((v) => -v)], 16000, { encoding: 'pcm16' }),
  ];
}

function idxSeeds(): Uint8Array[] {
  const raw = encodeIdx([3, 2, 2], Uint8Array.from({ length: 12 }, (_, i) => i * 20));
  return [raw, new Uint8Array(zlib.gzipSync(raw)), encodeIdx([5], Uint8Array.of(9, 8, 7, 6, 5))];
}

const textSeeds: Record<'tsv' | 'csv' | 'jsonl', Uint8Array[]> = {
  tsv: [Buffer.from('pos\tgood film\nneg\tbad film\r\n\nneg\tdull\n')],
  csv: [Buffer.from('label,text\npos,"good, really"\nneg,"a ""bad"" one\nover two lines"\n')],
  jsonl: [Buffer.from('{"label":"pos","text":"good"}\n{"label":3,"text":"x"}\n\n{"label":"neg","text":"bad \\u00e9"}\n')],
};

describe('fuzz: file readers refuse bad bytes with an Error naming the file', () => {
  it('at.load (safetensors): mutated files', () => {
    const file = path.join(dir, 'fuzz.safetensors');
    fc.assert(fc.property(fileBytes(safetensorsSeeds()), readsOrRefuses(file, at.load)), fuzzParameters(400));
  }, fuzzTimeout);

  it('at.load (safetensors): random header fields', () => {
    const file = path.join(dir, 'header.safetensors');
    fc.assert(fc.property(randomHeader, readsOrRefuses(file, at.load)), fuzzParameters(300));
  }, fuzzTimeout);

  it('readIdx: raw and gzip files, mutated', () => {
    const file = path.join(dir, 'fuzz-idx-ubyte');
    fc.assert(fc.property(fileBytes(idxSeeds()), readsOrRefuses(file, readIdx)), fuzzParameters(400));
  }, fuzzTimeout);

  it('readWav: every encoding, mono and stereo, mutated', () => {
    const file = path.join(dir, 'fuzz.wav');
    fc.assert(fc.property(fileBytes(wavSeeds()), readsOrRefuses(file, (f) => readWav(f, { sampleRate: 4000 }))), fuzzParameters(400));
  }, fuzzTimeout);

  for (const format of ['tsv', 'csv', 'jsonl'] as const) {
    it(`readLabelledText (${format}): mutated files`, () => {
      const file = path.join(dir, `fuzz.${format}`);
      fc.assert(fc.property(fileBytes(textSeeds[format]), readsOrRefuses(file, readLabelledText)), fuzzParameters(300));
    }, fuzzTimeout);
  }

  it('found by fuzzing: a WAV declaring a 738 MHz rate is refused when resampled, not allocated', () => {
    const bytes = encodeWav(new Float32Array(24), 8000);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(24, 0x2c003e80, true); // fmt's sample rate field
    const file = path.join(dir, 'rate.wav');
    fs.writeFileSync(file, bytes);
    expect(readWav(file).sampleRate).toBe(0x2c003e80);
    expect(() => readWav(file, { sampleRate: 4000 })).toThrow(new RegExp(`^${file}: cannot resample its 738213504 Hz to 4000 Hz: .*taps`));
  });

  it('the seeds themselves read back (the mutations start from valid files)', () => {
    const check = (name: string, seeds: Uint8Array[], read: (f: string) => unknown) => {
      seeds.forEach((bytes, i) => {
        const file = path.join(dir, `seed-${i}-${name}`);
        fs.writeFileSync(file, bytes);
        expect(() => read(file), `${name} seed ${i}`).not.toThrow();
      });
    };
    check('a.safetensors', safetensorsSeeds(), at.load);
    check('idx', idxSeeds(), readIdx);
    check('a.wav', wavSeeds(), readWav);
    for (const format of ['tsv', 'csv', 'jsonl'] as const) check(`a.${format}`, textSeeds[format], readLabelledText);
  });
});
