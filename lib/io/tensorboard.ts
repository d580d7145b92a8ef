// TensorBoard event files: Event protos (tensorflow/core/util/event.proto, summary.proto), encoded by
// protobufjs from the schema below, each in TFRecord framing (length, masked CRC-32C of the length,
// the record, masked CRC-32C of the record). `tensorboard --logdir DIR` reads the directory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as protobuf from 'protobufjs/light';
import { crc32c } from './crc';

// The parts of event.proto and summary.proto written here, with TensorFlow's field numbers.
const root = protobuf.Root.fromJSON({
  nested: {
    Event: {
      fields: { wallTime: { type: 'double', id: 1 }, step: { type: 'int64', id: 2 }, fileVersion: { type: 'string', id: 3 }, summary: { type: 'Summary', id: 5 } },
    },
    Summary: {
      fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
      nested: {
        Image: { fields: { height: { type: 'int32', id: 1 }, width: { type: 'int32', id: 2 }, colorspace: { type: 'int32', id: 3 }, encodedImageString: { type: 'bytes', id: 4 } } },
        Value: { fields: { tag: { type: 'string', id: 1 }, simpleValue: { type: 'float', id: 2 }, image: { type: 'Image', id: 4 } } },
      },
    },
  },
});
/** The Event message type (for reading files back, e.g. in tests). */
export const EventType = root.lookupType('Event');

/** A PNG and its size, for an image summary. */
export interface SummaryImage {
  png: Uint8Array;
  height: number;
  width: number;
  /** 1 gray, 3 RGB, 4 RGBA. */
  channels: 1 | 3 | 4;
}

export interface EventFields {
  /** Seconds since the epoch. */
  wallTime: number;
  step?: number;
  fileVersion?: string;
  scalars?: Record<string, number>;
  images?: Record<string, SummaryImage>;
}

/** The Event's bytes. Fields at their default (step 0, no summary) are left out, as protobuf's own encoders do. */
export function encodeEvent(e: EventFields): Uint8Array {
  const message: Record<string, unknown> = { wallTime: e.wallTime };
  if (e.step) message.step = e.step;
  if (e.fileVersion !== undefined) message.fileVersion = e.fileVersion;
  const value = [
    ...Object.entries(e.scalars ?? {}).map(([tag, simpleValue]) => ({ tag, simpleValue })),
    ...Object.entries(e.images ?? {}).map(([tag, im]) => ({
      tag, image: { height: im.height, width: im.width, colorspace: im.channels, encodedImageString: im.png },
    })),
  ];
  if (value.length > 0) message.summary = { value };
  return EventType.encode(EventType.fromObject(message)).finish();
}

/** TFRecord's CRC: CRC-32C rotated right by 15 bits plus a constant. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: uint64 length, masked CRC of those 8 bytes, the data, masked CRC of the data (little-endian). */
export function frameRecord(data: Uint8Array): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(BigInt(data.length), 0);
  head.writeUInt32LE(maskedCrc32c(head.subarray(0, 8)), 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([head, data, tail]);
}

/** Appends events to DIR/events.out.tfevents.<seconds>.<host>, each written through at once (so a run can be watched). */
export class TensorBoardWriter {
  readonly file: string;
  readonly #fd: number;
  private readonly now: () => number;

  constructor(dir: string, now: () => number = () => Date.now() / 1000) {
    this.now = now;
    fs.mkdirSync(dir, { recursive: true });
    const wallTime = now();
    this.file = path.join(dir, `events.out.tfevents.${Math.floor(wallTime)}.${os.hostname()}`);
    this.#fd = fs.openSync(this.file, 'a');
    this.write({ wallTime, fileVersion: 'brain.Event:2' });
  }

  addScalars(step: number, scalars: Record<string, number>): void {
    this.write({ wallTime: this.now(), step, scalars });
  }

  addImages(step: number, images: Record<string, SummaryImage>): void {
    this.write({ wallTime: this.now(), step, images });
  }

  close(): void {
    fs.closeSync(this.#fd);
  }

  private write(e: EventFields): void {
    fs.writeSync(this.#fd, frameRecord(encodeEvent(e)));
  }
}
