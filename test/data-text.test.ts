// Text data: tokenizers, the labelled-text readers (TSV, CSV, JSONL) and their errors, the label set,
// the stratified split, the batchers, and the fortunes corpus. Expected values are written out here
// from the file contents, not taken from the code.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FORTUNE_CATEGORIES, FORTUNES_DIR, readFortunes } from '../lib/data/fortunes';
import { LabelSet, readLabelledText, splitExamples } from '../lib/data/labelled-text';
import { TextLoader, languageModelEpoch } from '../lib/data/text-batches';
import { OOV_ID, PAD_ID, TextVocabulary } from '../lib/data/text-vocabulary';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-text-'));
function file(name: string, content: string | Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

describe('TextVocabulary', () => {
  it('characters: most frequent first (ties by first appearance), OOV for the rest, reported once each', () => {
    const v = TextVocabulary.fromTexts('chars', ['abca', 'cé']);
    // a:2, c:2 (a first), b:1, é:1 → ids 2, 3, 4, 5.
    expect([...v.encode('aécb').ids]).toEqual([2, 5, 3, 4]);
    const e = v.encode('zaz€');
    expect([...e.ids]).toEqual([OOV_ID, 2, OOV_ID, OOV_ID]);
    expect(e.unknown).toEqual(['z', '€']);
    expect(v.decode([PAD_ID, 3, 2, PAD_ID])).toBe('ca');
    expect(v.size).toBe(6);
    const capped = TextVocabulary.fromTexts('chars', ['aaabbc'], { maxSize: 4 });
    expect([...capped.encode('abc').ids]).toEqual([2, 3, OOV_ID]);
    expect(TextVocabulary.fromJSON(JSON.parse(JSON.stringify(v))).encode('aécb').ids).toEqual(v.encode('aécb').ids);
  });

  it('bytes: UTF-8 bytes + 1, nothing unknown, decode inverts encode', () => {
    const v = TextVocabulary.bytes();
    expect([...v.encode('aé').ids]).toEqual([0x61 + 1, 0xc3 + 1, 0xa9 + 1]);
    expect(v.decode(v.encode('naïve ✓').ids)).toBe('naïve ✓');
    expect(v.size).toBe(257);
  });

  it('words: lowercased words and punctuation, capped', () => {
    const v = TextVocabulary.fromTexts('words', ["Don't panic! Don't.", 'panic now']);
    // don't:2, panic:2, !:1, .:1, now:1
    expect(v.decode(v.encode("DON'T panic, now!").ids)).toBe("don't panic \uFFFD now !");
    expect(v.encode('zebra').unknown).toEqual(['zebra']);
  });

  it('rejects bad arguments', () => {
    expect(() => TextVocabulary.fromTexts('lines' as 'chars', [])).toThrow(/^TextVocabulary.fromTexts: kind expects 'chars' or 'words'/);
    expect(() => TextVocabulary.fromTexts('chars', ['a', 3 as unknown as string])).toThrow(/texts\[1\] expects a string/);
    expect(() => TextVocabulary.fromTexts('chars', [], { maxSize: 2 })).toThrow(/opts.maxSize expects an integer >= 3/);
    expect(() => TextVocabulary.fromJSON({ kind: 'x' })).toThrow(/^TextVocabulary.fromJSON: expects/);
    expect(() => TextVocabulary.bytes().token(257)).toThrow(/id expects an integer in \[0, 257\)/);
  });
});

describe('readLabelledText', () => {
  it('reads TSV, CSV (quoted commas and newlines, optional header) and JSONL', () => {
    const tsv = readLabelledText(file('a.tsv', 'pos\tgreat film\r\n\nneg\tdull, slow\tlong\n'));
    expect(tsv.map((e) => [e.label, e.text, e.source.split(':').pop()])).toEqual([['pos', 'great film', '1'], ['neg', 'dull, slow\tlong', '3']]);
    const csv = readLabelledText(file('a.csv', 'label,text\npos,"great, truly"\nneg,"two\nlines"\nneg,plain\n'));
    expect(csv.map((e) => [e.label, e.text, e.source.split(':').pop()])).toEqual([['pos', 'great, truly', '2'], ['neg', 'two\nlines', '3'], ['neg', 'plain', '5']]);
    const jsonl = readLabelledText(file('a.jsonl', '{"label":"pos","text":"ok"}\n{"label":3,"text":"x"}\n'));
    expect(jsonl.map((e) => [e.label, e.text])).toEqual([['pos', 'ok'], ['3', 'x']]);
  });

  it('names the file and line of what is wrong', () => {
    expect(() => readLabelledText(file('e.tsv', ''))).toThrow(/e\.tsv is empty/);
    const latin1 = Uint8Array.from([...Buffer.from('pos\tok\nneg\tcaf'), 0xe9, 0x0a]);
    expect(() => readLabelledText(file('l.tsv', latin1))).toThrow(/l\.tsv:2 is not valid UTF-8/);
    expect(() => readLabelledText(file('t.tsv', 'pos\tok\nno tab here\n'))).toThrow(/t\.tsv:2: expected label<TAB>text, but the line has no tab/);
    expect(() => readLabelledText(file('n.tsv', '\tno label\n'))).toThrow(/n\.tsv:1: the line has no label/);
    expect(() => readLabelledText(file('x.tsv', 'pos\t  \n'))).toThrow(/x\.tsv:1: the line has no text/);
    expect(() => readLabelledText(file('j.jsonl', '{"label":"a","text":"b"}\n{oops}\n'))).toThrow(/j\.jsonl:2: not valid JSON/);
    expect(() => readLabelledText(file('k.jsonl', '{"text":"b"}\n'))).toThrow(/k\.jsonl:1: the line has no label/);
    expect(() => readLabelledText(file('c.csv', 'a,b,c\n'))).toThrow(/c\.csv:1: expected 2 fields/);
    expect(() => readLabelledText(file('b.tsv', '\n\n'))).toThrow(/has no examples/);
    expect(() => readLabelledText(file('d.doc', 'a\tb\n'))).toThrow(/cannot tell the format of .*d\.doc/);
    expect(() => readLabelledText(path.join(dir, 'missing.tsv'))).toThrow(/cannot read .*missing\.tsv/);
  });
});

describe('labels, split and batches', () => {
  const examples = ['a', 'b', 'a', 'c', 'a', 'b', 'a', 'a', 'b', 'c'].map((label, i) => ({ label, text: `t${i}`, source: `f:${i + 1}` }));

  it('LabelSet: sorted names; an unseen label throws naming where', () => {
    const labels = LabelSet.fromExamples(examples);
    expect(labels.names).toEqual(['a', 'b', 'c']);
    expect([...labels.ids(examples.slice(0, 4))]).toEqual([0, 1, 0, 2]);
    expect(() => labels.ids([{ label: 'd', text: 'x', source: 'test.tsv:7' }])).toThrow(/test\.tsv:7: label 'd' was not seen at training time \(known: a, b, c\)/);
  });

  it('splitExamples keeps each label\'s share and is a function of the seed', () => {
    const { train, test } = splitExamples(examples, 0.4, 1);
    const count = (xs: typeof examples, l: string) => xs.filter((e) => e.label === l).length;
    expect([count(test, 'a'), count(test, 'b'), count(test, 'c')]).toEqual([2, 1, 1]); // round(0.4·5), round(0.4·3), round(0.4·2)
    expect(train.length + test.length).toBe(10);
    expect(new Set([...train, ...test]).size).toBe(10);
    expect(splitExamples(examples, 0.4, 1).test).toEqual(test);
  });

  it('TextLoader pads to the batch\'s longest, cuts at maxLength, keeps labels aligned', () => {
    const texts = [Int32Array.of(5, 6, 7), Int32Array.of(8), Int32Array.of(2, 3, 4, 5, 6, 7)];
    const loader = new TextLoader(texts, Int32Array.of(0, 1, 2), { batchSize: 2, maxLength: 4 });
    const [b0, b1] = [...loader.epoch(0)];
    expect([b0.batch, b0.length, [...b0.lengths], [...b0.tokens], [...b0.labels!]]).toEqual([2, 3, [3, 1], [5, 6, 7, 8, 0, 0], [0, 1]]);
    expect([b1.batch, b1.length, [...b1.tokens], [...b1.labels!]]).toEqual([1, 4, [2, 3, 4, 5], [2]]);
    const shuffled = new TextLoader(texts, Int32Array.of(0, 1, 2), { batchSize: 3, maxLength: 9, shuffle: true, seed: 4 });
    const [s] = [...shuffled.epoch(0)];
    const first = s.tokens.subarray(0, s.length);
    expect(s.labels![0]).toBe(texts.findIndex((t) => t[0] === first[0]));
    expect(() => new TextLoader(texts, Int32Array.of(0), { batchSize: 2, maxLength: 4 })).toThrow(/labels expects 3 ids/);
    expect(() => new TextLoader(texts, null, { batchSize: 0, maxLength: 4 })).toThrow(/opts.batchSize expects an integer >= 1/);
  });

  it('languageModelEpoch: targets are the inputs shifted by one', () => {
    const stream = Int32Array.from({ length: 23 }, (_, i) => 100 + i);
    const batches = [...languageModelEpoch(stream, { batchSize: 2, length: 5, seed: 1, epoch: 0 })];
    expect(batches.length).toBe(2); // 4 windows of 5 (+1 target)
    for (const b of batches) for (let i = 0; i < b.inputs.length; i++) expect(b.targets[i]).toBe(b.inputs[i] + 1);
    const starts = batches.flatMap((b) => [b.inputs[0], b.inputs[5]]).sort();
    expect(starts).toEqual([100, 105, 110, 115]);
    expect(() => [...languageModelEpoch(Int32Array.of(1, 2), { batchSize: 1, length: 5, epoch: 0 })]).toThrow(/fewer than one window/);
  });
});

describe('readFortunes (Debian\'s fortunes package, installed by .ci/run)', () => {
  it('splits each category file at its "%" lines', () => {
    expect(fs.existsSync(FORTUNES_DIR), `${FORTUNES_DIR} missing: apt-get install fortunes`).toBe(true);
    const all = readFortunes();
    expect(new Set(all.map((e) => e.label))).toEqual(new Set(DEFAULT_FORTUNE_CATEGORIES));
    // Independent count: entries are the non-blank runs between lines that are exactly "%".
    const raw = fs.readFileSync(path.join(FORTUNES_DIR, 'food'), 'utf8').split('\n');
    let entries = 0;
    let inEntry = false;
    for (const line of raw) {
      if (line === '%') inEntry = false;
      else if (!inEntry && line.trim() !== '') [entries, inEntry] = [entries + 1, true];
    }
    const food = all.filter((e) => e.label === 'food');
    expect(food.length).toBe(entries);
    expect(food.every((e) => !/^%$/m.test(e.text) && e.text.trim() !== '')).toBe(true);
    expect(() => readFortunes({ categories: ['nope'] })).toThrow(/no category 'nope'/);
    expect(() => readFortunes({ dir: path.join(dir, 'none') })).toThrow(/apt-get install fortunes/);
  });
});
