// Reads a TFRecord file back for tests, checking both masked CRCs of every record.
import { expect } from 'vitest';
import { maskedCrc32c } from '../../lib/io/tensorboard';

export function readRecords(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = Number(bytes.readBigUInt64LE(at));
    expect(bytes.readUInt32LE(at + 8), `length CRC of record ${out.length}`).toBe(maskedCrc32c(bytes.subarray(at, at + 8)));
    const data = bytes.subarray(at + 12, at + 12 + length);
    expect(bytes.readUInt32LE(at + 12 + length), `data CRC of record ${out.length}`).toBe(maskedCrc32c(data));
    out.push(data);
    at += 16 + length;
  }
  return out;
}
