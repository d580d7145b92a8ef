// Pictures of dense predictions on scenes, one SVG each: per sample a row of the input, the true mask
// and the predicted mask (segmentation), or the input with true boxes dashed and predicted boxes solid
// (detection); class colours and a legend. Images are embedded as PNG data (pixelated when enlarged).
import { encodePng } from '../io/png';
import type { Detection, LabelledBox } from '../metrics/detection';
import { escapeXml } from './svg';

/** Background black, then the ten tab10 colours. */
export const LABEL_COLOURS: readonly (readonly [number, number, number])[] = [
  [0, 0, 0], [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

const SCALE = 3;
const GAP = 10;
const TOP = 40;

export interface SceneSample {
  /** height × width bytes. */
  image: Uint8Array;
  height: number;
  width: number;
}

function pngHref(width: number, height: number, channels: 1 | 3, pixels: Uint8Array): string {
  return `data:image/png;base64,${encodePng(width, height, channels, pixels).toString('base64')}`;
}

function imageTag(x: number, y: number, w: number, h: number, href: string): string {
  return `<image x="${x}" y="${y}" width="${w * SCALE}" height="${h * SCALE}" href="${href}" style="image-rendering:pixelated" preserveAspectRatio="none"/>`;
}

function colourOf(label: number): string {
  const [r, g, b] = LABEL_COLOURS[label % LABEL_COLOURS.length];
  return `rgb(${r},${g},${b})`;
}

/** A label map (height × width labels) as RGB bytes in the label colours. */
export function colourMask(mask: ArrayLike<number>): Uint8Array {
  const rgb = new Uint8Array(mask.length * 3);
  for (let i = 0; i < mask.length; i++) rgb.set(LABEL_COLOURS[mask[i] % LABEL_COLOURS.length], 3 * i);
  return rgb;
}

function legend(names: readonly string[], y: number, colourIndex: (k: number) => number): string[] {
  return names.map((name, k) => {
    const x = 10 + (k % 6) * 110;
    const row = y + Math.floor(k / 6) * 16;
    return `<rect x="${x}" y="${row - 9}" width="10" height="10" fill="${colourOf(colourIndex(k))}" stroke="#888"/><text x="${x + 14}" y="${row}">${escapeXml(name)}</text>`;
  });
}

function document(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
  ].join('\n') + '\n';
}

/** Rows of input | true mask | predicted mask; labels: names of the mask values (0 = background). */
export function renderSegmentationSamples(samples: (SceneSample & { truth: ArrayLike<number>; predicted: ArrayLike<number> })[], labels: readonly string[], title: string): string {
  const { height: h, width: w } = samples[0];
  const cell = w * SCALE + GAP;
  const body: string[] = ['input', 'true mask', 'predicted mask'].map((t, k) => `<text x="${GAP + k * cell + (w * SCALE) / 2}" y="${TOP - 6}" text-anchor="middle">${t}</text>`);
  samples.forEach((s, r) => {
    const y = TOP + r * (h * SCALE + GAP);
    body.push(imageTag(GAP, y, w, h, pngHref(w, h, 1, s.image)));
    body.push(imageTag(GAP + cell, y, w, h, pngHref(w, h, 3, colourMask(s.truth))));
    body.push(imageTag(GAP + 2 * cell, y, w, h, pngHref(w, h, 3, colourMask(s.predicted))));
  });
  const legendTop = TOP + samples.length * (h * SCALE + GAP) + 12;
  const width = Math.max(GAP + 3 * cell, 670);
  body.push(...legend(labels, legendTop, (k) => k));
  return document(width, legendTop + 16 * Math.ceil(labels.length / 6) + 4, title, body);
}

function boxTag(b: LabelledBox, x: number, y: number, dashed: boolean, caption?: string): string {
  const colour = colourOf(b.label + 1); // class c is mask label c + 1
  const rect = `<rect x="${(x + b.x0 * SCALE).toFixed(1)}" y="${(y + b.y0 * SCALE).toFixed(1)}" width="${((b.x1 - b.x0) * SCALE).toFixed(1)}" height="${((b.y1 - b.y0) * SCALE).toFixed(1)}" fill="none" stroke="${colour}" stroke-width="2"${dashed ? ' stroke-dasharray="4 3"' : ''}/>`;
  return caption ? `${rect}<text x="${(x + b.x0 * SCALE + 2).toFixed(1)}" y="${(y + b.y0 * SCALE + 11).toFixed(1)}" fill="${colour}">${escapeXml(caption)}</text>` : rect;
}

/** Per sample: the input with true boxes (dashed) | the input with predicted boxes (solid, class and score); classes: names of labels 0…. */
export function renderDetectionSamples(samples: (SceneSample & { truth: LabelledBox[]; predicted: Detection[] })[], classes: readonly string[], title: string): string {
  const { height: h, width: w } = samples[0];
  const cell = w * SCALE + GAP;
  const body: string[] = ['true boxes', 'predicted boxes'].map((t, k) => `<text x="${GAP + k * cell + (w * SCALE) / 2}" y="${TOP - 6}" text-anchor="middle">${t}</text>`);
  samples.forEach((s, r) => {
    const y = TOP + r * (h * SCALE + GAP);
    const href = pngHref(w, h, 1, s.image);
    body.push(imageTag(GAP, y, w, h, href), ...s.truth.map((b) => boxTag(b, GAP, y, true)));
    body.push(imageTag(GAP + cell, y, w, h, href), ...s.predicted.map((d) => boxTag(d, GAP + cell, y, false, `${classes[d.label]} ${d.score.toFixed(2)}`)));
  });
  const legendTop = TOP + samples.length * (h * SCALE + GAP) + 12;
  body.push(...legend(classes, legendTop, (k) => k + 1));
  return document(Math.max(GAP + 2 * cell, 670), legendTop + 16 * Math.ceil(classes.length / 6) + 4, title, body);
}
