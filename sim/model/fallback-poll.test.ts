// Deviation 1 of issue 14: fallback in KEDA's poll loop and no HPA metric reads while it is
// ScalingDisabled.
//   kedacore/keda pkg/scaling/scale_handler.go getScalerState -> processMetricsWithFallback ->
//   pkg/fallback/fallback.go GetMetricsWithFallback (v2.19, kedacore/keda#7244):
//   isActiveOrFallback = fallbackActive || isMetricActive, and err is nil once the fallback is active.
//   kubernetes pkg/controller/podautoscaler/horizontal.go reconcileAutoscaler: spec.replicas 0 with
//   minReplicas != 0 => ScalingDisabled, no computeReplicasForMetrics (no metric request).
import { describe, expect, it } from "vitest";
import { resolveScenario } from "../scenario/load.js";
import type { QueueSnapshot, Trigger } from "../triggers/types.js";
import { Autoscaler, type MetricSource } from "./autoscaler.js";

function autoscaler(extra: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): Autoscaler {
  const s = resolveScenario(
    {
      name: "fallback-poll",
      ...extra,
      producers: [{ type: "burst", count: 1 }],
      manifests: [
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name: "so" },
          spec: {
            scaleTargetRef: { name: "consumer" },
            minReplicaCount: 0,
            maxReplicaCount: 10,
            fallback: { failureThreshold: 2, replicas: 3 },
            triggers: [{ type: "azure-servicebus", metadata: { queueName: "q", messageCount: "5" } }],
            ...spec,
          },
        },
      ],
    },
    process.cwd(),
    "fallback-poll-test.yaml",
  );
  return new Autoscaler(s.scaledObject, s.keda, s.hpa);
}

const failing: MetricSource & { reads: number } = {
  reads: 0,
  snapshotFor(_t: Trigger, _i: number, _at: number): QueueSnapshot | null {
    this.reads++;
    return null;
  },
};

describe("fallback in KEDA's poll loop (getScalerState, KEDA >= 2.19)", () => {
  it("an outage past failureThreshold counts as active with no error: 0 -> 1 and lastActiveTime refreshed", () => {
    const a = autoscaler();
    // failureThreshold 2: failures 1 and 2 are errors (2 > 2 is false), the 3rd activates the fallback.
    const p1 = a.poll(30, true, failing, 0);
    const p2 = a.poll(60, true, failing, 0);
    expect([p1.error, p1.active, p2.error, p2.active]).toEqual([true, false, true, false]);
    expect(p2.result.replicas).toBeNull();
    const p3 = a.poll(90, true, failing, 0);
    expect(p3.error).toBe(false);
    expect(p3.active).toBe(true);
    expect(p3.result.replicas).toBe(1); // scaleFromZeroOrIdle: min 0 => 1
    expect(p3.result.state.lastActiveTime).toBe(90);
    const p4 = a.poll(120, true, failing, 1);
    expect(p4.active).toBe(true);
    expect(p4.result.state.lastActiveTime).toBe(120); // keeps refreshing during the outage
    // the metric is doFallback's target × R = 5 × 3
    expect(p4.metric).toBe(15);
  });

  it("KEDA 2.18 (before #7244): the same outage is an error on every poll and never activates", () => {
    const a = autoscaler({ kedaVersion: "2.18.0" });
    for (let k = 1; k <= 5; k++) {
      const p = a.poll(30 * k, true, failing, 0);
      expect(p.error).toBe(true);
      expect(p.active).toBe(false);
      expect(p.result.replicas).toBeNull();
    }
  });

  it("a Value target at 0 ready replicas: doFallback fails (readyReplicas is zero), so the poll stays an error", () => {
    const a = autoscaler({}, { triggers: [{ type: "azure-servicebus", metricType: "Value", metadata: { queueName: "q", messageCount: "5" } }] });
    for (let k = 1; k <= 4; k++) expect(a.poll(30 * k, true, failing, 0, 0).error).toBe(true);
  });
});

describe("the HPA reads no metrics while ScalingDisabled (horizontal.go reconcileAutoscaler)", () => {
  it("at spec.replicas 0 a sync makes no metric request and counts no failure", () => {
    const a = autoscaler();
    const src = { ...failing, reads: 0 };
    for (let k = 0; k < 4; k++) {
      const res = a.sync(15 * k, true, src, 0, 0, 0);
      expect(res.condition).toBe("ScalingDisabled");
    }
    // and with a working scaler: no request reaches it either
    const ok = { reads: 0, snapshotFor(): QueueSnapshot { this.reads++; return { ready: 40, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0 }; } };
    for (let k = 0; k < 3; k++) a.sync(15 * k, false, ok, 0, 0, 0);
    expect(ok.reads).toBe(0);
    expect(a.sync(45, false, ok, 2, 2, 2).raw).toBe(8); // at 2 replicas it reads (40 / 5)
    expect(ok.reads).toBe(1);
    // The first poll's failure is then the first one (1 <= failureThreshold 2: an error); had the
    // four disabled syncs counted, it would be the 5th and the fallback would activate.
    const p = a.poll(60, true, failing, 0);
    expect(p.error).toBe(true);
    expect(p.active).toBe(false);
  });
});
