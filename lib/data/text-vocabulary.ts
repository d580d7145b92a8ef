// Tokenizers for text models: characters (Unicode code points), bytes (UTF-8), or words (a capped
// vocabulary). Id 0 is padding and, for characters and words, id 1 stands for anything outside the
// vocabulary (OOV). A vocabulary is saved with the model (toJSON) so that generation and evaluation
// encode exactly as training did.
import { describeValue, isInteger } from '../core/shape-checks';

export type TokenKind = 'chars' | 'bytes' | 'words';

export const PAD_ID = 0;
export const OOV_ID = 1;

export interface VocabularyJson {
  kind: TokenKind;
  /** The tokens of ids 2, 3, ... (chars, words); empty for bytes. */
  tokens: string[];
}

export interface Encoded {
  ids: Int32Array;
  /** Distinct inputs that were not in the vocabulary (mapped to OOV), in order of first appearance. */
  unknown: string[];
}

/** Words and single punctuation marks, lowercased: "Don't panic!" → don't, panic, !. */
function splitWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)*|[^\s\p{L}\p{N}]/gu) ?? [];
}

export class TextVocabulary {
  readonly kind: TokenKind;
  readonly #tokens: string[];
  readonly #ids: Map<string, number>;

  private constructor(kind: TokenKind, tokens: string[]) {
    this.kind = kind;
    this.#tokens = tokens;
    this.#ids = new Map(tokens.map((t, i) => [t, i + 2]));
  }

  /** Ids in use: padding, OOV and the tokens (bytes: padding and 256 bytes). */
  get size(): number {
    return this.kind === 'bytes' ? 257 : this.#tokens.length + 2;
  }

  /** Bytes: every UTF-8 byte, nothing is out of vocabulary. */
  static bytes(): TextVocabulary {
    return new TextVocabulary('bytes', []);
  }

  /**
   * The most frequent characters or words of texts, at most maxSize ids in all (padding and OOV
   * included); ties by first appearance, so the same corpus always gives the same ids.
   */
  static fromTexts(kind: 'chars' | 'words', texts: readonly string[], opts: { maxSize?: number } = {}): TextVocabulary {
    const op = 'TextVocabulary.fromTexts';
    if (kind !== 'chars' && kind !== 'words') throw new RangeError(`${op}: kind expects 'chars' or 'words', but got ${describeValue(kind)}`);
    if (!Array.isArray(texts)) throw new TypeError(`${op}: texts expects an array of strings, but got ${describeValue(texts)}`);
    const maxSize = opts.maxSize ?? (kind === 'chars' ? 1000 : 20000);
    if (!isInteger(maxSize) || maxSize < 3) throw new RangeError(`${op}: opts.maxSize expects an integer >= 3, but got ${describeValue(maxSize)}`);
    const counts = new Map<string, number>();
    for (const [i, text] of texts.entries()) {
      if (typeof text !== 'string') throw new TypeError(`${op}: texts[${i}] expects a string, but got ${describeValue(text)}`);
      for (const t of kind === 'chars' ? Array.from(text) : splitWords(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    // Map iteration is insertion order, and the sort is stable: ties keep first appearance.
    const tokens = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, maxSize - 2).map(([t]) => t);
    return new TextVocabulary(kind, tokens);
  }

  static fromJSON(json: unknown): TextVocabulary {
    const op = 'TextVocabulary.fromJSON';
    const j = json as VocabularyJson;
    if (j === null || typeof j !== 'object' || !['chars', 'bytes', 'words'].includes(j.kind) || !Array.isArray(j.tokens) || j.tokens.some((t) => typeof t !== 'string')) {
      throw new TypeError(`${op}: expects { kind: 'chars' | 'bytes' | 'words', tokens: string[] }, but got ${describeValue(json)}`);
    }
    return new TextVocabulary(j.kind, [...j.tokens]);
  }

  toJSON(): VocabularyJson {
    return { kind: this.kind, tokens: [...this.#tokens] };
  }

  /** The token of an id ('' for padding, '\uFFFD' for OOV). */
  token(id: number): string {
    if (!isInteger(id) || id < 0 || id >= this.size) throw new RangeError(`TextVocabulary.token: id expects an integer in [0, ${this.size}), but got ${describeValue(id)}`);
    if (id === PAD_ID) return '';
    if (this.kind === 'bytes') return String.fromCharCode(id - 1);
    return id === OOV_ID ? '\uFFFD' : this.#tokens[id - 2];
  }

  encode(text: string): Encoded {
    if (typeof text !== 'string') throw new TypeError(`TextVocabulary.encode: text expects a string, but got ${describeValue(text)}`);
    if (this.kind === 'bytes') {
      const bytes = new TextEncoder().encode(text);
      const ids = new Int32Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) ids[i] = bytes[i] + 1;
      return { ids, unknown: [] };
    }
    const pieces = this.kind === 'chars' ? Array.from(text) : splitWords(text);
    const ids = new Int32Array(pieces.length);
    const unknown = new Set<string>();
    pieces.forEach((p, i) => {
      const id = this.#ids.get(p);
      if (id === undefined) unknown.add(p);
      ids[i] = id ?? OOV_ID;
    });
    return { ids, unknown: [...unknown] };
  }

  /** The text of ids (padding skipped; words joined by spaces; bytes decoded as UTF-8, invalid sequences as U+FFFD). */
  decode(ids: ArrayLike<number>): string {
    const kept = Array.from(ids).filter((id) => id !== PAD_ID);
    if (this.kind === 'bytes') return new TextDecoder().decode(Uint8Array.from(kept.map((id) => this.token(id).charCodeAt(0))));
    return kept.map((id) => this.token(id)).join(this.kind === 'words' ? ' ' : '');
  }
}
