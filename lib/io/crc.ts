// Reflected CRC-32 over bytes, by table: CRC-32 (PNG chunks, polynomial 0xEDB88320) and CRC-32C
// (Castagnoli, TFRecord framing, 0x82F63B78). Check values for "123456789": 0xCBF43926 and 0xE3069283.

function makeTable(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

function crcWith(table: Uint32Array, bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const CRC32_TABLE = makeTable(0xedb88320);
const CRC32C_TABLE = makeTable(0x82f63b78);

export const crc32 = (bytes: Uint8Array): number => crcWith(CRC32_TABLE, bytes);
export const crc32c = (bytes: Uint8Array): number => crcWith(CRC32C_TABLE, bytes);
