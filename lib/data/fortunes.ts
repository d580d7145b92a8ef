// The demo text corpus: Debian's fortunes package (/usr/share/games/fortunes, `apt-get install
// fortunes`). Each file is a category and its entries are separated by lines holding only "%":
// quote-topic classification, and plain text for the character language model.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LabelledText } from './labelled-text';
import { readUtf8 } from './labelled-text';

export const FORTUNES_DIR = '/usr/share/games/fortunes';

/** Categories with enough distinct prose for a topic classifier (not ASCII art, not one-liners lists). */
export const DEFAULT_FORTUNE_CATEGORIES = ['computers', 'food', 'law', 'linux', 'love', 'medicine', 'politics', 'science', 'sports', 'startrek'];

/** The entries of the given categories (default: DEFAULT_FORTUNE_CATEGORIES) as labelled examples. */
export function readFortunes(opts: { dir?: string; categories?: readonly string[] } = {}): LabelledText[] {
  const op = 'readFortunes';
  const dir = opts.dir ?? FORTUNES_DIR;
  if (!fs.existsSync(dir)) throw new Error(`${op}: ${dir} does not exist: install Debian's fortunes package (apt-get install fortunes), or pass --data FILE.tsv`);
  const categories = opts.categories ?? DEFAULT_FORTUNE_CATEGORIES;
  const out: LabelledText[] = [];
  for (const category of categories) {
    const file = path.join(dir, category);
    if (!fs.existsSync(file)) throw new Error(`${op}: no category '${category}' in ${dir}`);
    let line = 1;
    for (const entry of readUtf8(file, op).split(/^%\r?\n/m)) {
      const text = entry.replace(/\s+$/, '');
      if (text.trim() !== '') out.push({ label: category, text, source: `${file}:${line}` });
      line += entry.split('\n').length;
    }
  }
  return out;
}
