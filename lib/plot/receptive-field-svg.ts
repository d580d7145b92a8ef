// The gridding picture: model.receptiveFieldMap() as an SVG heat map, one panel per model, side by side.
// Blue cells: input positions some path reaches (darker: more paths, log scale); red cells: holes inside
// the field that no path reaches; grey: outside the field. The caption names the conv dilations.
import type { PathCountMap } from '../nn/receptive-field';
import { escapeXml } from './svg';

export interface FieldPanel {
  title: string;
  map: PathCountMap;
}

const HOLE = '#e6550d';
const OUTSIDE = '#f0f0f0';
const LIGHT: [number, number, number] = [0xc6, 0xdb, 0xef];
const DARK: [number, number, number] = [0x08, 0x30, 0x6b];
const MARGIN = 24;
const CAPTION_LINES = 3;
const LINE = 16;
/** Room for the caption lines under a small grid, and for the legend below all panels. */
const PANEL_MIN = 340;
const LEGEND_WIDTH = 560;

/** "dilations 2, 2, 2" from the conv layers of the map's chain ("(2, 1)" where the axes differ). */
export function describeDilations(map: PathCountMap): string {
  const rates = map.layers
    .filter((l) => l.type.includes('Conv'))
    .map((l) => (l.step.dilation.every((d) => d === l.step.dilation[0]) ? String(l.step.dilation[0]) : `(${l.step.dilation.join(', ')})`));
  return rates.length > 0 ? `dilations ${rates.join(', ')}` : 'no conv layers';
}

/** The panels side by side with one legend; every panel draws its cells at the same size. */
export function renderReceptiveFieldSvg(panels: FieldPanel[], title = ''): string {
  if (panels.length === 0) throw new RangeError('renderReceptiveFieldSvg: panels expects at least one map, but got none');
  const grids = panels.map((p) => gridOf(p.map));
  const longest = Math.max(...grids.map((g) => Math.max(g.rows, g.cols)));
  const cell = Math.max(3, Math.min(24, Math.floor(320 / longest)));
  const panelWidths = grids.map((g) => Math.max(g.cols * cell, PANEL_MIN) + 2 * MARGIN);
  const gridHeight = Math.max(...grids.map((g) => (g.rows === 1 ? 2 * cell : g.rows * cell)));
  const top = title ? 30 : 8;
  const height = top + gridHeight + MARGIN + CAPTION_LINES * LINE + 44;
  const panelsWidth = panelWidths.reduce((a, b) => a + b, 0);
  const width = Math.max(panelsWidth, LEGEND_WIDTH + 2 * MARGIN);
  const parts = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (title) parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`);
  let x = (width - panelsWidth) / 2;
  panels.forEach((panel, i) => {
    parts.push(renderPanel(panel, grids[i], cell, x, top, panelWidths[i], gridHeight));
    x += panelWidths[i];
  });
  parts.push(renderLegend(MARGIN, height - 22));
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

interface Grid {
  rows: number;
  cols: number;
}

function gridOf(map: PathCountMap): Grid {
  return map.size.length === 1 ? { rows: 1, cols: map.size[0] } : { rows: map.size[0], cols: map.size[1] };
}

function renderPanel(panel: FieldPanel, grid: Grid, cell: number, ox: number, oy: number, width: number, gridHeight: number): string {
  const { map } = panel;
  const cellH = grid.rows === 1 ? 2 * cell : cell;
  const x0 = ox + (width - grid.cols * cell) / 2;
  const y0 = oy + MARGIN;
  const inBox = (r: number, c: number) => (grid.rows === 1 ? [c] : [r, c]).every((v, a) => v >= map.start[a] && v < map.end[a]);
  const out = [`<g>`];
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      const paths = map.counts[r * grid.cols + c];
      const fill = paths > 0 ? heatColour(paths, map.maxCount) : inBox(r, c) ? HOLE : OUTSIDE;
      const where = grid.rows === 1 ? `${c}` : `${r}, ${c}`;
      out.push(`<rect x="${x0 + c * cell}" y="${y0 + r * cellH}" width="${cell}" height="${cellH}" fill="${fill}" stroke="#ffffff" stroke-width="${cell >= 8 ? 1 : 0}"><title>(${where}): ${paths} path${paths === 1 ? '' : 's'}</title></rect>`);
    }
  }
  const field = map.start.map((s, a) => map.end[a] - s).join('×');
  const lines = [
    panel.title,
    `${describeDilations(map)}: field ${field}, ${map.holes === 0 ? 'no holes' : `${map.holes} hole${map.holes === 1 ? '' : 's'} (no path)`}`,
    `from output (${map.output.join(', ')}) of ${map.outputSize.join('×')}: up to ${map.maxCount} paths per input`,
  ];
  const cy = y0 + gridHeight + 20;
  lines.forEach((line, k) => out.push(`<text x="${ox + width / 2}" y="${cy + k * LINE}" text-anchor="middle"${k === 0 ? ' font-size="14"' : ''}>${escapeXml(line)}</text>`));
  out.push('</g>');
  return out.join('\n');
}

/** Light to dark blue by log(paths) / log(max): one path is light, the most-travelled cell dark. */
function heatColour(paths: number, max: number): string {
  const t = max > 1 ? Math.log(paths) / Math.log(max) : 1;
  const rgb = LIGHT.map((l, i) => Math.round(l + (DARK[i] - l) * t));
  return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function renderLegend(x: number, y: number): string {
  const swatch = (sx: number, fill: string, label: string) =>
    `<rect x="${sx}" y="${y - 10}" width="12" height="12" fill="${fill}" stroke="#999"/><text x="${sx + 16}" y="${y}">${escapeXml(label)}</text>`;
  const steps = 8;
  const bar = Array.from({ length: steps }, (_, k) => `<rect x="${x + 300 + 10 * k}" y="${y - 10}" width="10" height="12" fill="${heatColour(Math.exp(k / (steps - 1)), Math.E)}"/>`);
  return [
    swatch(x, HOLE, 'hole: no path'),
    swatch(x + 120, OUTSIDE, 'outside the field'),
    `<text x="${x + 296}" y="${y}" text-anchor="end">1 path</text>`,
    ...bar,
    `<text x="${x + 304 + 10 * steps}" y="${y}">most paths (log scale)</text>`,
  ].join('\n');
}
