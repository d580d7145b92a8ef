// Runs the `atrous` command line in this process (lib/cli/main.ts), collecting what it prints.
import { main } from '../../lib/cli/main';

export async function cli(...args: string[]): Promise<{ code: number; out: string; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(args, (l) => lines.push(l));
  return { code, out: lines.join('\n'), lines };
}
