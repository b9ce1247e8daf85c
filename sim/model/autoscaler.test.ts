import { describe, expect, it } from "vitest";
import { resolveScenario } from "../scenario/load.js";
import type { QueueSnapshot, Trigger } from "../triggers/types.js";
import { Autoscaler, type AutoscalerOptions, type MetricSource } from "./autoscaler.js";

// One Service Bus trigger (messageCount 5) on a 1..10 ScaledObject; `trigger` and `spec` override.
function autoscaler(trigger: Record<string, unknown> = {}, spec: Record<string, unknown> = {}, opts: AutoscalerOptions = {}, extra: Record<string, unknown> = {}): Autoscaler {
  const s = resolveScenario(
    {
      name: "autoscaler",
      ...extra,
      producers: [{ type: "burst", count: 1 }],
      manifests: [
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name: "so" },
          spec: { scaleTargetRef: { name: "consumer" }, minReplicaCount: 1, maxReplicaCount: 10, triggers: [{ type: "azure-servicebus", metadata: { queueName: "q", messageCount: "5" }, ...trigger }], ...spec },
        },
      ],
    },
    process.cwd(),
    "autoscaler-test.yaml",
  );
  return new Autoscaler(s.scaledObject, s.keda, s.hpa, opts);
}

/** A source whose queue holds `ready` messages (null: the read fails), counting the reads. */
function queue(ready: number | null): MetricSource & { reads: number; ready: number | null } {
  return {
    reads: 0,
    ready,
    snapshotFor(_trigger: Trigger, _i: number, _t: number): QueueSnapshot | null {
      this.reads++;
      return this.ready === null ? null : { ready: this.ready, inFlight: 0, prefetched: 0, publishRate: 0, deliverRate: 0 };
    },
  };
}

describe("Autoscaler (KEDA's poll and the HPA's sync for one ScaledObject)", () => {
  it("the HPA's proposal follows the queue it reads: 40 messages at 5 per replica is 8", () => {
    const a = autoscaler();
    const src = queue(40);
    const res = a.sync(15, false, src, 2, 2, 2);
    expect(src.reads).toBe(1);
    expect(res.raw).toBe(8);
    expect(a.hpaSyncs).toBe(1);
  });

  it("useCachedMetrics: the HPA gets the value of KEDA's last poll and does not read the queue", () => {
    const a = autoscaler({ useCachedMetrics: true });
    expect(a.needsRead(false)).toEqual([true]); // nothing cached before the first poll
    const src = queue(40);
    a.poll(0, false, src, 2);
    expect(a.needsRead(false)).toEqual([false]);
    src.ready = 0; // the queue drained since the poll
    const res = a.sync(15, false, src, 2, 2, 2);
    expect(src.reads).toBe(1); // the poll's read only
    expect(res.raw).toBe(8); // from the cached 40, not the live 0
    // while the scaler fails, the cache is not served: the query fails like any other
    expect(a.needsRead(true)).toEqual([true]);
  });

  it("a failing scaler is not read; a trigger whose read fails counts as a scaler error too", () => {
    const a = autoscaler();
    const src = queue(40);
    const failing = a.poll(0, true, src, 2);
    expect(src.reads).toBe(0);
    expect(failing).toMatchObject({ error: true, active: false, metric: null });
    const unread = a.poll(30, false, queue(null), 2);
    expect(unread).toMatchObject({ error: true, metric: null });
    expect(a.poll(60, false, src, 2)).toMatchObject({ error: false, active: true, metric: 40 });
  });

  it("fallback: an error until failures pass failureThreshold, then the fallback replicas; none for a Value target with 0 ready", () => {
    const fallback = { fallback: { failureThreshold: 2, replicas: 6 } };
    const a = autoscaler({}, fallback);
    const src = queue(40);
    const conditions = [0, 15, 30].map((t) => a.sync(t, true, src, 2, 2, 2));
    expect(conditions.map((r) => r.condition)).toEqual(["InvalidMetric", "InvalidMetric", expect.not.stringMatching(/^InvalidMetric$/)]);
    expect(conditions[2].raw).toBe(6);
    const v = autoscaler({ metricType: "Value" }, fallback);
    for (const t of [0, 15, 30]) {
      const res = v.sync(t, true, src, 2, 2, 0);
      expect(res.condition).toBe("InvalidMetric");
      expect(res.metricValue).toBeNull();
    }
  });

  it("kedaPoll: the keda-poll record in the trace's field order, and 0 → 1 only when the queue is active", () => {
    const a = autoscaler({}, { minReplicaCount: 0 });
    const idle = a.kedaPoll(7, queue(0), 0);
    expect(JSON.stringify(idle.record)).toBe('{"type":"keda-poll","t":7,"metric":0,"active":false,"error":false,"lastActiveTime":null,"condition":"ScalerNotActive"}');
    expect(idle.to).toBeNull();
    const busy = a.kedaPoll(37, queue(3), 0);
    expect(busy.record).toMatchObject({ metric: 3, active: true, lastActiveTime: 37 });
    expect(busy.to).toBe(1);
    expect(busy.reason).toMatch(/0 to 1/);
    // already at 1: nothing to set
    expect(a.kedaPoll(67, queue(3), 1).to).toBeNull();
  });

  it("hpaSync: the hpa-sync record, the new spec.replicas, and no change when desired equals spec", () => {
    const a = autoscaler();
    const up = a.hpaSync(15, queue(40), 2, 2, 2);
    // 40 / 5 = 8, limited to max(2 × 2, 4) = 4 per sync
    expect(JSON.stringify(up.record)).toBe('{"type":"hpa-sync","t":15,"metric":40,"specReplicas":2,"statusReplicas":2,"raw":8,"desired":4,"condition":"ScaleUpLimit"}');
    expect(up.to).toBe(4);
    expect(up.reason).toMatch(/limited to 4/);
    const same = autoscaler().hpaSync(15, queue(20), 4, 4, 4);
    expect(same.record.desired).toBe(4);
    expect(same.to).toBeNull();
  });

  it("scalerErrors windows: the scaler fails from `from` (inclusive) to `until` (exclusive), and both loops record the error", () => {
    const a = autoscaler({}, {}, { scalerErrors: [{ from: 10, until: 20 }] });
    expect([9.99, 10, 19.99, 20].map((t) => a.scalerErrorAt(t))).toEqual([false, true, true, false]);
    const src = queue(40);
    expect(a.kedaPoll(10, src, 2).record).toMatchObject({ error: true, metric: null });
    expect(a.hpaSync(15, src, 2, 2, 2).record).toMatchObject({ metric: null, condition: "InvalidMetric" });
    expect(src.reads).toBe(0);
    expect(a.hpaNeedsRead(15)).toEqual([true]);
  });

  it("a topology stage's records carry its name, last", () => {
    const a = autoscaler({}, {}, { stage: "mapper" });
    expect(Object.keys(a.kedaPoll(0, queue(1), 1).record).at(-1)).toBe("stage");
    expect(a.hpaSync(15, queue(1), 1, 1, 1).record.stage).toBe("mapper");
    expect(autoscaler().kedaPoll(0, queue(1), 1).record.stage).toBeUndefined();
  });

  it("loop times: first poll at createdAt + pollPhase, then every pollingInterval; syncs every syncPeriod + drift", () => {
    const a = autoscaler({}, { pollingInterval: 20 }, {}, { keda: { pollPhaseSeconds: 4, createdAt: 100 }, hpa: { syncPhaseSeconds: 3, syncPeriodSeconds: 15, driftSecondsPerSync: 0.5 } });
    expect(a.firstPollAt).toBe(104);
    expect(a.nextPollAt(104)).toBe(124);
    expect(a.firstSyncAt).toBe(3);
    expect(a.nextSyncAt(3)).toBe(18.5);
  });
});

