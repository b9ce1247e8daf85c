// Run one scenario and write its outputs (trace.jsonl, summary.json, PNG charts, report.md).
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Simulation, type SimOptions } from "./model/simulation.js";
import type { Scenario } from "./scenario/load.js";
import { serializeRecord, type Summary, type TraceHeader, type TraceRecord } from "./trace.js";

/** Buffered JSONL writer: the trace can be far larger than memory should hold. */
export class JsonlFileSink {
  private fd: number;
  private buf: string[] = [];
  private size = 0;
  constructor(path: string) {
    this.fd = openSync(path, "w");
  }
  write(line: string): void {
    this.buf.push(line);
    this.size += line.length + 1;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.buf.length) writeSync(this.fd, this.buf.join("\n") + "\n");
    this.buf = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export interface RunOutput {
  header: TraceHeader;
  summary: Summary;
  /** Records, when kept in memory (keepRecords). */
  records: TraceRecord[] | null;
  events: number;
  wallMs: number;
}

/** Run in memory: returns the records (for tests and small runs). */
export function simulate(scenario: Scenario, opts: SimOptions = {}): RunOutput & { records: TraceRecord[] } {
  const sim = new Simulation(scenario, opts);
  const records: TraceRecord[] = [];
  sim.bus.on("record", (r) => records.push(r));
  const t0 = performance.now();
  const res = sim.run();
  return { header: res.header, summary: res.summary, records, events: res.events, wallMs: performance.now() - t0 };
}

/** The exact bytes of trace.jsonl for a run (determinism tests compare these). */
export function traceText(out: { header: TraceHeader; records: TraceRecord[] }): string {
  return [serializeRecord(out.header), ...out.records.map(serializeRecord)].join("\n") + "\n";
}

/**
 * Run and stream the trace to DIR/trace.jsonl, write summary.json; keep records in memory only
 * when asked (charts need them; the 10^7-message benchmark does not).
 */
export function simulateToDir(scenario: Scenario, dir: string, opts: SimOptions & { keepRecords?: boolean } = {}): RunOutput {
  const { res, records, wallMs } = runToDir(new Simulation(scenario, opts), dir, opts.keepRecords !== false);
  return { header: res.header, summary: res.summary, records, events: res.events, wallMs };
}

/** What runToDir needs of a model (single-queue or topology): its header, its records as they happen, run(). */
export interface StreamingModel<R extends { summary: Summary }> {
  header(): TraceHeader;
  readonly bus: { on(event: "record", fn: (r: TraceRecord) => void): unknown };
  run(): R;
}

/**
 * Run a model, streaming its trace to DIR/trace.jsonl, and write DIR/summary.json. Records are kept
 * in memory only when asked (charts need them; the 10^7-message benchmark does not). wallMs: the run.
 */
export function runToDir<R extends { summary: Summary }>(sim: StreamingModel<R>, dir: string, keepRecords: boolean): { res: R; records: TraceRecord[] | null; wallMs: number } {
  mkdirSync(dir, { recursive: true });
  const sink = new JsonlFileSink(join(dir, "trace.jsonl"));
  sink.write(serializeRecord(sim.header()));
  const records: TraceRecord[] | null = keepRecords ? [] : null;
  sim.bus.on("record", (r) => {
    sink.write(serializeRecord(r));
    if (records) records.push(r);
  });
  const t0 = performance.now();
  let res: R;
  try {
    res = sim.run();
  } finally {
    sink.close();
  }
  const wallMs = performance.now() - t0;
  writeFileSync(join(dir, "summary.json"), JSON.stringify(res.summary, null, 2) + "\n");
  return { res, records, wallMs };
}
