// espeak-ng as a child process (execFile with an argument list, never a shell string): its version,
// and one word spoken by one voice into a WAV file.
import { execFile } from 'node:child_process';

export const ESPEAK_INSTALL_HINT = 'install it with `apt-get install espeak-ng` (Debian/Ubuntu), `dnf install espeak-ng` (Fedora) or `brew install espeak-ng` (macOS)';

function run(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') reject(new Error(`${program} was not found: the speech corpus is synthesised by espeak-ng; ${ESPEAK_INSTALL_HINT}`));
        else reject(new Error(`${program} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      } else resolve(stdout);
    });
  });
}

/** "eSpeak NG text-to-speech: 1.51  Data at: …" → "1.51"; rejects saying what to install when absent. */
export async function espeakVersion(program = 'espeak-ng'): Promise<string> {
  const out = await run(program, ['--version']);
  const m = /text-to-speech:\s*(\S+)/.exec(out);
  return m ? m[1] : out.trim().split('\n')[0];
}

export interface SpeakOptions {
  /** An espeak-ng voice, with an optional variant: "en-us+f2". */
  voice: string;
  /** Words per minute (espeak-ng -s; its default is 175). */
  speed: number;
  /** 0-99 (espeak-ng -p; its default is 50). */
  pitch: number;
}

/** Speaks `text` into a WAV file (22050 Hz, 16-bit mono, as espeak-ng writes). */
export async function speakToFile(text: string, file: string, opts: SpeakOptions, program = 'espeak-ng'): Promise<void> {
  await run(program, ['-v', opts.voice, '-s', String(opts.speed), '-p', String(opts.pitch), '-w', file, '--', text]);
}
