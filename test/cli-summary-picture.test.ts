// `atrous summary --picture`: the SVG heat map of receptiveFieldMap, one panel per model, holes drawn in
// their own colour; the committed docs picture is what the command writes today.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../lib/cli/main';

const HOLE_FILL = 'fill="#e6550d"';
const DOCS_PICTURE = path.join(__dirname, '..', 'docs', 'gridding-2-2-2-vs-1-2-5.svg');

async function run(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(args, (l) => lines.push(l));
  return { code, lines };
}

/** Per panel (split at its title), the cells: how many are holes and how many reached (blue). */
function panelCells(svg: string): { holes: number; reached: number }[] {
  return svg.split(/<g>/).slice(1).map((panel) => {
    const cells = panel.match(/<rect [^>]*><title>\([^)]*\): (\d+) paths?<\/title><\/rect>/g) ?? [];
    return {
      holes: cells.filter((c) => c.includes(HOLE_FILL)).length,
      reached: cells.filter((c) => !/: 0 paths/.test(c)).length,
    };
  });
}

describe('atrous summary --picture', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-picture-'));

  it('draws 2,2,2 with 120 holes in its 13×13 field beside 1,2,5 with none, and warns about 2,2,2 only', async () => {
    const file = path.join(dir, 'grid.svg');
    const { code, lines } = await run(['summary', '--dilations', '2,2,2', '--dilations', '1,2,5', '--picture', file]);
    expect(code).toBe(0);
    expect(lines.join('\n').split('\n').filter((l) => l.startsWith('Warning:'))).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/Warning: layers '0', '2', '4' all use dilation 2×2/);
    const svg = fs.readFileSync(file, 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(panelCells(svg)).toEqual([{ holes: 120, reached: 49 }, { holes: 0, reached: 17 * 17 }]);
    expect(svg).toContain('dilations 2, 2, 2: field 13×13, 120 holes (no path)');
    expect(svg).toContain('dilations 1, 2, 5: field 17×17, no holes');
    // The picture in docs/ and the README is this command's output.
    expect(svg).toBe(fs.readFileSync(DOCS_PICTURE, 'utf8'));
  });

  it("draws a task's model (the fashion-mnist CNN: dilations 1, 2, 1, 2 between pools, no holes)", async () => {
    const file = path.join(dir, 'fm.svg');
    expect((await run(['summary', '--picture', file])).code).toBe(0);
    const svg = fs.readFileSync(file, 'utf8');
    expect(svg).toContain('dilations 1, 2, 1, 2: field 22×22, no holes');
    expect(panelCells(svg)).toEqual([{ holes: 0, reached: 22 * 22 }]);
  });

  it('refuses --task with --dilations and a rate that is not an integer >= 1', async () => {
    expect((await run(['summary', '--task', 'adding', '--dilations', '1,2'])).code).toBe(2);
    expect((await run(['summary', '--dilations', '1,0'])).code).toBe(2);
    expect((await run(['summary', '--dilations', '2,x'])).code).toBe(2);
  });
});
