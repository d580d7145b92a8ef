// The user's own spoken words: a folder with one sub-folder per label holding WAV files
// (any encoding readWav takes, resampled to the rate asked for). A file that cannot be read is
// reported (file and why) and skipped; the rest load.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readWav } from '../audio/wav';
import type { SpeechDataset } from './speech';

export interface SkippedFile {
  file: string;
  reason: string;
}

/** Reads DIR/<label>/*.wav; labels are the sub-folder names in sorted order. */
export function readSpeechFolder(dir: string, opts: { sampleRate?: number } = {}): { dataset: SpeechDataset; skipped: SkippedFile[] } {
  const op = 'readSpeechFolder';
  const sampleRate = opts.sampleRate ?? 8000;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${op}: ${dir} is not a directory (expected one sub-folder of WAV files per label)`);
  const labelNames = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (labelNames.length === 0) throw new Error(`${op}: ${dir} has no sub-folders (expected one sub-folder of WAV files per label)`);
  const clips: Float32Array[] = [];
  const labels: number[] = [];
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  labelNames.forEach((label, index) => {
    const names = fs.readdirSync(path.join(dir, label)).filter((n) => /\.wav$/i.test(n) && !n.startsWith('.')).sort();
    for (const name of names) {
      const file = path.join(dir, label, name);
      try {
        clips.push(readWav(file, { sampleRate }).samples);
        labels.push(index);
        files.push(file);
      } catch (e) {
        const message = (e as Error).message;
        skipped.push({ file, reason: message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message });
      }
    }
  });
  if (clips.length === 0) throw new Error(`${op}: no readable WAV file under ${dir}${skipped.length ? ` (${skipped.length} skipped: ${skipped[0].file}: ${skipped[0].reason}…)` : ''}`);
  return { dataset: { clips, labels: Int32Array.from(labels), labelNames, sampleRate, files }, skipped };
}
