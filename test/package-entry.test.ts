// The built package (dist/, made by `npm install`'s prepare or `npm run build:ts`) loads in a plain
// Node process from CommonJS and from ESM, with the same named exports as lib/index.ts.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as lib from '../lib';

const root = path.resolve(__dirname, '..');
const built = existsSync(path.join(root, 'dist', 'index.js')) && existsSync(path.join(root, 'dist', 'index.mjs'));
const stale = 'dist/ is out of date with lib/: run `npm run build:ts`';

/** Runs a snippet in a fresh Node process at the package root; it prints JSON. */
function nodeJson(args: string[]): unknown {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }));
}

const report = 'JSON.stringify({ names: Object.keys(at).filter((n) => n !== "default" && n !== "__esModule").sort(), ' +
  'shape: at.tensor([[1, 2], [3, 4]]).shape, conv2d: typeof at.conv2d })';

describe.skipIf(!built)('package entry (dist/)', () => {
  const expected = { names: Object.keys(lib).sort(), shape: [2, 2], conv2d: 'function' };

  it("require('atrous')", () => {
    expect(nodeJson(['-e', `const at = require('atrous'); console.log(${report})`]), stale).toEqual(expected);
  });

  it("import * as at from 'atrous'", () => {
    expect(nodeJson(['--input-type=module', '-e', `import * as at from 'atrous'; console.log(${report})`]), stale).toEqual(expected);
  });
});
