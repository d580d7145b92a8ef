// TensorBoard event files (lib/io/tensorboard.ts) against a reference written independently by Google's
// protobuf runtime with its own TFRecord framing (scripts/make-tensorboard-fixture.py).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, crc32c } from '../lib/io/crc';
import { encodePng } from '../lib/io/png';
import { encodeEvent, EventType, frameRecord, TensorBoardWriter, type EventFields } from '../lib/io/tensorboard';
import { readRecords } from './helpers/tfrecord';

const REFERENCE = path.join(__dirname, 'fixtures', 'tensorboard-reference.tfevents');
const IMAGE = { png: Uint8Array.from({ length: 16 }, (_, i) => i + 1), height: 2, width: 3, channels: 1 as const };

// The events the fixture script writes, in order.
const EVENTS: EventFields[] = [
  { wallTime: 1700000000.5, fileVersion: 'brain.Event:2' },
  { wallTime: 1700000001.25, step: 0, scalars: { 'train/loss': 2.3025851, 'train/lr': 0.002 } },
  { wallTime: 1700000002.0, step: 1, scalars: { 'train/loss': 2.1, 'train/lr': 0.0019999, 'train/throughput': 812.5 } },
  { wallTime: 1700000100.75, step: 250, scalars: { 'test/loss': 0.4375, 'test/accuracy': 0.875 } },
  { wallTime: 1700000101.0, step: 250, images: { 'test/samples': IMAGE } },
];

describe('TensorBoard event files', () => {
  it('CRC-32C and CRC-32 give the standard check values', () => {
    const check = Buffer.from('123456789');
    expect(crc32c(check)).toBe(0xe3069283);
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  });

  it('encodes events to the same bytes as the protobuf reference, framed the same', () => {
    const ours = Buffer.concat(EVENTS.map((e) => frameRecord(encodeEvent(e))));
    expect(ours.equals(fs.readFileSync(REFERENCE))).toBe(true);
  });

  it('the reference decodes to the events it was written from', () => {
    const decoded = readRecords(fs.readFileSync(REFERENCE)).map((r) => EventType.toObject(EventType.decode(r), { longs: Number, bytes: Array }));
    expect(decoded).toHaveLength(EVENTS.length);
    expect(decoded[0]).toEqual({ wallTime: 1700000000.5, fileVersion: 'brain.Event:2' });
    expect(decoded[2].step).toBe(1);
    const values = (decoded[2].summary as { value: { tag: string; simpleValue: number }[] }).value;
    expect(values.map((v) => v.tag)).toEqual(['train/loss', 'train/lr', 'train/throughput']);
    expect(values.map((v) => v.simpleValue)).toEqual([Math.fround(2.1), Math.fround(0.0019999), 812.5]);
    const image = (decoded[4].summary as { value: { image: Record<string, unknown> }[] }).value[0].image;
    expect(image).toEqual({ height: 2, width: 3, colorspace: 1, encodedImageString: Array.from(IMAGE.png) });
  });

  it('TensorBoardWriter writes the reference file for the same events and clock', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-tb-'));
    try {
      const clock = EVENTS.map((e) => e.wallTime);
      const writer = new TensorBoardWriter(dir, () => clock.shift()!);
      for (const e of EVENTS.slice(1)) {
        if (e.scalars) writer.addScalars(e.step!, e.scalars);
        if (e.images) writer.addImages(e.step!, e.images);
      }
      writer.close();
      expect(path.basename(writer.file)).toBe(`events.out.tfevents.1700000000.${os.hostname()}`);
      expect(fs.readFileSync(writer.file).equals(fs.readFileSync(REFERENCE))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('encodePng writes chunks whose CRCs zlib agrees with and pixels that inflate back', () => {
    const pixels = Uint8Array.from({ length: 3 * 5 }, (_, i) => i * 17);
    const png = encodePng(5, 3, 1, pixels);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const chunks: { type: string; data: Buffer }[] = [];
    for (let at = 8; at < png.length;) {
      const length = png.readUInt32BE(at);
      const typed = png.subarray(at + 4, at + 8 + length);
      expect(png.readUInt32BE(at + 8 + length)).toBe(zlib.crc32(typed));
      chunks.push({ type: typed.subarray(0, 4).toString('latin1'), data: typed.subarray(4) });
      at += 12 + length;
    }
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect([chunks[0].data.readUInt32BE(0), chunks[0].data.readUInt32BE(4), chunks[0].data[8], chunks[0].data[9]]).toEqual([5, 3, 8, 0]);
    const raw = zlib.inflateSync(chunks[1].data);
    const rows = [0, 1, 2].map((y) => Array.from(raw.subarray(y * 6, y * 6 + 6)));
    expect(rows).toEqual([0, 1, 2].map((y) => [0, ...Array.from(pixels.subarray(y * 5, y * 5 + 5))]));
    expect(() => encodePng(5, 3, 1, new Uint8Array(14))).toThrow(/encodePng: pixels expects 15 bytes \(3x5x1\), but got 14/);
  });
});
