// ATROUS_ADDON_PATH (lib/native/load-addon.ts): the compiled package loads exactly the .node file it
// names, which is how scripts/addon-sanitize.mjs runs the tests against the sanitized build, and a
// file that cannot be loaded is named in the error rather than silently replaced by build/Release.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const built = fs.existsSync(path.join(root, 'dist', 'index.js'));
const releaseAddon = path.join(root, 'build', 'Release', 'atrous.node');

/** Runs a conv in a new node process over dist/ and reports which atrous.node files the process mapped. */
function loadWith(addonPath: string): { mapped?: string[]; error?: string } {
  const script =
    'try { const at = require("."); at.conv1d(at.ones([1, 1, 4]), at.ones([1, 1, 2]));' +
    ' const maps = require("fs").readFileSync("/proc/self/maps", "utf8").split("\\n");' +
    ' const mapped = [...new Set(maps.filter((l) => l.endsWith(".node")).map((l) => l.slice(l.indexOf("/"))))];' +
    ' process.stdout.write(JSON.stringify({ mapped })) }' +
    ' catch (e) { process.stdout.write(JSON.stringify({ error: e.message })) }';
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, ATROUS_ADDON_PATH: addonPath }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { mapped?: string[]; error?: string };
}

describe.skipIf(!built || process.platform !== 'linux' || !fs.existsSync(releaseAddon))('ATROUS_ADDON_PATH', () => {
  it('loads the file it names and no other atrous.node', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrous-addon-path-'));
    try {
      const copy = path.join(dir, 'atrous.node');
      fs.copyFileSync(releaseAddon, copy);
      expect(loadWith(copy)).toEqual({ mapped: [fs.realpathSync(copy)] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file that does not load is named, with the reason', () => {
    const missing = path.join(os.tmpdir(), 'no-such-dir', 'atrous.node');
    const { error } = loadWith(missing);
    expect(error).toContain(`atrous: could not load ATROUS_ADDON_PATH=${missing} (`);
    expect(error).toContain('Cannot find module');
  });
});
