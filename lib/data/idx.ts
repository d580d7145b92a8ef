// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type
// code, the number of dimensions, each dimension as a big-endian uint32, then the values row-major.
// Files may be gzip-compressed (detected by the gzip magic, not the name). Only unsigned bytes (0x08),
// the type of every image and label file, are read; anything else throws naming the file and the byte.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export interface IdxArray {
  /** The dimensions, e.g. [60000, 28, 28] for images or [60000] for labels. */
  shape: number[];
  /** The values, row-major: a view of the decompressed file (no copy). */
  data: Uint8Array;
}

const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = { 0x08: 'ubyte', 0x09: 'byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double' };
const MAX_VALUES = 2 ** 31 - 1;

/** Reads an IDX file (gzip or raw) of unsigned bytes. Throws, naming the file, on anything malformed. */
export function readIdx(file: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`readIdx: cannot read '${file}': ${(e as Error).message}`, { cause: e });
  }
  return parseIdx(bytes, file);
}

/** Parses IDX bytes (gzip or raw); `name` appears in errors. */
export function parseIdx(bytes: Uint8Array, name = '<buffer>'): IdxArray {
  const fail = (problem: string): never => {
    throw new Error(`readIdx: '${name}' is not a valid IDX file: ${problem}`);
  };
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      fail(`its gzip stream is damaged or truncated (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4) fail(`expected a 4-byte header (0x00 0x00 type ndims), but the file has ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`expected the magic to start with 0x00 0x00, but got 0x${hex(bytes[0])} 0x${hex(bytes[1])}`);
  }
  const type = bytes[2];
  if (type !== UBYTE) {
    const known = TYPE_NAMES[type] ? ` (${TYPE_NAMES[type]})` : ' (not an IDX type)';
    fail(`expected element type 0x08 (unsigned byte), but got 0x${hex(type)}${known}`);
  }
  const ndims = bytes[3];
  if (ndims < 1) fail('expected at least 1 dimension, but the header says 0');
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    fail(`expected ${headerBytes} header bytes for ${ndims} dimensions, but the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndims; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > MAX_VALUES) fail(`dimensions [${shape.join(', ')}] give ${count} values, more than 2^31-1`);
  const have = bytes.length - headerBytes;
  if (have < count) {
    fail(`dimensions [${shape.join(', ')}] need ${count} data bytes, but only ${have} follow the header (truncated)`);
  }
  if (have > count) fail(`dimensions [${shape.join(', ')}] need ${count} data bytes, but ${have} follow the header (trailing data)`);
  return { shape, data: bytes.subarray(headerBytes) };
}

/** Encodes bytes as an IDX file (raw; gzip it with zlib.gzipSync). */
export function encodeIdx(shape: readonly number[], data: Uint8Array): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new RangeError(`encodeIdx: shape [${shape.join(', ')}] needs ${count} bytes, but data has ${data.length}`);
  const out = new Uint8Array(4 + 4 * shape.length + count);
  out[2] = UBYTE;
  out[3] = shape.length;
  const view = new DataView(out.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
