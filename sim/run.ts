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
  mkdirSync(dir, { recursive: true });
  const sim = new Simulation(scenario, opts);
  const sink = new JsonlFileSink(join(dir, "trace.jsonl"));
  sink.write(serializeRecord(sim.header()));
  const records: TraceRecord[] | null = opts.keepRecords === false ? null : [];
  sim.bus.on("record", (r) => {
    sink.write(serializeRecord(r));
    if (records) records.push(r);
  });
  const t0 = performance.now();
  let res;
  try {
    res = sim.run();
  } finally {
    sink.close();
  }
  writeFileSync(join(dir, "summary.json"), JSON.stringify(res.summary, null, 2) + "\n");
  return { header: res.header, summary: res.summary, records, events: res.events, wallMs: performance.now() - t0 };
}