// Deviation 1 of issue 14: fallback in KEDA's poll loop and no HPA metric reads while it is
// ScalingDisabled.
//   kedacore/keda pkg/scaling/scale_handler.go getScalerState -> processMetricsWithFallback ->
//   pkg/fallback/fallback.go GetMetricsWithFallback (v2.19, kedacore/keda#7244):
//   isActiveOrFallback = fallbackActive || isMetricActive, and err is nil once the fallback is active.
//   kubernetes pkg/controller/podautoscaler/horizontal.go reconcileAutoscaler: spec.replicas 0 with
//   minReplicas != 0 => ScalingDisabled, no computeReplicasForMetrics (no metric request).
// A 0..10 ScaledObject with fallback (failureThreshold 2, 3 replicas) on the Service Bus trigger.
const fallbackAutoscaler = (extra: Record<string, unknown> = {}, trigger: Record<string, unknown> = {}) =>
  autoscaler(trigger, { minReplicaCount: 0, fallback: { failureThreshold: 2, replicas: 3 } }, {}, extra);
/** A scaler that fails on every read (counting them). */
const down = queue(null);

describe("fallback in KEDA's poll loop (getScalerState, KEDA >= 2.19)", () => {
  it("an outage past failureThreshold counts as active with no error: 0 -> 1 and lastActiveTime refreshed", () => {
    const a = fallbackAutoscaler();
    // failureThreshold 2: failures 1 and 2 are errors (2 > 2 is false), the 3rd activates the fallback.
    const p1 = a.poll(30, true, down, 0);
    const p2 = a.poll(60, true, down, 0);
    expect([p1.error, p1.active, p2.error, p2.active]).toEqual([true, false, true, false]);
    expect(p2.result.replicas).toBeNull();
    const p3 = a.poll(90, true, down, 0);
    expect(p3.error).toBe(false);
    expect(p3.active).toBe(true);
    expect(p3.result.replicas).toBe(1); // scaleFromZeroOrIdle: min 0 => 1
    expect(p3.result.state.lastActiveTime).toBe(90);
    const p4 = a.poll(120, true, down, 1);
    expect(p4.active).toBe(true);
    expect(p4.result.state.lastActiveTime).toBe(120); // keeps refreshing during the outage
    // the metric is doFallback's target × R = 5 × 3
    expect(p4.metric).toBe(15);
  });

  it("KEDA 2.18 (before #7244): the same outage is an error on every poll and never activates", () => {
    const a = fallbackAutoscaler({ kedaVersion: "2.18.0" });
    for (let k = 1; k <= 5; k++) {
      const p = a.poll(30 * k, true, down, 0);
      expect(p.error).toBe(true);
      expect(p.active).toBe(false);
      expect(p.result.replicas).toBeNull();
    }
  });

  it("a Value target at 0 ready replicas: doFallback fails (readyReplicas is zero), so the poll stays an error", () => {
    const a = fallbackAutoscaler({}, { metricType: "Value" });
    for (let k = 1; k <= 4; k++) expect(a.poll(30 * k, true, down, 0, 0).error).toBe(true);
  });
});

