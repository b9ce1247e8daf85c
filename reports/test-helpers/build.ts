// Tiny hand-built trace pieces for exact-value tests.

import type { LatencyStats, SampleRecord, ScaleRecord, Source, Summary, TraceHeader } from "../../sim/trace.js";

export function header(o: { source?: Source; scenario?: string; seed?: number } & Partial<TraceHeader["scaling"]> = {}): TraceHeader {
  const { source = "sim", scenario = "hand-built", seed = 1, ...scaling } = o;
  return {
    type: "header",
    version: 1,
    scenario,
    source,
    seed,
    scaling: {
      minReplicaCount: 0,
      maxReplicaCount: 10,
      idleReplicaCount: null,
      target: 5,
      targetType: "AverageValue",
      triggerType: "aws-sqs-queue",
      metricDescription: "visible + in-flight messages",
      pollingInterval: 30,
      cooldownPeriod: 300,
      hpaSyncPeriod: 15,
      behavior: "legacy",
      ...scaling,
    },
  };
}

export function sample(t: number, o: Partial<SampleRecord> = {}): SampleRecord {
  return {
    type: "sample",
    t,
    metric: 0,
    queued: 0,
    inFlight: 0,
    produced: 0,
    completed: 0,
    deadLettered: 0,
    redelivered: 0,
    lost: 0,
    desired: 0,
    current: 0,
    ready: 0,
    terminating: 0,
    busy: 0,
    ...o,
  };
}

export function scale(t: number, actor: "keda" | "hpa", from: number, to: number, reason = "test"): ScaleRecord {
  return { type: "scale", t, actor, from, to, reason };
}

const noLat: LatencyStats = { n: 0, mean: null, p50: null, p90: null, p95: null, p99: null, max: null, exact: true };

export function summaryOf(o: Partial<Summary> = {}): Summary {
  return {
    scenario: "hand-built",
    seed: 1,
    source: "sim",
    simulatedSeconds: 10,
    messages: { produced: 0, completed: 0, deadLettered: 0, redelivered: 0, lost: 0, duplicates: 0 },
    drainTimeS: null,
    latencyS: { ...noLat, wait: noLat, service: noLat },
    replicas: { peak: 0, replicaSeconds: 0, readyReplicaSeconds: 0 },
    firstReplicaReadyS: null,
    scaleEvents: [],
    ...o,
  };
}
