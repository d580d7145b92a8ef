// Writes that a crash cannot tear: the bytes go to a temp file in the target's folder, are fsynced, then
// renamed over the target, so a kill at any moment leaves the old file or the new one, never a mix.
// A process killed mid-write leaves its temp file behind; the next write to the same target removes it.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `.<name>.<pid>.<time>.tmp` beside the target; the pid says whose it is. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.\d+\.tmp$/;

/** Calls write(fd) on a fresh temp file, then renames it over file. On any error the temp is removed and the error rethrown. */
export function writeAtomically(file: string, write: (fd: number) => void): void {
  const target = path.resolve(file);
  removeDeadTemps(target);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(temp, 'wx');
    write(fd);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(temp, target);
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw e;
  }
}

/** writeAtomically for a whole string or byte array. */
export function writeFileAtomically(file: string, data: string | Uint8Array): void {
  writeAtomically(file, (fd) => {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done);
  });
}

/** Temp files of this target left by processes that no longer run (killed mid-write). */
function removeDeadTemps(target: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(target));
  } catch {
    return; // the folder's absence is reported by the write itself
  }
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || m[1] !== path.basename(target)) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && !processRuns(pid)) fs.rmSync(path.join(path.dirname(target), name), { force: true });
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // it exists, owned by someone else
  }
}
