// A confusion matrix as an SVG: rows are the true classes, columns the predicted ones, each cell
// shaded by the share of its row (so small classes read as clearly as large ones) and labelled with
// its count. The diagonal is what the model got right.
import { escapeXml } from './svg';

export interface ConfusionMatrix {
  /** Class names, in id order. */
  names: readonly string[];
  /** counts[t * C + p]: examples of true class t predicted as p. */
  counts: Int32Array;
}

/** Adds one batch of predictions to a C×C count matrix. */
export function countConfusions(matrix: ConfusionMatrix, truth: ArrayLike<number>, predicted: ArrayLike<number>): void {
  const c = matrix.names.length;
  for (let i = 0; i < truth.length; i++) matrix.counts[truth[i] * c + predicted[i]]++;
}

export function renderConfusionMatrix(matrix: ConfusionMatrix, title: string): string {
  const { names, counts } = matrix;
  const c = names.length;
  const cell = Math.max(22, Math.min(48, Math.floor(520 / c)));
  const labelWidth = 8 + 7 * Math.max(...names.map((n) => n.length), 4);
  const left = labelWidth + 24;
  const top = 64;
  const width = left + c * cell + 20;
  const height = top + c * cell + labelWidth + 30;
  const parts: string[] = [];
  parts.push('<?xml version="1.0" encoding="UTF-8"?>');
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`);
  parts.push(`<text x="${left + (c * cell) / 2}" y="44" text-anchor="middle">predicted</text>`);
  parts.push(`<text x="14" y="${top + (c * cell) / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + (c * cell) / 2})">true</text>`);
  for (let t = 0; t < c; t++) {
    let rowTotal = 0;
    for (let p = 0; p < c; p++) rowTotal += counts[t * c + p];
    parts.push(`<text x="${left - 6}" y="${top + t * cell + cell / 2 + 4}" text-anchor="end">${escapeXml(names[t])}</text>`);
    for (let p = 0; p < c; p++) {
      const n = counts[t * c + p];
      const share = rowTotal > 0 ? n / rowTotal : 0;
      // Right answers in green, confusions in red; the shade is the row's share.
      const [r, g, b] = t === p ? [44, 160, 44] : [214, 39, 40];
      const mix = (v: number) => Math.round(255 - (255 - v) * share);
      const x = left + p * cell;
      const y = top + t * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${mix(r)},${mix(g)},${mix(b)})" stroke="#ddd"/>`);
      if (n > 0) parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${share > 0.6 ? 'white' : 'black'}">${n}</text>`);
    }
  }
  for (let p = 0; p < c; p++) {
    const x = left + p * cell + cell / 2 + 4;
    const y = top + c * cell + 8;
    parts.push(`<text x="${x}" y="${y}" text-anchor="end" transform="rotate(-60 ${x} ${y})">${escapeXml(names[p])}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
