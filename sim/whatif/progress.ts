// Progress and Ctrl-C for long what-if work: a cli-progress bar on a terminal (a line every ~10 %
// otherwise, so logs show it too), and a SIGINT handler that aborts the pool once (keeping what
// finished) and exits at once on a second Ctrl-C.
import cliProgress from "cli-progress";
import type { WhatIfPool } from "./pool.js";

export interface Progress {
  /** Start a stage of `total` runs. */
  stage(label: string, total: number): void;
  update(done: number): void;
  stop(): void;
}

export function progressReporter(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  const tty = stream.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let total = 0;
  let label = "";
  let lastLine = performance.now();
  let t0 = 0;
  return {
    stage(l, n) {
      this.stop();
      label = l;
      total = n;
      t0 = performance.now();
      if (quiet) return;
      if (tty) {
        bar = new cliProgress.SingleBar(
          { format: `${l.padEnd(30)} [{bar}] {percentage}% | {value}/{total} runs | {rate} runs/s | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: true, stream, etaBuffer: 50 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(n, 0, { rate: "-" });
      }
    },
    update(done) {
      if (quiet) return;
      const s = (performance.now() - t0) / 1000;
      const rate = s > 0 ? (done / s).toFixed(0) : "-";
      if (bar) bar.update(done, { rate });
      else if (performance.now() - lastLine > 5000) {
        // Not a terminal (a log, CI): a line at most every 5 s, so short stages stay quiet.
        lastLine = performance.now();
        stream.write(`kedasim: ${label}: ${done}/${total} runs (${rate} runs/s)\n`);
      }
    },
    stop() {
      bar?.stop();
      bar = null;
      void label;
    },
  };
}

/** First Ctrl-C: abort the pool (what finished is kept and written). Second: exit now. Returns the uninstall function. */
export function interruptible(pool: WhatIfPool, onFirst: () => void): () => void {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      process.stderr.write("\nkedasim: interrupted — stopping the workers and writing what finished (Ctrl-C again to quit at once)\n");
      onFirst();
      pool.abort();
    } else process.exit(130);
  };
  process.on("SIGINT", handler);
  return () => process.off("SIGINT", handler);
}
