// safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?:
// { string: string } }, then the tensors' bytes. at.save writes F32, atomically (a temp file in the
// same folder, fsync, rename). at.load reads F32 as is and converts F16, BF16, F64 and the integer
// types to float32 in the addon. Every header field is checked against the file's real size before
// anything is allocated, so a file that lies about its sizes is refused, not believed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { native } from '../native/load-addon';
import { describeValue, formatShape, MAX_ELEMENTS } from '../core/shape-checks';
import { hostView } from '../core/storage';
import { Tensor } from '../core/tensor';
import { writeAtomically } from './atomic-write';

/** The official reader's limit: a header larger than this is refused as corrupt. */
export const MAX_HEADER_BYTES = 100_000_000;

const ITEM_SIZES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

function checkHost(op: string): void {
  if (os.endianness() !== 'LE') throw new Error(`${op}: safetensors stores little-endian bytes; this ${os.endianness()} host is not supported`);
}

/** at.save(record, path, metadata?): writes float32 tensors as F32 and int32 tensors (indices) as I32. */
export function save(record: Record<string, Tensor>, file: string, metadata?: Record<string, string>): void {
  const op = 'save';
  checkHost(op);
  if (record === null || typeof record !== 'object' || Array.isArray(record) || record instanceof Tensor) {
    throw new TypeError(`${op}: record expects an object of name -> Tensor, but got ${describeValue(record)}`);
  }
  if (typeof file !== 'string' || file === '') throw new TypeError(`${op}: path expects a file path string, but got ${describeValue(file)}`);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new TypeError(`${op}: metadata expects an object of string -> string, but got ${describeValue(metadata)}`);
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`${op}: metadata.${k} expects a string, but got ${describeValue(v)}`);
    }
    header.__metadata__ = metadata;
  }
  const tensors = Object.entries(record);
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '' || name === '__metadata__') throw new RangeError(`${op}: record has an entry named ${JSON.stringify(name)}, which safetensors reserves or forbids`);
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: record.${name} expects a Tensor, but got ${describeValue(t)}`);
    // An int32 tensor's storage holds its int32 bytes (lib/core/tensor-data.ts), written as they are.
    header[name] = { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.numel * 4] };
    offset += t.numel * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // the data starts 8-byte aligned
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));

  try {
    writeAtomically(file, (fd) => {
      fs.writeSync(fd, prefix);
      fs.writeSync(fd, headerBytes);
      for (const [, t] of tensors) {
        const values = hostView(t.storage); // downloaded from the device if need be
        if (t.numel > 0) fs.writeSync(fd, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      }
    });
  } catch (e) {
    throw new Error(`${op}: could not write '${file}': ${(e as Error).message}`, { cause: e });
  }
}

/** at.load(path): every tensor of a safetensors file, as float32. */
export function load(file: string): Record<string, Tensor> {
  return readSafetensors(file).tensors;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** The tensors and the __metadata__ of a safetensors file. */
export function readSafetensors(file: string): SafetensorsFile {
  const op = 'load';
  checkHost(op);
  if (typeof file !== 'string' || file === '') throw new TypeError(`${op}: path expects a file path string, but got ${describeValue(file)}`);
  const fail = (problem: string): never => {
    throw new Error(`${op}: '${file}' is not a valid safetensors file: ${problem}`);
  };
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new Error(`${op}: cannot open '${file}': ${(e as Error).message}`, { cause: e });
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 8) fail(`it is ${size} bytes, shorter than the 8-byte header length (truncated?)`);
    const prefix = Buffer.alloc(8);
    readExactly(fd, prefix, 0);
    const headerLength = prefix.readBigUInt64LE(0);
    if (headerLength > BigInt(size - 8)) fail(`the header length says ${headerLength} bytes, but only ${size - 8} follow (truncated?)`);
    if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`the header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit`);
    const headerBytes = Buffer.alloc(Number(headerLength));
    readExactly(fd, headerBytes, 8);
    const dataStart = 8 + headerBytes.length;
    const dataSize = size - dataStart;
    const { entries, metadata } = parseHeader(headerBytes, dataSize, fail);

    const tensors: Record<string, Tensor> = {};
    for (const e of entries) {
      const numel = e.shape.reduce((a, b) => a * b, 1);
      const storage = new Float32Array(numel);
      if (e.dtype === 'F32') {
        readExactly(fd, new Uint8Array(storage.buffer), dataStart + e.begin);
      } else if (numel > 0) {
        const raw = new Uint8Array(e.end - e.begin);
        readExactly(fd, raw, dataStart + e.begin);
        native().convertToFloat32(raw, e.dtype, storage);
      }
      defineEntry(tensors, e.name, new Tensor(storage, e.shape));
    }
    return { tensors, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

/** obj[key] = value as an own data property, even for a key such as "__proto__" from an untrusted header. */
function defineEntry<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function readExactly(fd: number, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = fs.readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

/** Checks every entry: a known dtype, a shape of integers, offsets inside the data that tile it exactly. */
function parseHeader(bytes: Buffer, dataSize: number, fail: (problem: string) => never): { entries: Entry[]; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('the header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
        defineEntry(metadata, k, v);
      }
      continue;
    }
    const where = `tensor '${name}'`;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${where} is not an object { dtype, shape, data_offsets }`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(`${where} has no dtype string`);
    const itemSize = ITEM_SIZES[dtype];
    if (itemSize === undefined) {
      fail(`${where} has dtype ${JSON.stringify(dtype)}; atrous reads F32 and converts ${Object.keys(ITEM_SIZES).filter((d) => d !== 'F32').join(', ')} to float32`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${where} has shape ${describeValue(shape)}, not a list of integers >= 0`);
    let numel = 1;
    for (const d of shape as number[]) {
      numel *= d;
      if (numel > MAX_ELEMENTS) fail(`${where} has shape ${formatShape(shape as number[])}, more than the 2^31-1 elements a tensor can hold`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`${where} has data_offsets ${describeValue(offsets)}, not [begin, end]`);
    }
    const [begin, end] = offsets as number[];
    if (end < begin) fail(`${where} has data_offsets [${begin}, ${end}], which end before they begin`);
    if (end > dataSize) fail(`${where} has data_offsets [${begin}, ${end}] past the end of the data (${dataSize} bytes; truncated?)`);
    if (end - begin !== numel * itemSize) {
      fail(`${where} (${dtype} ${formatShape(shape as number[])}) needs ${numel * itemSize} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, dtype: dtype, shape: shape as number[], begin, end });
  }
  // The data must be tiled exactly: no overlap, no hole, nothing after the last tensor.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin !== cursor) fail(`tensor '${e.name}' starts at byte ${e.begin} of the data, but the previous tensor ends at ${cursor} (overlap or hole)`);
    cursor = e.end;
  }
  if (cursor !== dataSize) fail(`the tensors cover ${cursor} bytes of data, but the file holds ${dataSize} after the header`);
  return { entries, metadata };
}
