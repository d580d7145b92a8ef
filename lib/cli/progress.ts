// The per-epoch progress bar (cli-progress): images/s, loss and ETA. On a terminal only; piped output
// gets the per-epoch summary lines alone.
interface Bar {
  start(total: number, value: number, payload: Record<string, string>): void;
  update(value: number, payload: Record<string, string>): void;
  stop(): void;
}
interface CliProgress {
  SingleBar: new (opts: Record<string, unknown>, preset: unknown) => Bar;
  Presets: { shades_classic: unknown };
}

export class EpochProgress {
  private readonly bar: Bar | null;
  private readonly started = process.hrtime.bigint();
  private samples = 0;

  constructor(label: string, total: number, start: number, unit: string, stream: NodeJS.WriteStream = process.stderr) {
    if (!stream.isTTY) {
      this.bar = null;
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for a terminal; untyped (CliProgress above)
    const progress = require('cli-progress') as CliProgress;
    this.bar = new progress.SingleBar(
      { format: `${label} {bar} {value}/{total} batches | {rate} ${unit}/s | loss {loss} | ETA {eta_formatted}`, stream, hideCursor: true, etaBuffer: 50 },
      progress.Presets.shades_classic,
    );
    this.bar.start(total, start, { rate: '-', loss: '-' });
  }

  update(batchesDone: number, samples: number, loss: number): void {
    this.samples += samples;
    this.bar?.update(batchesDone, { rate: this.rate().toFixed(0), loss: loss.toFixed(4) });
  }

  /** Samples per second since this bar started. */
  rate(): number {
    const seconds = Number(process.hrtime.bigint() - this.started) / 1e9;
    return seconds > 0 ? this.samples / seconds : 0;
  }

  stop(): void {
    this.bar?.stop();
  }
}

/** A bar over a count of work items (e.g. clips synthesised): done/total, rate and ETA; on a terminal only. */
export class CountProgress {
  private readonly bar: Bar | null;

  constructor(label: string, total: number, unit: string, stream: NodeJS.WriteStream = process.stderr) {
    if (!stream.isTTY) {
      this.bar = null;
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for a terminal; untyped (CliProgress above)
    const progress = require('cli-progress') as CliProgress;
    this.bar = new progress.SingleBar({ format: `${label} {bar} {value}/{total} ${unit} | ETA {eta_formatted}`, stream, hideCursor: true, etaBuffer: 50 }, progress.Presets.shades_classic);
    this.bar.start(total, 0, {});
  }

  update(done: number): void {
    this.bar?.update(done, {});
  }

  stop(): void {
    this.bar?.stop();
  }
}
