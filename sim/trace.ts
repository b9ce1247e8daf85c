// The Trace format: the one contract between the simulator, real mode and the reports.
// A trace is a JSONL file: one header line, then records in non-decreasing time `t`
// (seconds of *scenario* time: real mode divides wall time by its time scale).
// Reports and comparisons read only Traces (and summary.json), never model internals.

import { LAT_GROWTH, LAT_LOW } from "./latency-bucket.js";

export const TRACE_VERSION = 1;

export type Source = "sim" | "real-local" | "real-cluster";
export type Actor = "keda" | "hpa";

/** First line of every trace. */
export interface TraceHeader {
  type: "header";
  version: number;
  scenario: string;
  source: Source;
  seed: number;
  /** Facts the charts need to draw reference lines. */
  scaling: {
    minReplicaCount: number;
    maxReplicaCount: number;
    idleReplicaCount: number | null;
    /** Target per replica of the first trigger (e.g. queueLength 5). */
    target: number;
    targetType: "AverageValue" | "Value";
    triggerType: string;
    /** What the first trigger counts, in words (e.g. "active messages incl. in-flight"). */
    metricDescription: string;
    pollingInterval: number;
    cooldownPeriod: number;
    hpaSyncPeriod: number;
    behavior: "legacy" | "behavior";
    /** HPA scale-down stabilization window (legacy path: the window of the max-hold), seconds. */
    downscaleStabilizationSeconds?: number;
    /** HPA tolerance (dead band around a usage ratio of 1). */
    tolerance?: number;
    /** Activation threshold of the first trigger (KEDA is active only when metric > it). */
    activationThreshold?: number;
    /**
     * The KEDA and Kubernetes releases whose behaviour made the decisions: the ones the simulator's
     * functions followed (sim, real-local), or the ones that ran (real-cluster on the local plane).
     * Absent in traces written before versions were modelled.
     */
    kedaVersion?: string;
    kubernetesVersion?: string;
  };
  /** Free-form (time scale, measured startup latency, phases drawn from the seed, ...). */
  notes?: Record<string, unknown>;
  /**
   * Topology runs only (sim/topology): one entry per stage (app). Records of a topology trace carry
   * `stage`; `scaling` above then describes the first autoscaled stage. Absent in single-queue traces.
   */
  stages?: TraceStage[];
}

/** The header of a simulated run (real mode sets `source` and adds its notes). */
export function simHeader(scenario: string, seed: number, scaling: TraceHeader["scaling"], notes: Record<string, unknown>): TraceHeader {
  return { type: "header", version: TRACE_VERSION, scenario, source: "sim", seed, scaling, notes };
}

/** One stage (app) of a topology trace. */
export interface TraceStage {
  name: string;
  /** Deployment the stage runs as. */
  deployment: string;
  /** What it consumes, in words (e.g. "log sample (6 partitions), group group1"); null for none. */
  consumes: string | null;
  /** Channels it publishes every processed message to. */
  publishes: string[];
  /** Autoscaling facts (as TraceHeader.scaling) when a ScaledObject scales it; null for fixed replicas. */
  scaling: TraceHeader["scaling"] | null;
  /** Partitions of the log it consumes (log channels only). */
  partitions?: number;
  /** The source (seed 003's fetcher) whose chunks this stage confirms. */
  confirms?: string;
  /** A kafka trigger's settings the report explains (lag capped at lagThreshold × partitions unless allowIdleConsumers). */
  kafka?: { lagThreshold: number; allowIdleConsumers: boolean };
}

/** A change of the scale target's spec.replicas, by KEDA or the HPA. */
export interface ScaleRecord {
  type: "scale";
  t: number;
  /** Topology traces: the stage (app) this record belongs to. */
  stage?: string;
  actor: Actor;
  from: number;
  to: number;
  reason: string;
}

/** One KEDA poll (checkScalers + RequestScale). */
export interface KedaPollRecord {
  type: "keda-poll";
  t: number;
  /** Topology traces: the stage (app) this record belongs to. */
  stage?: string;
  metric: number | null; // null when the scaler errored
  active: boolean;
  error: boolean;
  lastActiveTime: number | null;
  condition: string;
}

/** One poll of a KEDA ScaledJob (sim/model/scaled-job.ts): what it read and the Jobs it created. */
export interface KedaJobPollRecord {
  type: "keda-job-poll";
  t: number;
  /** Topology traces: the stage (app) this record belongs to (ScaledJobs are single-queue only so far). */
  stage?: string;
  /** IsScaledJobActive's queueLength and maxValue (rounded up). */
  queueLength: number;
  maxScale: number;
  active: boolean;
  /** getRunningJobCount / getPendingJobCount. */
  running: number;
  pending: number;
  /** Jobs created by this poll. */
  create: number;
  /** The scaling strategy applied ("belowMin" below minReplicaCount, "paused"). */
  strategy: string;
  /** The arithmetic in words (requestJobScale's reason). */
  reason: string;
}

