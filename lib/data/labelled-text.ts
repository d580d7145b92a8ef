// The user's own labelled text: `label<TAB>text` (.tsv, .txt), `label,text` (.csv, RFC 4180 quoting,
// an optional `label,text` header) or JSON lines `{"label": ..., "text": ...}` (.jsonl, .ndjson), in
// UTF-8. Every malformed line is reported with its file and line number, and nothing is returned.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describeValue } from '../core/shape-checks';
import { shuffleInPlace, splitmix32 } from './loader';

export interface LabelledText {
  label: string;
  text: string;
  /** Where it came from: "file:line". */
  source: string;
}

export type TextFormat = 'tsv' | 'csv' | 'jsonl';

const FORMATS: Record<string, TextFormat> = { '.tsv': 'tsv', '.txt': 'tsv', '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/** The line (1-based) of the first byte that is not valid UTF-8, or 0 when all of it is. */
function firstInvalidUtf8Line(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      decoder.decode(bytes.subarray(start, end)); // a newline byte never sits inside a multi-byte sequence
    } catch {
      return line;
    }
    start = end + 1;
  }
  return 0;
}

/** Reads a whole file as UTF-8 text, saying where it is not. */
export function readUtf8(file: string, op: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${op}: cannot read ${file}: ${(e as Error).message}`);
  }
  if (bytes.length === 0) throw new Error(`${op}: ${file} is empty`);
  const bad = firstInvalidUtf8Line(bytes);
  if (bad > 0) throw new Error(`${op}: ${file}:${bad} is not valid UTF-8 (save the file as UTF-8)`);
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/** The labelled examples of a .tsv/.txt, .csv or .jsonl file (format from the extension unless given). */
export function readLabelledText(file: string, opts: { format?: TextFormat } = {}): LabelledText[] {
  const op = 'readLabelledText';
  if (typeof file !== 'string' || file === '') throw new TypeError(`${op}: file expects a path, but got ${describeValue(file)}`);
  const format = opts.format ?? FORMATS[path.extname(file).toLowerCase()];
  if (!format) throw new Error(`${op}: cannot tell the format of ${file} from its extension (expected ${Object.keys(FORMATS).join(', ')}, or pass --format tsv|csv|jsonl)`);
  const text = readUtf8(file, op);
  const examples = format === 'csv' ? readCsv(file, text) : readLines(file, text, format);
  if (examples.length === 0) throw new Error(`${op}: ${file} has no examples (only blank lines)`);
  return examples;
}

function readLines(file: string, text: string, format: 'tsv' | 'jsonl'): LabelledText[] {
  const op = 'readLabelledText';
  const out: LabelledText[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let label: unknown;
    let body: unknown;
    if (format === 'tsv') {
      const tab = line.indexOf('\t');
      if (tab < 0) throw new Error(`${op}: ${where}: expected label<TAB>text, but the line has no tab`);
      [label, body] = [line.slice(0, tab).trim(), line.slice(tab + 1)];
    } else {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (e) {
        throw new Error(`${op}: ${where}: not valid JSON (${(e as Error).message})`);
      }
      if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new Error(`${op}: ${where}: expected an object {"label", "text"}, but got ${describeValue(record)}`);
      ({ label, text: body } = record as { label: unknown; text: unknown });
      if (typeof label === 'number') label = String(label);
    }
    out.push(checkExample(where, label, body));
  });
  return out;
}

function readCsv(file: string, text: string): LabelledText[] {
  const op = 'readLabelledText';
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(text, { info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new Error(`${op}: ${file}${err.lines ? `:${err.lines}` : ''}: not valid CSV (${err.message})`);
  }
  const out: LabelledText[] = [];
  records.forEach(({ record, info }, i) => {
    // info.lines is the record's last line; a quoted field may span several.
    const where = `${file}:${info.lines - record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0)}`;
    if (i === 0 && record.length === 2 && record[0].trim().toLowerCase() === 'label' && record[1].trim().toLowerCase() === 'text') return;
    if (record.length !== 2) throw new Error(`${op}: ${where}: expected 2 fields (label,text; quote a text that holds commas), but got ${record.length}`);
    out.push(checkExample(where, record[0].trim(), record[1]));
  });
  return out;
}

function checkExample(where: string, label: unknown, text: unknown): LabelledText {
  const op = 'readLabelledText';
  if (typeof label !== 'string' || label === '') throw new Error(`${op}: ${where}: the line has no label`);
  if (typeof text !== 'string' || text.trim() === '') throw new Error(`${op}: ${where}: the line has no text`);
  return { label, text, source: where };
}

/** Class names ↔ ids, fixed at training time (sorted names) and saved with the model. */
export class LabelSet {
  readonly names: readonly string[];
  readonly #ids: Map<string, number>;

  constructor(names: readonly string[]) {
    this.names = [...names];
    this.#ids = new Map(this.names.map((n, i) => [n, i]));
  }

  static fromExamples(examples: readonly LabelledText[]): LabelSet {
    return new LabelSet([...new Set(examples.map((e) => e.label))].sort());
  }

  /** The id of each example's label; a label not seen at training time throws, naming where it is. */
  ids(examples: readonly LabelledText[]): Int32Array {
    return Int32Array.from(examples, (e) => {
      const id = this.#ids.get(e.label);
      if (id === undefined) throw new Error(`labels: ${e.source}: label '${e.label}' was not seen at training time (known: ${this.names.join(', ')})`);
      return id;
    });
  }
}

/** A seeded split that keeps each label's share: every label contributes round(testFraction · count) examples to test. */
export function splitExamples<T extends { label: string }>(examples: readonly T[], testFraction: number, seed: number): { train: T[]; test: T[] } {
  const op = 'splitExamples';
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`${op}: testFraction expects a number in (0, 1), but got ${describeValue(testFraction)}`);
  const byLabel = new Map<string, number[]>();
  examples.forEach((e, i) => byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), i]));
  const train: number[] = [];
  const test: number[] = [];
  for (const [label, idx] of [...byLabel.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const order = shuffleInPlace(Int32Array.from(idx), splitmix32(seed * 31 + label.length * 7919 + idx.length));
    const nTest = Math.round(testFraction * order.length);
    order.forEach((v, k) => (k < nTest ? test : train).push(v));
  }
  const pick = (ids: number[]) => ids.sort((a, b) => a - b).map((i) => examples[i]);
  return { train: pick(train), test: pick(test) };
}
