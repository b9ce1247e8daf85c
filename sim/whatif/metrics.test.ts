import { describe, expect, it } from "vitest";
import { join, resolve } from "node:path";
import { loadScenario } from "../scenario/load.js";
import { simulate } from "../run.js";
import { bucketUpperEdge, type Summary, type TraceRecord } from "../trace.js";
import { METRIC_INDEX, metricsOf, metricsOfRun } from "./metrics.js";

const SC = resolve(import.meta.dirname, "../../fixtures/scenarios");

function summary(over: Partial<Summary["messages"]> = {}, lat: Partial<Summary["latencyS"]> = {}): Summary {
  const L = { n: 4, mean: 10, p50: 8, p90: 20, p95: 20, p99: 20, max: 20, exact: true };
  return {
    scenario: "x",
    seed: 1,
    source: "sim",
    simulatedSeconds: 100,
    messages: { produced: 4, completed: 4, deadLettered: 0, redelivered: 0, lost: 0, duplicates: 0, ...over },
    drainTimeS: 30,
    latencyS: { ...L, ...lat, wait: { ...L, max: 15 }, service: L },
    replicas: { peak: 3, replicaSeconds: 120, readyReplicaSeconds: 100 },
    firstReplicaReadyS: 1,
    scaleEvents: [],
  };
}

const scale = (t: number, from: number, to: number): TraceRecord => ({ type: "scale", t, actor: "hpa", from, to, reason: "" });

describe("run figures", () => {
  it("counts cold starts (scale from 0), flaps (a scale-up after a scale-down) and work interrupted mid-run", () => {
    const recs: TraceRecord[] = [
      scale(1, 0, 1),
      scale(2, 1, 4),
      scale(3, 4, 2),
      scale(4, 2, 5), // flap
      scale(5, 5, 0),
      scale(6, 0, 1), // cold start and flap
      { type: "message", t: 7, event: "abandoned", id: 1, pod: "p", startedAt: 6.5, reason: "SIGKILL" },
      { type: "message", t: 7, event: "abandoned", id: 2, pod: "p", reason: "prefetched, not started" },
    ];
    const m = metricsOf(summary(), recs, 100);
    expect(m[METRIC_INDEX.coldStarts]).toBe(2);
    expect(m[METRIC_INDEX.flaps]).toBe(2);
    expect(m[METRIC_INDEX.interrupted]).toBe(1);
    expect(m[METRIC_INDEX.p95]).toBe(20);
    expect(m[METRIC_INDEX.maxWait]).toBe(15);
    expect(m[METRIC_INDEX.replicaSeconds]).toBe(120);
  });

  it("a message never completed counts as infinitely late (a config that leaves work undone must not look fast)", () => {
    // 2 of 4 completed: p50 rank 2 is the slower completed one (from the samples' histograms); p95 rank 4 is unbounded
    const lat: TraceRecord = { type: "sample", t: 10, metric: 0, queued: 2, inFlight: 0, produced: 4, completed: 2, deadLettered: 0, redelivered: 0, lost: 0, desired: 1, current: 1, ready: 1, terminating: 0, busy: 0, lat: [[300, 1], [400, 1]] };
    const m = metricsOf(summary({ completed: 2 }, { p50: 1, p95: 2 }), [lat], 10);
    expect(m[METRIC_INDEX.p95]).toBe(Infinity);
    expect(m[METRIC_INDEX.p50]).toBe(bucketUpperEdge(400));
    expect(m[METRIC_INDEX.maxWait]).toBe(Infinity);
    expect(m[METRIC_INDEX.unfinished]).toBe(2);
  });

  it("reads a real run: the seed burst's figures match its summary", () => {
    const sc = loadScenario(join(SC, "seed-000-burst-50.yaml"));
    const out = simulate(sc);
    const m = metricsOfRun(sc, out.summary, out.records, out.events);
    expect(m[METRIC_INDEX.p95]).toBe(out.summary.latencyS.p95);
    expect(m[METRIC_INDEX.coldStarts]).toBe(1);
    expect(m[METRIC_INDEX.flaps]).toBe(0);
    expect(m[METRIC_INDEX.completed]).toBe(50);
    expect(m[METRIC_INDEX.peak]).toBe(10);
  });
});