/** One HPA reconcile. */
export interface HpaSyncRecord {
  type: "hpa-sync";
  t: number;
  /** Topology traces: the stage (app) this record belongs to. */
  stage?: string;
  metric: number | null; // value the HPA saw (sum over the metric's values); null if the metric was invalid
  specReplicas: number;
  statusReplicas: number;
  raw: number | null; // proposal before normalization (-1/null: no proposal)
  desired: number;
  condition: string;
}

export type PodPhase = "Pending" | "Starting" | "Ready" | "Terminating" | "Gone";

export interface PodRecord {
  type: "pod";
  t: number;
  /** Topology traces: the stage (app) this record belongs to. */
  stage?: string;
  pod: string;
  phase: PodPhase;
  reason?: string;
  /** A ScaledJob's pod: the Job it belongs to (sim/model/scaled-job.ts). */
  job?: string;
}

/** Something happened to a message that is not a plain completion. */
export interface MessageEventRecord {
  type: "message";
  t: number;
  /** Topology traces: the stage (app) this record belongs to. */
  stage?: string;
  event: "abandoned" | "redelivered" | "dead-lettered" | "lost" | "duplicate";
  id: number;
  pod?: string;
  /**
   * abandoned (simulator, queues): when the abandoned processing run started; absent for a
   * prefetched delivery that had not started, for a Kafka log entry and in real-mode traces. With
   * the per-message `done` records it gives every run's start and end, which the work-conservation
   * property needs.
   */
  startedAt?: number;
  reason?: string;
}

/** Optional per-message log (behind --per-message): one line per completion. */
export interface CompletionRecord {
  type: "done";
  t: number;
  /** Topology traces: the stage (app) this record belongs to. */
  stage?: string;
  id: number;
  arrivedAt: number;
  startedAt: number;
  pod: string;
  deliveries: number;
}

/**
 * One sample per sampleInterval (1 s by default), state *after* all events at that instant.
 * Counters are cumulative since t=0.
 */
export interface SampleRecord {
  type: "sample";
  t: number;
  /**
   * Topology traces: one sample per stage per instant, counting that stage's own queue or log (produced =
   * messages that entered it, completed = processed there, desired/ready/busy = its Deployment), plus one
   * with stage "end-to-end" for the whole pipeline (produced = new payloads, completed = processed by a last
   * stage, replicas summed, lat = end-to-end latency).
   */
  stage?: string;
  /** What the first trigger reads right now (the number KEDA/the HPA would see if they asked now). */
  metric: number;
  /** Messages waiting in the broker (ready). */
  queued: number;
  /** Messages delivered to a pod and not yet settled (being processed or prefetched). */
  inFlight: number;
  produced: number;
  completed: number;
  deadLettered: number;
  redelivered: number;
  lost: number;
  /** spec.replicas of the scale target (what KEDA/HPA last set). */
  desired: number;
  /** Pods that exist and are not terminating (Deployment status.replicas). */
  current: number;
  ready: number;
  terminating: number;
  /** Pods that are busy processing at least one message. */
  busy: number;
  /**
   * Sojourn-time histogram (arrival -> completion) of the messages completed since the previous sample,
   * as sparse [bucket, count] pairs. See latencyBucket() below. Absent when nothing completed.
   */
  lat?: Array<[number, number]>;
}

export type TraceRecord =
  | ScaleRecord
  | KedaPollRecord
  | KedaJobPollRecord
  | HpaSyncRecord
  | PodRecord
  | MessageEventRecord
  | CompletionRecord
  | SampleRecord;

// ---- latency histogram buckets (shared by sim, real and reports) ----
// Log-spaced buckets of 1 % relative width from 1 ms up; bucket 0 holds everything <= 1 ms.
// Bucket b > 0 covers (L * G^(b-1), L * G^b]; its representative value is the upper edge,
// so a percentile read from buckets is never below the true value and at most 1 % above.
// The formula and its table-driven fast path (equal for every double) live in latency-bucket.ts.
export { latencyBucket, latencyBucketExact } from "./latency-bucket.js";

export function bucketUpperEdge(bucket: number): number {
  return bucket <= 0 ? LAT_LOW : LAT_LOW * Math.pow(LAT_GROWTH, bucket);
}

