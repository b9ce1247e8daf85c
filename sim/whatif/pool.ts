// Runs (configuration, seed index) pairs on worker_threads, one worker per core by default.
// Each pair is an independent run whose seed depends only on the scenario and the seed index, so
// the figures are identical whatever the number of workers or the way runs are batched; they are
// put back in (configuration, seed index) order. abort() (Ctrl-C) stops the workers at once and
// run() resolves with the batches that had finished.
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { METRICS } from "./metrics.js";
import type { Assignment } from "./base.js";
import type { BatchItem, BatchReply, BatchRequest } from "./worker.js";

export interface PoolJob {
  key: number;
  assignments: Assignment[];
  seedIndexes: number[];
}

export interface PoolOutcome {
  /** Per job key: one figures row per seed index, in the job's seedIndexes order (jobs that did not finish are absent). */
  figures: Map<number, Float64Array[]>;
  /** Per job key: why the configuration could not run. */
  errors: Map<number, string>;
  aborted: boolean;
  runs: number;
  wallMs: number;
}

export const defaultWorkers = (): number => Math.max(1, availableParallelism());

const ROOT = resolve(import.meta.dirname, "../..");

export class WhatIfPool {
  private workers: Worker[] = [];
  private aborted = false;
  private closed = false;
  private onAbort: (() => void) | null = null;

  private constructor(readonly size: number) {}

  /** Start `size` workers that each load `file` (a scenario already checked by the caller). */
  static async start(file: string, size = defaultWorkers()): Promise<WhatIfPool> {
    const pool = new WhatIfPool(Math.max(1, Math.floor(size)));
    // The workers run TypeScript through tsx's loader, registered from a tiny ESM bootstrap (as
    // sim/properties/sandbox.ts does), so this works under `npm run sim` and under vitest alike.
    const api = pathToFileURL(resolve(ROOT, "node_modules/tsx/dist/esm/api/index.mjs")).href;
    const impl = pathToFileURL(resolve(import.meta.dirname, "worker.ts")).href;
    const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(impl)});`;
    const url = new URL("data:text/javascript," + encodeURIComponent(code));
    // One worker failing to start (bad scenario, missing loader) terminates the others: a rejected
    // start must not leave threads keeping the process alive.
    const started = Promise.all(
      Array.from({ length: pool.size }, () => {
        const w = new Worker(url, { workerData: { kedasimWhatIf: true, file: resolve(file) } });
        pool.workers.push(w);
        return new Promise<void>((ready, fail) => {
          const onMsg = (m: { ready?: boolean; fatal?: string }) => {
            if (m.ready) {
              w.off("message", onMsg);
              w.off("error", fail);
              ready();
            } else if (m.fatal) fail(new Error(m.fatal));
          };
          w.on("message", onMsg);
          w.once("error", fail);
        });
      }),
    );
    try {
      await started;
    } catch (e) {
      await Promise.all(pool.workers.map((w) => w.terminate().catch(() => 0)));
      pool.workers.length = 0;
      throw e;
    }
    return pool;
  }

  /** Stop now: terminate the workers; a run() in progress resolves with what had finished. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.onAbort?.();
    void this.close();
  }

  get isAborted(): boolean {
    return this.aborted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }

  /**
   * Run every job; `progress(done, total)` after each batch. Batches hold up to ~1/16 of a
   * worker's share of the runs (at most 200), so the progress bar moves and Ctrl-C loses little.
   */
  async run(jobs: readonly PoolJob[], progress?: (done: number, total: number) => void): Promise<PoolOutcome> {
    const t0 = performance.now();
    const total = jobs.reduce((n, j) => n + j.seedIndexes.length, 0);
    const out: PoolOutcome = { figures: new Map(), errors: new Map(), aborted: false, runs: 0, wallMs: 0 };
    if (this.closed || this.aborted) {
      out.aborted = true;
      return out;
    }
    const batchRuns = Math.max(1, Math.min(200, Math.ceil(total / (this.size * 16))));
    // Batches of whole or split jobs; a split job's parts are stitched back in seed order.
    const batches: BatchItem[][] = [];
    let cur: BatchItem[] = [];
    let curRuns = 0;
    for (const j of jobs) {
      for (let s = 0; s < j.seedIndexes.length; ) {
        const take = Math.min(batchRuns - curRuns, j.seedIndexes.length - s);
        cur.push({ key: j.key, assignments: j.assignments, seedIndexes: j.seedIndexes.slice(s, s + take) });
        s += take;
        curRuns += take;
        if (curRuns >= batchRuns) {
          batches.push(cur);
          cur = [];
          curRuns = 0;
        }
      }
    }
    if (cur.length) batches.push(cur);
    const parts = new Map<number, Map<number, Float64Array>>(); // key -> seed index -> row
    const wanted = new Map(jobs.map((j) => [j.key, j]));
    let next = 0;
    let done = 0;
    await new Promise<void>((finish, fail) => {
      let busy = 0;
      let failed = false;
      this.onAbort = () => finish();
      const feed = (w: Worker) => {
        if (this.aborted || failed) return;
        if (next >= batches.length) {
          if (busy === 0) finish();
          return;
        }
        const id = next++;
        const items = batches[id];
        busy++;
        const onMessage = (reply: BatchReply) => {
          if (reply.id !== id) return;
          cleanup();
          busy--;
          let row = 0;
          for (const it of items) {
            const err = reply.errors.find((e) => e.key === it.key);
            if (err) out.errors.set(it.key, err.message);
            let m = parts.get(it.key);
            if (!m) parts.set(it.key, (m = new Map()));
            for (const si of it.seedIndexes) {
              m.set(si, reply.figures.subarray(row * METRICS.length, (row + 1) * METRICS.length));
              row++;
            }
          }
          done += row;
          out.runs = done;
          progress?.(done, total);
          feed(w);
        };
        const onError = (e: Error) => {
          cleanup();
          if (this.aborted) return;
          failed = true;
          fail(new Error(`a what-if worker failed: ${e.message}`));
        };
        const onExit = (code: number) => {
          cleanup();
          if (this.aborted) return;
          failed = true;
          fail(new Error(`a what-if worker exited (code ${code}) while running a batch`));
        };
        const cleanup = () => {
          w.off("message", onMessage);
          w.off("error", onError);
          w.off("exit", onExit);
        };
        w.on("message", onMessage);
        w.once("error", onError);
        w.once("exit", onExit);
        w.postMessage({ id, items } satisfies BatchRequest);
      };
      if (batches.length === 0) finish();
      for (const w of this.workers) feed(w);
    });
    this.onAbort = null;
    out.aborted = this.aborted;
    for (const [key, m] of parts) {
      const j = wanted.get(key)!;
      if (j.seedIndexes.every((si) => m.has(si))) out.figures.set(key, j.seedIndexes.map((si) => m.get(si)!));
    }
    out.wallMs = performance.now() - t0;
    return out;
  }
}
