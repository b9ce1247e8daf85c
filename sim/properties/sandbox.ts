// A worker thread that loads and runs one scenario text at a time, so that every bad-input case is
// bounded in time AND memory: the main thread gives up on a case after `timeoutMs` (and replaces
// the worker), and the worker's heap is capped (resourceLimits), so a hang or a memory blow-up is
// reported as an outcome instead of hanging or killing the test run.
import { Worker } from "node:worker_threads";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./replay.js";

export interface SandboxRequest {
  id: number;
  text: string;
  /** Small limits (fuzzing): maxEvents 200 000, maxMessages 100 000, ≤ 7200 s. Else the scenario's own. */
  small: boolean;
  guard: { maxSteps: number; maxRecords: number };
}

export type SandboxOutcome =
  | { kind: "error"; file: string; path: string; expected: string; message: string }
  | { kind: "run"; limit: string | null; events: number; records: number }
  | { kind: "runaway"; message: string }
  | { kind: "exception"; where: "loader" | "run"; name: string; message: string }
  | { kind: "timeout"; ms: number }
  | { kind: "crashed"; message: string };

export interface SandboxOptions {
  timeoutMs: number;
  /** Worker heap cap (MB). */
  maxHeapMb: number;
}

export class Sandbox {
  private worker: Worker | null = null;
  private nextId = 0;
  private pending: { id: number; resolve: (o: SandboxOutcome) => void } | null = null;

  private constructor(private opts: SandboxOptions) {}

  static async start(opts: SandboxOptions): Promise<Sandbox> {
    const s = new Sandbox(opts);
    await s.spawn();
    return s;
  }

  private spawn(): Promise<void> {
    // The worker runs TypeScript through tsx's loader, registered from a tiny ESM bootstrap.
    const api = pathToFileURL(resolve(ROOT, "node_modules/tsx/dist/esm/api/index.mjs")).href;
    const impl = pathToFileURL(resolve(import.meta.dirname, "sandbox-worker.ts")).href;
    const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(impl)});`;
    const w = new Worker(new URL("data:text/javascript," + encodeURIComponent(code)), {
      resourceLimits: { maxOldGenerationSizeMb: this.opts.maxHeapMb },
      stdout: true,
      stderr: true,
    });
    this.worker = w;
    return new Promise((ready, fail) => {
      w.on("message", (m: { ready?: boolean; id?: number; outcome?: SandboxOutcome }) => {
        if (m.ready) return ready();
        if (this.pending && m.id === this.pending.id) {
          const p = this.pending;
          this.pending = null;
          p.resolve(m.outcome!);
        }
      });
      w.on("error", (e) => {
        if (this.worker !== w) return;
        this.worker = null;
        if (this.pending) {
          const p = this.pending;
          this.pending = null;
          p.resolve({ kind: "crashed", message: `${e.name}: ${e.message}` });
        } else fail(e);
      });
    });
  }

  async run(text: string, small: boolean, guard: SandboxRequest["guard"]): Promise<SandboxOutcome> {
    if (!this.worker) await this.spawn();
    const id = this.nextId++;
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<SandboxOutcome>((res) => {
      this.pending = { id, resolve: res };
      timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.pending = null;
        res({ kind: "timeout", ms: Math.round(performance.now() - t0) });
      }, this.opts.timeoutMs);
    });
    this.worker!.postMessage({ id, text, small, guard } satisfies SandboxRequest);
    const out = await answer;
    clearTimeout(timer);
    if (out.kind === "timeout" || out.kind === "crashed") {
      const w = this.worker;
      this.worker = null;
      if (w) await w.terminate();
    }
    return out;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
