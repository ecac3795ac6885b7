/** A progress bar for the batches on stderr: redrawn in place on a TTY, a plain line now and then otherwise. */

export interface ProgressState {
  done: number;
  total: number;
  users: number;
  failed: number;
}

export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  /** Set at the first update, so the rate covers the batches only. */
  private started = -1;
  private lastLine = 0;
  private lastDecile = -1;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.stream = stream;
  }

  update(p: ProgressState): void {
    if (this.started < 0) this.started = performance.now();
    const fraction = p.total === 0 ? 1 : p.done / p.total;
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(p.users / seconds) : 0;
    const text = `batches ${p.done}/${p.total}  ${p.users.toLocaleString("en-US")} users  ${rate.toLocaleString("en-US")} users/s  ${seconds.toFixed(1)} s${p.failed > 0 ? `  ${p.failed} failed` : ""}`;
    if (this.stream.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      this.stream.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${text}\x1b[K`);
      if (p.done === p.total) this.stream.write("\n");
      return;
    }
    // Not a TTY (CI, a log file): one line per tenth of the work, and at most one per second otherwise.
    const decile = Math.floor(fraction * 10);
    const now = performance.now();
    if (decile !== this.lastDecile || p.done === p.total || now - this.lastLine > 1000) {
      this.lastDecile = decile;
      this.lastLine = now;
      this.stream.write(`${text}\n`);
    }
  }
}
