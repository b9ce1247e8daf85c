// What one run of one configuration scored: numbers read from its Summary and its Trace records
// (never from model internals), so sweeps and searches measure what `npm run sim` reports.
import { simulate } from "../run.js";
import type { Scenario } from "../scenario/load.js";
import { percentileFromBuckets, type Summary, type TraceRecord } from "../trace.js";

/** The per-run figures, in this order in a Float64Array (workers send them as one transferable buffer). */
export const METRICS = [
  "p50",
  "p95",
  "p99",
  "meanLatency",
  "maxLatency",
  "maxWait",
  "drain",
  "replicaSeconds",
  "peak",
  "coldStarts",
  "interrupted",
  "flaps",
  "scaleEvents",
  "produced",
  "completed",
  "unfinished",
  "redelivered",
  "deadLettered",
  "events",
] as const;
export type MetricName = (typeof METRICS)[number];
export const METRIC_INDEX: Record<MetricName, number> = Object.fromEntries(METRICS.map((m, i) => [m, i])) as Record<MetricName, number>;

/** Units and words for tables and charts. */
export const METRIC_INFO: Record<MetricName, { unit: string; words: string }> = {
  p50: { unit: "s", words: "latency p50 (arrival → completion)" },
  p95: { unit: "s", words: "latency p95" },
  p99: { unit: "s", words: "latency p99" },
  meanLatency: { unit: "s", words: "mean latency" },
  maxLatency: { unit: "s", words: "max latency" },
  maxWait: { unit: "s", words: "max wait in the queue (arrival → start)" },
  drain: { unit: "s", words: "drain time (first arrival → last departure)" },
  replicaSeconds: { unit: "replica·s", words: "replica-seconds (pods existing, not terminating)" },
  peak: { unit: "replicas", words: "peak replicas" },
  coldStarts: { unit: "", words: "cold starts (scale from 0)" },
  interrupted: { unit: "", words: "messages interrupted mid-work (abandoned after their processing started)" },
  flaps: { unit: "", words: "flaps (a scale-up right after a scale-down)" },
  scaleEvents: { unit: "", words: "scale events" },
  produced: { unit: "", words: "messages produced" },
  completed: { unit: "", words: "messages completed" },
  unfinished: { unit: "", words: "messages not completed at the end (queued, in flight or dead-lettered)" },
  redelivered: { unit: "", words: "redeliveries" },
  deadLettered: { unit: "", words: "dead-lettered" },
  events: { unit: "", words: "simulation events" },
};

/**
 * Latency percentile over every message produced, counting a message that never completed
 * (still queued or in flight at the end, dead-lettered) as infinitely late: a configuration that
 * leaves work behind must not look fast. With everything completed it is the Summary's exact value;
 * otherwise it is read from the samples' 1 % latency histograms (never below the true value).
 */
function percentileOverProduced(p: number, s: Summary, exact: number | null, buckets: Map<number, number>): number {
  const produced = s.messages.produced;
  const completed = s.messages.completed;
  if (produced === 0) return 0;
  if (completed >= produced) return exact ?? 0;
  const rank = Math.max(1, Math.ceil((p / 100) * produced));
  if (rank > completed) return Infinity;
  // The value at `rank` among the completed = their percentile 100·rank/completed.
  return percentileFromBuckets(buckets, (100 * rank) / completed - 1e-9);
}

/** The figures of one finished run. */
export function metricsOf(summary: Summary, records: readonly TraceRecord[], events: number): Float64Array {
  const m = new Float64Array(METRICS.length);
  let coldStarts = 0;
  let interrupted = 0;
  let flaps = 0;
  let lastDir = 0;
  const buckets = new Map<number, number>();
  const needBuckets = summary.messages.completed < summary.messages.produced;
  for (const r of records) {
    if (r.type === "scale") {
      if (r.from === 0 && r.to > 0) coldStarts++;
      const dir = Math.sign(r.to - r.from);
      if (dir > 0 && lastDir < 0) flaps++;
      if (dir !== 0) lastDir = dir;
    } else if (r.type === "message") {
      // An abandoned delivery whose processing run had started: work lost mid-way (a scale-in or a
      // kill took the pod). A prefetched delivery that had not started carries no startedAt.
      if (r.event === "abandoned" && r.startedAt !== undefined) interrupted++;
    } else if (needBuckets && r.type === "sample" && r.lat) {
      for (const [b, c] of r.lat) buckets.set(b, (buckets.get(b) ?? 0) + c);
    }
  }
  const s = summary;
  const L = s.latencyS;
  const unfinished = s.messages.produced - s.messages.completed;
  const set = (k: MetricName, v: number) => (m[METRIC_INDEX[k]] = v);
  set("p50", percentileOverProduced(50, s, L.p50, buckets));
  set("p95", percentileOverProduced(95, s, L.p95, buckets));
  set("p99", percentileOverProduced(99, s, L.p99, buckets));
  set("meanLatency", unfinished > 0 ? Infinity : (L.mean ?? 0));
  // Max latency/wait over completed messages; a run left with unfinished work in a scenario that
  // should drain (no fixed duration) has an unbounded maximum.
  set("maxLatency", unfinished > 0 ? Infinity : (L.max ?? 0));
  set("maxWait", unfinished > 0 ? Infinity : (L.wait.max ?? 0));
  set("drain", s.drainTimeS ?? 0);
  set("replicaSeconds", s.replicas.replicaSeconds);
  set("peak", s.replicas.peak);
  set("coldStarts", coldStarts);
  set("interrupted", interrupted);
  set("flaps", flaps);
  set("scaleEvents", s.scaleEvents.length);
  set("produced", s.messages.produced);
  set("completed", s.messages.completed);
  set("unfinished", unfinished);
  set("redelivered", s.messages.redelivered);
  set("deadLettered", s.messages.deadLettered);
  set("events", events);
  return m;
}

/**
 * For duration-bound scenarios (a fixed `duration`), work still queued at the end is not a fault
 * of the configuration when it arrived just before the end; max latency and max wait are then read
 * over the completed messages only.
 */
export function metricsOfRun(scenario: Scenario, summary: Summary, records: readonly TraceRecord[], events: number): Float64Array {
  const m = metricsOf(summary, records, events);
  if (scenario.duration !== null && m[METRIC_INDEX.unfinished] > 0) {
    const L = summary.latencyS;
    m[METRIC_INDEX.maxLatency] = L.max ?? 0;
    m[METRIC_INDEX.maxWait] = L.wait.max ?? 0;
    m[METRIC_INDEX.meanLatency] = L.mean ?? 0;
  }
  return m;
}

/** Run one resolved scenario in memory and score it. */
export function runAndMeasure(scenario: Scenario): Float64Array {
  const out = simulate(scenario);
  return metricsOfRun(scenario, out.summary, out.records, out.events);
}