/** Percentile (0..100) from merged sparse buckets; NaN when empty. */
export function percentileFromBuckets(buckets: Map<number, number> | Array<[number, number]>, p: number): number {
  const entries = Array.isArray(buckets) ? [...buckets] : [...buckets.entries()];
  entries.sort((a, b) => a[0] - b[0]);
  let total = 0;
  for (const [, c] of entries) total += c;
  if (total === 0) return Number.NaN;
  // Nearest-rank definition: smallest value with at least p% of observations at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [b, c] of entries) {
    seen += c;
    if (seen >= rank) return bucketUpperEdge(b);
  }
  return bucketUpperEdge(entries[entries.length - 1][0]);
}

/**
 * An `abandoned` message record. `startedAt`: when the abandoned delivery's processing run started
 * (omitted when it had not started); `stage`: topology traces. Fields in the order both models
 * have always written them.
 */
export function abandonedRecord(t: number, id: number, pod: string, reason: string, startedAt?: number, stage?: string): MessageEventRecord {
  const r: MessageEventRecord = { type: "message", t, event: "abandoned", id, pod };
  if (stage !== undefined) r.stage = stage;
  if (startedAt !== undefined) r.startedAt = startedAt;
  r.reason = reason;
  return r;
}

/** Times and seconds in summaries are rounded to the microsecond. */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** A change of spec.replicas as the trace records it and as the summary lists it (`stage`: topology). */
export function scaleRecords(t: number, actor: Actor, from: number, to: number, reason: string, stage?: string): { record: ScaleRecord; event: Summary["scaleEvents"][number] } {
  const record: ScaleRecord = { type: "scale", t, actor, from, to, reason };
  const event: Summary["scaleEvents"][number] = { t: round6(t), from, to, actor, reason };
  if (stage !== undefined) {
    record.stage = stage;
    event.stage = stage;
  }
  return { record, event };
}

export function serializeRecord(r: TraceHeader | TraceRecord): string {
  return JSON.stringify(r);
}

/** Parse a trace.jsonl text into header + records. Throws Error with a line number on bad input. */
export function parseTrace(text: string, file = "trace.jsonl"): { header: TraceHeader; records: TraceRecord[] } {
  const lines = text.split("\n").filter((l) => l.trim().length > 0);
  if (lines.length === 0) throw new Error(`${file}: empty trace`);
  let header: TraceHeader | undefined;
  const records: TraceRecord[] = [];
  lines.forEach((line, i) => {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not valid JSON`);
    }
    if (typeof obj !== "object" || obj === null || typeof (obj as { type?: unknown }).type !== "string") {
      throw new Error(`${file}:${i + 1}: expected an object with a "type" field`);
    }
    if (i === 0) {
      if ((obj as { type: string }).type !== "header") throw new Error(`${file}:1: first line must be the header`);
      header = obj as TraceHeader;
    } else {
      records.push(obj as TraceRecord);
    }
  });
  return { header: header!, records };
}

/** summary.json — the second contract. Times in scenario seconds. */
export interface Summary {
  scenario: string;
  seed: number;
  source: Source;
  simulatedSeconds: number;
  messages: { produced: number; completed: number; deadLettered: number; redelivered: number; lost: number; duplicates: number };
  /** Last departure (completion or dead-letter) minus first arrival; null if nothing arrived. */
  drainTimeS: number | null;
  latencyS: LatencyStats & { wait: LatencyStats; service: LatencyStats };
  replicas: { peak: number; replicaSeconds: number; readyReplicaSeconds: number };
  firstReplicaReadyS: number | null;
  scaleEvents: Array<{ t: number; from: number; to: number; actor: Actor; reason: string; stage?: string }>;
  notes?: Record<string, unknown>;
  /** Topology runs only: one summary per stage (messages and latency are end-to-end above). */
  stages?: StageSummary[];
}

/** Per-stage part of a topology summary. Latency here is the stage's own: enqueued → completed at this stage. */
export interface StageSummary {
  stage: string;
  deployment: string;
  messages: { received: number; completed: number; redelivered: number; lost: number; duplicates: number; stillInStage: number };
  latencyS: LatencyStats;
  replicas: { peak: number; replicaSeconds: number; readyReplicaSeconds: number; peakBusy: number };
  scaleEvents: number;
  notes?: Record<string, unknown>;
}

/** A simulated run's summary: the run's identity, then `body` (the fields in Summary's order). */
export function simSummary(scenario: string, seed: number, simulatedSeconds: number, body: Omit<Summary, "scenario" | "seed" | "source" | "simulatedSeconds">): Summary {
  return { scenario, seed, source: "sim", simulatedSeconds: round6(simulatedSeconds), ...body };
}

export interface LatencyStats {
  n: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** true when percentiles are exact (all values kept), false when read from 1 % buckets. */
  exact: boolean;
}
