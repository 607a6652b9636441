/**
 * Progress of a multi-step start (`kubicle up`): on a terminal each step shows as a line that turns
 * from "…" into "✓" or "✗" in place; anywhere else (logs, pipes, tests) one plain line per finished
 * step, so the output stays greppable.
 *
 * Contract: `step` runs its function once, reports how long it took and what it produced, and
 * rethrows its error after marking the step failed. Component logs written while a step runs may
 * land between the lines; the reporter never erases them because it only rewrites its own line.
 */

export interface ReporterStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export class StepReporter {
  private readonly tty: boolean;

  constructor(
    private readonly out: ReporterStream,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tty = out.isTTY === true;
  }

  /** Runs `run`; `done` turns its result into the detail shown after the step's title. */
  async step<T>(title: string, run: () => Promise<T>, done?: (result: T) => string): Promise<T> {
    const started = this.now();
    if (this.tty) this.out.write(`  … ${title}`);
    let result: T;
    try {
      result = await run();
    } catch (err) {
      this.finish('✗', 'failed', title, undefined, started);
      throw err;
    }
    this.finish('✓', 'ready', title, done?.(result), started);
    return result;
  }

  /** A step that was not run, with the reason. */
  skip(title: string, reason: string): void {
    this.out.write(this.tty ? `  - ${title}: ${reason}\n` : `[up] ${title} skipped: ${reason}\n`);
  }

  /** A problem that does not stop the start, with what to do about it. */
  warn(message: string): void {
    this.out.write(this.tty ? `  ! ${message}\n` : `[up] warning: ${message}\n`);
  }

  private finish(mark: string, word: string, title: string, detail: string | undefined, started: number) {
    const seconds = `${((this.now() - started) / 1000).toFixed(1)} s`;
    const text = detail ? `${title}: ${detail}` : title;
    if (this.tty) this.out.write(`\r\x1b[2K  ${mark} ${text} (${seconds})\n`);
    else this.out.write(`[up] ${title} ${word}${detail ? `: ${detail}` : ''} (${seconds})\n`);
  }
}
