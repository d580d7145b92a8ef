// A self-contained SVG line chart (no scripts, no external fonts): one panel per series group, e.g.
// training loss and test accuracy per epoch. It opens in any browser.

export interface PlotSeries {
  name: string;
  /** x values (e.g. epochs). */
  x: number[];
  y: number[];
  color?: string;
}

export interface PlotPanel {
  title: string;
  yLabel: string;
  /** The x axis's label (default 'epoch'). */
  xLabel?: string;
  series: PlotSeries[];
}

const PANEL_W = 420;
const PANEL_H = 260;
const MARGIN = { left: 56, right: 16, top: 34, bottom: 40 };
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd'];

/** Renders panels side by side as an SVG document. Non-finite points are left out. */
export function renderSvgPlot(panels: PlotPanel[], title = ''): string {
  const width = PANEL_W * Math.max(1, panels.length);
  const height = PANEL_H + (title ? 24 : 0);
  const top = title ? 24 : 0;
  const parts = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (title) parts.push(`<text x="${width / 2}" y="17" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`);
  panels.forEach((panel, i) => parts.push(renderPanel(panel, i * PANEL_W, top)));
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function renderPanel(panel: PlotPanel, ox: number, oy: number): string {
  const x0 = ox + MARGIN.left;
  const x1 = ox + PANEL_W - MARGIN.right;
  const y0 = oy + PANEL_H - MARGIN.bottom;
  const y1 = oy + MARGIN.top;
  const points = panel.series.flatMap((s) => s.x.map((x, j) => [x, s.y[j]]).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)));
  const [xmin, xmax] = niceRange(points.map((p) => p[0]));
  const [ymin, ymax] = niceRange(points.map((p) => p[1]));
  const sx = (x: number) => x0 + ((x - xmin) / (xmax - xmin)) * (x1 - x0);
  const sy = (y: number) => y0 - ((y - ymin) / (ymax - ymin)) * (y0 - y1);
  const out: string[] = [`<g>`, `<text x="${(x0 + x1) / 2}" y="${oy + 20}" text-anchor="middle" font-size="13">${escapeXml(panel.title)}</text>`];
  for (const t of ticks(ymin, ymax)) {
    out.push(`<line x1="${x0}" y1="${fmt(sy(t))}" x2="${x1}" y2="${fmt(sy(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x0 - 6}" y="${fmt(sy(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  for (const t of ticks(xmin, xmax)) {
    out.push(`<text x="${fmt(sx(t))}" y="${y0 + 15}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  out.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${(x0 + x1) / 2}" y="${y0 + 32}" text-anchor="middle">${escapeXml(panel.xLabel ?? 'epoch')}</text>`);
  out.push(`<text x="${ox + 14}" y="${(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 ${ox + 14} ${(y0 + y1) / 2})">${escapeXml(panel.yLabel)}</text>`);
  panel.series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const pts = s.x.map((x, j) => [x, s.y[j]]).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    if (pts.length > 1) {
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${fmt(sx(a))},${fmt(sy(b))}`).join(' ')}"/>`);
    }
    for (const [a, b] of pts) out.push(`<circle cx="${fmt(sx(a))}" cy="${fmt(sy(b))}" r="3" fill="${color}"><title>${escapeXml(s.name)}: ${formatTick(b)}</title></circle>`);
    out.push(`<text x="${x1 - 6}" y="${y1 + 14 + 14 * k}" text-anchor="end" fill="${color}">${escapeXml(s.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** [lo, hi] covering the values, never empty (a single value gets a margin). */
function niceRange(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-12) {
    const m = Math.abs(lo) > 1e-12 ? Math.abs(lo) * 0.1 : 1;
    return [lo - m, hi + m];
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  return [lo, hi];
}

function ticks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

function formatTick(v: number): string {
  return Number(v.toPrecision(4)).toString();
}

function fmt(v: number): string {
  return v.toFixed(1);
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