describe("the HPA reads no metrics while ScalingDisabled (horizontal.go reconcileAutoscaler)", () => {
  it("at spec.replicas 0 a sync makes no metric request and counts no failure", () => {
    const a = fallbackAutoscaler();
    const src = queue(null);
    for (let k = 0; k < 4; k++) {
      const res = a.sync(15 * k, true, src, 0, 0, 0);
      expect(res.condition).toBe("ScalingDisabled");
    }
    // and with a working scaler: no request reaches it either
    const ok = queue(40);
    for (let k = 0; k < 3; k++) a.sync(15 * k, false, ok, 0, 0, 0);
    expect(ok.reads).toBe(0);
    expect(a.sync(45, false, ok, 2, 2, 2).raw).toBe(8); // at 2 replicas it reads (40 / 5)
    expect(ok.reads).toBe(1);
    // The first poll's failure is then the first one (1 <= failureThreshold 2: an error); had the
    // four disabled syncs counted, it would be the 5th and the fallback would activate.
    const p = a.poll(60, true, down, 0);
    expect(p.error).toBe(true);
    expect(p.active).toBe(false);
  });
});

// Deviation 4 of issue 14: KEDA reads its clock after the scalers answered
// (pkg/scaling/executor/scale_scaledobjects.go updateLastActiveTime with metav1.Now(), and
// scaleToZeroOrIdle's LastActiveTime.Add(cooldownPeriod).Before(time.Now())), so LastActiveTime is
// the truncated tick + query latency and the cooldown test is against tick + latency too.
describe("when KEDA takes LastActiveTime (after the scalers answered)", () => {
  // 0..10, pollingInterval 30, cooldownPeriod 300; last active poll at `lastActive`, then inactive.
  const scaleInAt = (phase: number, latency?: number): number | null => {
    const keda: Record<string, unknown> = { pollPhaseSeconds: phase };
    if (latency !== undefined) keda.scalerQueryLatencySeconds = latency;
    const a = autoscaler({}, { minReplicaCount: 0, cooldownPeriod: 300 }, {}, { keda });
    const lastActive = a.firstPollAt + 30;
    for (let t = a.firstPollAt; t <= lastActive; t = a.nextPollAt(t)) a.kedaPoll(t, queue(40), 3);
    for (let t = a.nextPollAt(lastActive); t < lastActive + 400; t = a.nextPollAt(t)) {
      if (a.kedaPoll(t, queue(0), 3).to === 0) return t - lastActive;
    }
    return null;
  };

  it("N -> 0 lands on the poll exactly cooldownPeriod after the last active one, for whole-second and fractional phases", () => {
    for (const phase of [0, 1, 7, 29, 0.25, 13.5, 29.995]) expect(scaleInAt(phase), `phase ${phase}`).toBe(300);
  });

  it("the record carries the truncated clock reading: tick 0.995 + 0.01 s latency gives LastActiveTime 1", () => {
    const a = autoscaler({}, { minReplicaCount: 0 }, {}, { keda: { pollPhaseSeconds: 0.995 } });
    expect(a.kedaPoll(0.995, queue(40), 0).record.lastActiveTime).toBe(1);
  });

  it("with no latency (the old model) a whole-second phase waits one more poll", () => {
    expect(scaleInAt(0, 0)).toBe(330);
    expect(scaleInAt(0.25, 0)).toBe(300);
  });

  it("rejects a latency above 5 s with the field path", () => {
    expect(() => scaleInAt(0, 6)).toThrow(/keda\.scalerQueryLatencySeconds/);
  });
});
