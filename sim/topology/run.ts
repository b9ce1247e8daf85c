// Run one topology scenario and write its outputs (trace.jsonl, summary.json); the CLI draws its charts and
// report.md from them (reports/topology.ts), as for a single-queue run.
// The entry points sim/cli.ts uses: isTopologyScenario, loadTopology, runTopologyToDir.
import { resolve } from "node:path";
import { parseYamlDocs, readText } from "../scenario/load.js";
import { runToDir } from "../run.js";
import { serializeRecord, type Summary, type TraceHeader, type TraceRecord } from "../trace.js";
import { isTopologyScenario as isTopologyDoc, loadTopology, resolveTopology, type TopologyScenario } from "./load.js";
import { TopologySimulation, type GroupReport, type InboxReport, type SourceReport, type TopologyOptions } from "./model.js";

export { loadTopology, resolveTopology, type TopologyScenario } from "./load.js";
export { TopologySimulation } from "./model.js";

/**
 * True when a scenario YAML (already parsed, or a path to one) is a topology scenario: it has `stages`.
 * Single-queue scenarios (producers/queue/consumer/manifests) are false.
 */
export function isTopologyScenario(raw: unknown): boolean {
  if (typeof raw === "string" && /\.ya?ml$/i.test(raw)) {
    // Bounded like every scenario read (a nesting bomb must not abort here); on any error the
    // single-queue loader reads the file again and reports it.
    try {
      const docs = parseYamlDocs(readText(raw, raw, ""), raw);
      return docs.length === 1 && isTopologyDoc(docs[0]);
    } catch {
      return false;
    }
  }
  return isTopologyDoc(raw);
}

export interface TopologyRunOutput {
  header: TraceHeader;
  summary: Summary;
  /** Records, when kept in memory. */
  records: TraceRecord[];
  events: number;
  wallMs: number;
  /** Counters of every queue/subscription, consumer group and source at the end (for tests and the report). */
  inboxes: InboxReport[];
  groups: GroupReport[];
  sources: SourceReport[];
}

/** Run in memory (tests, benchmarks, comparisons). */
export function simulateTopology(scenario: TopologyScenario, opts: TopologyOptions & { keepRecords?: boolean } = {}): TopologyRunOutput {
  const sim = new TopologySimulation(scenario, opts);
  const records: TraceRecord[] = [];
  if (opts.keepRecords !== false) sim.bus.on("record", (r) => records.push(r));
  const t0 = performance.now();
  const res = sim.run();
  const wallMs = performance.now() - t0;
  return { header: res.header, summary: res.summary, records, events: res.events, wallMs, inboxes: sim.inboxReports(), groups: sim.groupReports(), sources: sim.sourceReports() };
}

/** The exact bytes of trace.jsonl for a run (determinism tests compare these). */
export function topologyTraceText(out: { header: TraceHeader; records: TraceRecord[] }): string {
  return [serializeRecord(out.header), ...out.records.map(serializeRecord)].join("\n") + "\n";
}

export interface RunTopologyOptions extends TopologyOptions {
  /** Run the scenarios of `compareWith` too (in memory), for the report's comparison table (default true). */
  compare?: boolean;
}

/** A run of one of the scenarios in `compareWith`: its trace header and summary (what the report tabulates). */
export interface ComparedRun {
  header: TraceHeader;
  summary: Summary;
}

/** Run and stream the trace to DIR/trace.jsonl, write summary.json; run the `compareWith` scenarios. */
export function runTopologyToDir(scenario: TopologyScenario, outDir: string, opts: RunTopologyOptions = {}): Omit<TopologyRunOutput, "inboxes" | "groups" | "sources"> & { compared: ComparedRun[] } {
  const { res, records, wallMs } = runToDir(new TopologySimulation(scenario, opts), outDir, true);
  const compared: ComparedRun[] = [];
  if (opts.compare !== false) {
    for (const file of scenario.compareWith) {
      if (resolve(file) === resolve(scenario.file)) continue;
      const other = loadTopology(file, { seed: scenario.seed });
      const o = simulateTopology(other, { keepRecords: false });
      compared.push({ header: o.header, summary: o.summary });
    }
  }
  return { header: res.header, summary: res.summary, records: records!, events: res.events, wallMs, compared };
}

// ---------------------------------------------------------------- seed 003 benchmark

/**
 * Seed 003's pipeline, built in memory (no files): 100 000 objects in chunks of 100, 10 mappers at
 * 0–10 s per chunk, a saver, the fetcher's handshake and 60 s resend; core NATS (at-most-once) or
 * JetStream (at-least-once); mapper crashes unless `crashes: false`.
 */
export function seed003Scenario(o: { delivery?: "at-most-once" | "at-least-once"; crashes?: boolean; objects?: number; chunkSize?: number; mappers?: number; seed?: number } = {}): TopologyScenario {
  const broker = o.delivery === "at-least-once" ? "jetstream" : "nats-core";
  const mappers = o.mappers ?? 10;
  const dep = (name: string, replicas: number) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name }, spec: { replicas, template: { spec: {} } } });
  const raw = {
    name: `seed-003-bench-${o.delivery ?? "at-most-once"}`,
    seed: o.seed ?? 3,
    channels: [
      { name: "mapper_data", kind: "queue", broker },
      { name: "saver_data", kind: "queue", broker },
    ],
    sources: [{ name: "fetcher", to: "mapper_data", objects: o.objects ?? 100_000, chunkSize: o.chunkSize ?? 100, pacing: "on-listening", resend: { policy: "timeout", afterSeconds: 60 } }],
    stages: [
      {
        name: "mapper",
        deployment: "mapper-dep",
        consumes: { channel: "mapper_data" },
        processingTime: { dist: "uniform", min: 0, max: 10 },
        prefetch: 1,
        startupDelay: 5,
        publishes: ["saver_data"],
        faults: { crashes: o.crashes === false ? [] : [{ at: 60, count: 2 }, { at: 180, count: 3 }, { at: 300, count: 1 }] },
        manifests: [dep("mapper-dep", mappers)],
      },
      { name: "saver", deployment: "saver-dep", consumes: { channel: "saver_data" }, processingTime: 0.005, prefetch: 0, confirms: "fetcher", manifests: [dep("saver-dep", 1)] },
    ],
  };
  return resolveTopology(raw, process.cwd(), "seed-003-bench (in memory)");
}

/** Benchmark entry point: seed 003's pipeline end to end, trace records discarded. */
export function benchSeed003(o: Parameters<typeof seed003Scenario>[0] = {}): { wallMs: number; events: number; summary: Summary; sources: SourceReport[] } {
  const sc = seed003Scenario(o);
  const t0 = performance.now();
  const out = simulateTopology(sc, { keepRecords: false });
  return { wallMs: performance.now() - t0, events: out.events, summary: out.summary, sources: out.sources };
}
