import { describe, expect, it } from "vitest";
import { deepFreeze } from "../freeze.js";
import {
  calculateScaleDownLimitWithBehaviors,
  calculateScaleUpLimit,
  calculateScaleUpLimitWithScalingRules,
  convertDesiredReplicasWithBehaviorRate,
  convertDesiredReplicasWithRules,
  defaultHpaConfig,
  externalMetricProposal,
  getReplicasChangePerPeriod,
  initialHpaState,
  isWithinTolerance,
  reconcile,
  resolveBehavior,
  stabilizeRecommendation,
  stabilizeRecommendationWithBehaviors,
  storeScaleEvent,
  tolerancesForHpa,
  type HpaConfig,
  type HpaState,
  type MetricReading,
  type ReconcileResult,
} from "./hpa.js";

const TOL = { scaleDown: 0.1, scaleUp: 0.1 };
const avg = (value: number, target = 5): MetricReading => ({ ok: true, targetType: "AverageValue", target, value });
const counts = (spec: number, status = spec, ready = status) => ({ specReplicas: spec, statusReplicas: status, readyReplicas: ready });


describe("tolerance", () => {
  it("is inclusive on both bounds and never contains NaN", () => {
    expect(isWithinTolerance(TOL, 0.9)).toBe(true);
    expect(isWithinTolerance(TOL, 1.1)).toBe(true);
    expect(isWithinTolerance(TOL, 0.89)).toBe(false);
    expect(isWithinTolerance(TOL, 1.11)).toBe(false);
    expect(isWithinTolerance(TOL, Number.NaN)).toBe(false);
    expect(isWithinTolerance({ scaleDown: 0.36, scaleUp: 0.01 }, 0.65)).toBe(true);
    expect(isWithinTolerance({ scaleDown: 0.36, scaleUp: 0.01 }, 1.02)).toBe(false);
  });

  it("uses behavior tolerances only when behavior is set and the gate is on", () => {
    const behavior = { scaleUp: { tolerance: 0.01 }, scaleDown: { tolerance: 0.3 } };
    expect(tolerancesForHpa({ tolerance: 0.1, behavior, configurableTolerance: true })).toEqual({ scaleDown: 0.3, scaleUp: 0.01 });
    expect(tolerancesForHpa({ tolerance: 0.1, behavior, configurableTolerance: false })).toEqual({ scaleDown: 0.1, scaleUp: 0.1 });
    expect(tolerancesForHpa({ tolerance: 0.1, behavior: null, configurableTolerance: true })).toEqual({ scaleDown: 0.1, scaleUp: 0.1 });
    expect(tolerancesForHpa({ tolerance: 0.2, behavior: { scaleUp: { tolerance: 0 } }, configurableTolerance: true })).toEqual({ scaleDown: 0.2, scaleUp: 0 });
  });

  // Kubernetes < 1.33 replica_calculator.go: math.Abs(1.0-usageRatio) <= c.tolerance; 1.33 (KEP-4951)
  // Tolerances.isWithin. They part at float edges: 55 messages on 10 replicas at 5 each is 1.1.
  it("Kubernetes 1.32: |1 - r| <= tolerance, no per-HPA tolerance; ratio 1.1 scales there and not from 1.33", () => {
    const behavior = { scaleUp: { tolerance: 0.5 } };
    const old = tolerancesForHpa({ tolerance: 0.1, behavior, configurableTolerance: true, kubernetesVersion: "1.32.9" });
    expect(old).toEqual({ scaleDown: 0.1, scaleUp: 0.1, absolute: true });
    expect(isWithinTolerance(old, 55 / 50)).toBe(false);
    expect(isWithinTolerance(old, 0.9)).toBe(true);
    const counts = { specReplicas: 10, statusReplicas: 10, readyReplicas: 10 };
    const at = (v: string) => externalMetricProposal("AverageValue", 5000, 55000, counts, tolerancesForHpa({ tolerance: 0.1, behavior: null, configurableTolerance: true, kubernetesVersion: v }));
    expect(at("1.32.0")).toMatchObject({ replicas: 11, withinTolerance: false });
    expect(at("1.33.0")).toMatchObject({ replicas: 10, withinTolerance: true });
  });
});

describe("externalMetricProposal", () => {
  // oracles-and-anchors.md §1.3 AverageValue decision table (target 5, tolerance 0.1, max 10)
  it.each([
    [1, 23, 5],
    [4, 21, 4], // ratio 1.05 inside the tolerance
    [4, 23, 5], // ratio 1.15
  ])("AverageValue: %i replicas, queue %i -> %i", (current, queue, want) => {
    const p = externalMetricProposal("AverageValue", 5000, queue * 1000, counts(current), TOL);
    expect(p.ok && p.replicas).toBe(want);
  });

  it("AverageValue: 3 replicas, 8600m with target 2150m -> 4 (TestReplicaCalcScaleUpPerPodCMExternal)", () => {
    const p = externalMetricProposal("AverageValue", 2150, 8600, counts(3), TOL);
    expect(p).toEqual({ ok: true, replicas: 4, usageMilli: 8600, currentMilli: 2867, withinTolerance: false });
  });

  it("AverageValue: the tolerance test and its result use status.replicas, not spec (k8s #138505)", () => {
    // spec 4, status 6 (surge): 31/(5*6)=1.03 within => 6, although spec is 4
    const p = externalMetricProposal("AverageValue", 5000, 31000, { specReplicas: 4, statusReplicas: 6, readyReplicas: 2 }, TOL);
    expect(p.ok && p.replicas).toBe(6);
    expect(p.ok && p.withinTolerance).toBe(true);
    // readiness plays no role
    const q = externalMetricProposal("AverageValue", 5000, 48000, { specReplicas: 4, statusReplicas: 4, readyReplicas: 0 }, TOL);
    expect(q.ok && q.replicas).toBe(10);
  });

  it("AverageValue with status 0: never within tolerance, ceil(usage/target)", () => {
    const p = externalMetricProposal("AverageValue", 5000, 12000, counts(0, 0, 0), TOL);
    expect(p.ok && p.replicas).toBe(3);
    const z = externalMetricProposal("AverageValue", 5000, 0, counts(0, 0, 0), TOL);
    expect(z.ok && z.replicas).toBe(0);
  });

  it("Value target multiplies by READY pods and explodes for queue lengths (spec C variant)", () => {
    // Q=42 with 4 ready pods, target 5 => ceil(8.4 * 4) = 34
    const p = externalMetricProposal("Value", 5000, 42000, counts(4), TOL);
    expect(p.ok && p.replicas).toBe(34);
    // unready pods excluded: 3 replicas, 1 ready => ceil(8600/4400*1) = 2
    const u = externalMetricProposal("Value", 4400, 8600, { specReplicas: 3, statusReplicas: 3, readyReplicas: 1 }, TOL);
    expect(u.ok && u.replicas).toBe(2);
    // within tolerance returns spec replicas
    const w = externalMetricProposal("Value", 8666, 8600, counts(4), TOL);
    expect(w.ok && w.replicas).toBe(4);
  });

  it("Value target: spec 0 => ceil(ratio); no pods at all outside tolerance => invalid metric", () => {
    const z = externalMetricProposal("Value", 5000, 12000, counts(0, 0, 0), TOL);
    expect(z.ok && z.replicas).toBe(3);
    const e = externalMetricProposal("Value", 5000, 12000, { specReplicas: 2, statusReplicas: 0, readyReplicas: 0 }, TOL);
    expect(e.ok).toBe(false);
  });

  it("rejects a non-positive target", () => {
    expect(externalMetricProposal("AverageValue", 0, 1000, counts(1), TOL).ok).toBe(false);
  });
});

describe("legacy normalization", () => {
  it("stabilizeRecommendation takes the window max and overwrites the LAST expired slot", () => {
    const now = 1000;
    const recs = [
      { replicas: 10, timestamp: now - 600 },
      { replicas: 4, timestamp: now - 60 },
      { replicas: 5, timestamp: now - 120 },
      { replicas: 9, timestamp: now - 540 },
    ];
    const s = stabilizeRecommendation(recs, 3, now, 300);
    expect(s.stabilized).toBe(5);
    expect(s.recommendations.map((r) => r.replicas)).toEqual([10, 4, 5, 3]);
    expect(recs[3].replicas).toBe(9); // input untouched
  });

  it("also lifts scale-ups to the window max (spec D.1)", () => {
    const s = stabilizeRecommendation([{ replicas: 10, timestamp: 100 }], 6, 200, 300);
    expect(s.stabilized).toBe(10);
  });

  it("window boundary: default expires at age == window; upstreamStrict keeps it one more sync", () => {
    const recs = [{ replicas: 10, timestamp: 37.3 }];
    expect(stabilizeRecommendation(recs, 2, 337.3, 300).stabilized).toBe(2);
    expect(stabilizeRecommendation(recs, 2, 337.3, 300, "upstreamStrict").stabilized).toBe(10);
    expect(stabilizeRecommendation(recs, 2, 337.29, 300).stabilized).toBe(10);
    expect(stabilizeRecommendation(recs, 2, 337.31, 300, "upstreamStrict").stabilized).toBe(2);
    // null list behaves like an empty one
    expect(stabilizeRecommendation(null, 5, 0, 300).recommendations).toEqual([{ replicas: 5, timestamp: 0 }]);
  });

  it("scale-up limit is max(2*current, 4) per sync, no scale-down limit", () => {
    expect([1, 2, 3, 4, 8].map((c) => calculateScaleUpLimit(c))).toEqual([4, 4, 6, 8, 16]);
    expect(convertDesiredReplicasWithRules(1, 10, 1, 10)).toMatchObject({ replicas: 4, condition: "ScaleUpLimit" });
    expect(convertDesiredReplicasWithRules(8, 10, 1, 10)).toMatchObject({ replicas: 10, condition: "DesiredWithinRange" });
    expect(convertDesiredReplicasWithRules(8, 20, 1, 10)).toMatchObject({ replicas: 10, condition: "TooManyReplicas" });
    expect(convertDesiredReplicasWithRules(10, 0, 1, 10)).toMatchObject({ replicas: 1, condition: "TooFewReplicas" });
    expect(convertDesiredReplicasWithRules(10, 2, 1, 10)).toMatchObject({ replicas: 2, condition: "DesiredWithinRange" });
  });
});

describe("behavior normalization", () => {
  it("resolveBehavior fills GenerateHPAScale{Up,Down}Rules defaults field by field; scale-down window from the flag", () => {
    const r = resolveBehavior({}, 300);
    expect(r.scaleUp).toEqual({
      stabilizationWindowSeconds: 0,
      selectPolicy: "Max",
      policies: [
        { type: "Pods", value: 4, periodSeconds: 15 },
        { type: "Percent", value: 100, periodSeconds: 15 },
      ],
    });
    expect(r.scaleDown).toEqual({ stabilizationWindowSeconds: 300, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] });
    const p = resolveBehavior({ scaleDown: { stabilizationWindowSeconds: null, selectPolicy: "Min" }, scaleUp: { stabilizationWindowSeconds: 60, tolerance: 0.05 } }, 120);
    expect(p.scaleDown.stabilizationWindowSeconds).toBe(120);
    expect(p.scaleDown.selectPolicy).toBe("Min");
    expect(p.scaleUp.stabilizationWindowSeconds).toBe(60);
    expect(p.scaleUp.tolerance).toBe(0.05);
    expect(p.scaleUp.policies).toHaveLength(2);
  });

  it("stabilizeRecommendationWithBehaviors clamps current between min(up window) and max(down window)", () => {
    const now = 1000;
    const recs = [
      { replicas: 4, timestamp: now - 120 },
      { replicas: 5, timestamp: now - 60 },
    ];
    expect(stabilizeRecommendationWithBehaviors(recs, { desired: 3, current: 100, upWindowSeconds: 0, downWindowSeconds: 180, now }).stabilized).toBe(5);
    expect(stabilizeRecommendationWithBehaviors(recs, { desired: 7, current: 1, upWindowSeconds: 300, downWindowSeconds: 0, now }).stabilized).toBe(4);
    // never lifts current to an old maximum: scale-up goes to raw
    expect(stabilizeRecommendationWithBehaviors([{ replicas: 10, timestamp: now - 30 }], { desired: 6, current: 2, upWindowSeconds: 0, downWindowSeconds: 300, now }).stabilized).toBe(6);
    // a rec exactly `window` old no longer counts (After is strict)
    expect(stabilizeRecommendationWithBehaviors([{ replicas: 10, timestamp: now - 300 }], { desired: 2, current: 8, upWindowSeconds: 0, downWindowSeconds: 300, now }).stabilized).toBe(2);
  });

  it("getReplicasChangePerPeriod counts events strictly younger than the period", () => {
    const ev = [
      { replicaChange: 1, timestamp: 100 - 60, outdated: false },
      { replicaChange: 9, timestamp: 100 - 20, outdated: false },
    ];
    expect(getReplicasChangePerPeriod(60, ev, 100)).toBe(9);
    expect(getReplicasChangePerPeriod(61, ev, 100)).toBe(10);
  });

  it("scale-up limit: Max/Min/Disabled over Pods and Percent policies, periodStart from events", () => {
    const pol = {
      policies: [
        { type: "Pods" as const, value: 4, periodSeconds: 15 },
        { type: "Percent" as const, value: 100, periodSeconds: 15 },
      ],
    };
    expect(calculateScaleUpLimitWithScalingRules(1, [], [], { ...pol, selectPolicy: "Max" }, 0)).toBe(5);
    expect(calculateScaleUpLimitWithScalingRules(1, [], [], { ...pol, selectPolicy: "Min" }, 0)).toBe(2);
    expect(calculateScaleUpLimitWithScalingRules(7, [], [], { ...pol, selectPolicy: "Disabled" }, 0)).toBe(7);
    const ev = [{ replicaChange: 4, timestamp: 10, outdated: false }];
    // 5 replicas, +4 within the last 15 s => periodStart 1 => limit max(5, 2) = 5
    expect(calculateScaleUpLimitWithScalingRules(5, ev, [], { ...pol, selectPolicy: "Max" }, 20)).toBe(5);
  });

  it("scale-down limit: Percent truncates, Max = largest change = min of proposals", () => {
    const pol = {
      policies: [
        { type: "Pods" as const, value: 2, periodSeconds: 60 },
        { type: "Percent" as const, value: 50, periodSeconds: 60 },
      ],
    };
    expect(calculateScaleDownLimitWithBehaviors(5, [], [], { ...pol, selectPolicy: "Max" }, 0)).toBe(2); // min(3, int(2.5))
    expect(calculateScaleDownLimitWithBehaviors(5, [], [], { ...pol, selectPolicy: "Min" }, 0)).toBe(3);
    expect(calculateScaleDownLimitWithBehaviors(5, [], [], { ...pol, selectPolicy: "Disabled" }, 0)).toBe(5);
    expect(calculateScaleDownLimitWithBehaviors(7, [], [], { selectPolicy: "Max", policies: [{ type: "Percent", value: 30, periodSeconds: 15 }] }, 0)).toBe(4); // int(4.9)
  });

  it("convertDesiredReplicasWithBehaviorRate clamps only in the direction of change", () => {
    const r = resolveBehavior({});
    const base = { minReplicas: 3, maxReplicas: 10, scaleUp: r.scaleUp, scaleDown: r.scaleDown, scaleUpEvents: [], scaleDownEvents: [], now: 0 };
    expect(convertDesiredReplicasWithBehaviorRate({ ...base, currentReplicas: 1, desiredReplicas: 10 })).toMatchObject({ replicas: 5, condition: "ScaleUpLimit" });
    expect(convertDesiredReplicasWithBehaviorRate({ ...base, currentReplicas: 8, desiredReplicas: 30 })).toMatchObject({ replicas: 10, condition: "TooManyReplicas" });
    expect(convertDesiredReplicasWithBehaviorRate({ ...base, currentReplicas: 8, desiredReplicas: 1 })).toMatchObject({ replicas: 3, condition: "TooFewReplicas" });
    // equal: unchanged even below min (the clamp only applies in the direction of change)
    expect(convertDesiredReplicasWithBehaviorRate({ ...base, currentReplicas: 2, desiredReplicas: 2 })).toMatchObject({ replicas: 2, condition: "DesiredWithinRange" });
  });

  it("storeScaleEvent: no-op without behavior; reuses the last outdated slot", () => {
    const st = { scaleUpEvents: [{ replicaChange: 7, timestamp: 100 - 61, outdated: false }, { replicaChange: 6, timestamp: 100 - 59, outdated: false }], scaleDownEvents: [] };
    deepFreeze(st);
    expect(storeScaleEvent(null, st, 1, 5, 100).scaleUpEvents).toEqual(st.scaleUpEvents);
    const b = { scaleUp: { policies: [{ type: "Pods" as const, value: 10, periodSeconds: 60 }] } };
    const out = storeScaleEvent(b, st, 1, 6, 100);
    expect(out.scaleUpEvents.map((e) => [e.replicaChange, e.outdated])).toEqual([
      [5, false],
      [6, false],
    ]);
    const down = storeScaleEvent(b, st, 6, 2, 100);
    expect(down.scaleDownEvents).toEqual([{ replicaChange: 4, timestamp: 100, outdated: false }]);
    expect(down.scaleUpEvents).toEqual(st.scaleUpEvents);
  });
});

// ---------------------------------------------------------------------------------------------
// reconcile

const sync = (cfg: HpaConfig, state: HpaState, now: number, spec: number, metrics: MetricReading[], status = spec, ready = status) =>
  reconcile(cfg, state, { now, specReplicas: spec, statusReplicas: status, readyReplicas: ready, metrics });

describe("reconcile: branches (spec A.2)", () => {
  const cfg = defaultHpaConfig(1, 10);

  it("spec 0 => ScalingDisabled, desired 0, no rescale, no metrics used", () => {
    const r = sync(cfg, initialHpaState, 5, 0, [avg(500)]);
    expect(r).toMatchObject({ desired: 0, rescale: false, raw: null, stabilized: null, condition: "ScalingDisabled", metricValue: null });
    // upstream recordInitialRecommendation runs before the branch: first sync creates the list
    expect(r.state.recommendations).toEqual([{ replicas: 0, timestamp: 5 }]);
    // an existing list is left alone
    const again = sync(cfg, r.state, 20, 0, [avg(500)]);
    expect(again.state.recommendations).toEqual([{ replicas: 0, timestamp: 5 }]);
    expect(again.state.scaleUpEvents).toEqual([]);
  });

  it("spec > max => max and spec < min => min, without reading metrics", () => {
    const over = sync(cfg, initialHpaState, 0, 12, [{ ok: false }]);
    expect(over).toMatchObject({ desired: 10, rescale: true, raw: null, condition: "TooManyReplicas" });
    const under = sync(defaultHpaConfig(3, 10), initialHpaState, 0, 2, [{ ok: false }]);
    expect(under).toMatchObject({ desired: 3, rescale: true, raw: null, condition: "TooFewReplicas" });
  });

  it("(10 replicas, queue 100) => 10, clamped by max", () => {
    const r = sync(cfg, initialHpaState, 0, 10, [avg(100)]);
    expect(r).toMatchObject({ desired: 10, rescale: false, raw: 20, condition: "TooManyReplicas" });
  });

  it("within tolerance => ToleranceHold, no rescale", () => {
    const r = sync(cfg, initialHpaState, 0, 4, [avg(21)]);
    expect(r).toMatchObject({ desired: 4, rescale: false, raw: 4, condition: "ToleranceHold", metricValue: 21 });
  });

  it("metric proposals: the max over metrics wins", () => {
    const r = sync(cfg, { ...initialHpaState, recommendations: [] }, 0, 2, [avg(6), avg(30, 10), avg(12)]);
    expect(r.raw).toBe(3);
    expect(r.metricValue).toBe(30);
  });

  it("invalid metrics: all invalid => hold; some invalid and valid max < spec => hold; valid max >= spec => scale", () => {
    const all = sync(cfg, initialHpaState, 0, 4, [{ ok: false }, { ok: false }]);
    expect(all).toMatchObject({ desired: 4, rescale: false, raw: null, condition: "InvalidMetric", metricValue: null });
    const down = sync(cfg, initialHpaState, 0, 4, [{ ok: false }, avg(5)]);
    expect(down).toMatchObject({ desired: 4, rescale: false, condition: "InvalidMetric" });
    const up = sync(cfg, initialHpaState, 0, 4, [{ ok: false }, avg(35)]);
    expect(up).toMatchObject({ desired: 7, rescale: true, raw: 7 });
    const none = sync(cfg, initialHpaState, 0, 4, []);
    expect(none).toMatchObject({ desired: 4, rescale: false, condition: "InvalidMetric" });
  });

  it("does not mutate its inputs", () => {
    const state = deepFreeze({
      recommendations: [{ replicas: 3, timestamp: 0 }],
      scaleUpEvents: [{ replicaChange: 1, timestamp: 0, outdated: false }],
      scaleDownEvents: [],
    });
    const bcfg = deepFreeze({ ...defaultHpaConfig(1, 10), behavior: {} });
    const input = deepFreeze({ now: 30, specReplicas: 2, statusReplicas: 2, readyReplicas: 2, metrics: [avg(40)] });
    expect(() => reconcile(bcfg, state, input)).not.toThrow();
    expect(() => reconcile(deepFreeze(defaultHpaConfig(1, 10)), state, input)).not.toThrow();
  });

  it("stores scale events only on rescale and only with a behavior", () => {
    const legacy = sync(cfg, initialHpaState, 0, 2, [avg(40)]);
    expect(legacy.rescale).toBe(true);
    expect(legacy.state.scaleUpEvents).toEqual([]);
    const bcfg = { ...cfg, behavior: {} };
    const up = sync(bcfg, initialHpaState, 0, 2, [avg(40)]);
    expect(up.state.scaleUpEvents).toEqual([{ replicaChange: 4, timestamp: 0, outdated: false }]);
    const hold = sync(bcfg, up.state, 15, 6, [avg(31)]);
    expect(hold.rescale).toBe(false);
    expect(hold.state.scaleUpEvents).toEqual(up.state.scaleUpEvents);
    expect(hold.state.scaleDownEvents).toEqual([]);
  });

  it("per-HPA tolerance from behavior (HPAConfigurableTolerance)", () => {
    const bcfg: HpaConfig = { ...cfg, behavior: { scaleUp: { tolerance: 0.01 } } };
    expect(sync(bcfg, initialHpaState, 0, 4, [avg(21)]).desired).toBe(5);
    expect(sync({ ...bcfg, configurableTolerance: false }, initialHpaState, 0, 4, [avg(21)]).desired).toBe(4);
  });
});

describe("reconcile: §1.3 oracles", () => {
  it.each([
    [1, 23, 5],
    [4, 21, 4],
    [4, 23, 5],
    [10, 100, 10],
  ])("behavior defaults: %i replicas, queue %i -> %i", (current, queue, want) => {
    const cfg: HpaConfig = { ...defaultHpaConfig(1, 10), behavior: {} };
    expect(sync(cfg, initialHpaState, 0, current, [avg(queue)]).desired).toBe(want);
  });

  it("legacy path caps the first step from 1 at max(2x1,4) = 4 (spec A.5 comparison)", () => {
    expect(sync(defaultHpaConfig(1, 10), initialHpaState, 0, 1, [avg(23)])).toMatchObject({ raw: 5, desired: 4, condition: "ScaleUpLimit" });
  });

  it("3 replicas, 8600m / 2150m -> 4", () => {
    expect(sync(defaultHpaConfig(1, 10), initialHpaState, 0, 3, [avg(8.6, 2.15)]).desired).toBe(4);
  });

  it("default scale-up policy under unlimited demand: 1 -> 5 -> 10 -> 20 on successive 15 s periods", () => {
    const cfg: HpaConfig = { ...defaultHpaConfig(1, 100), behavior: {} };
    let state: HpaState = initialHpaState;
    let replicas = 1;
    const seen: number[] = [];
    for (const t of [0, 15, 30]) {
      const r = sync(cfg, state, t, replicas, [avg(100000)]);
      state = r.state;
      replicas = r.desired;
      seen.push(replicas);
    }
    expect(seen).toEqual([5, 10, 20]);
  });

  it("the previous step still counts when the next sync is less than 15 s later", () => {
    const cfg: HpaConfig = { ...defaultHpaConfig(1, 100), behavior: {} };
    const first = sync(cfg, initialHpaState, 0, 1, [avg(100000)]);
    expect(first.desired).toBe(5);
    const early = sync(cfg, first.state, 14.9, 5, [avg(100000)]);
    expect(early).toMatchObject({ desired: 5, rescale: false }); // periodStart 1 => limit 5
  });
});

describe("reconcile: seed walk-through (spec C), phi_k = 30, d = 0.5, in-flight counted", () => {
  // Queue (not yet completed, incl. in-flight) at each HPA sync; KEDA sets 1 at t=30 and 0 at t=360.
  const queueAt = (t: number): number => (t < 45 ? 50 : t < 60 ? 41 : t < 70 ? 21 : 0);

  function run(cfg: HpaConfig, until = 360) {
    let state: HpaState = initialHpaState;
    let spec = 0;
    const steps: { t: number; r: ReconcileResult }[] = [];
    for (let t = 0.5; t < until; t += 15) {
      if (t > 30 && spec === 0 && steps.every((s) => s.r.desired === 0)) spec = 1; // KEDA activation at 30
      const r = sync(cfg, state, t, spec, [avg(queueAt(t))]);
      steps.push({ t, r });
      state = r.state;
      spec = r.desired;
    }
    return steps;
  }

  it("legacy: ScalingDisabled at 0, then 1 -> 4 -> 8 -> 10, 10 held until it leaves the 300 s window, then 9, 5", () => {
    const steps = run(defaultHpaConfig(1, 10));
    const at = (t: number) => steps.find((s) => Math.abs(s.t - t) < 1e-9)!.r;
    expect(at(0.5).condition).toBe("ScalingDisabled");
    expect(at(15.5).condition).toBe("ScalingDisabled");
    expect(at(30.5)).toMatchObject({ raw: 10, desired: 4, condition: "ScaleUpLimit" });
    expect(at(45.5)).toMatchObject({ raw: 9, stabilized: 10, desired: 8 });
    expect(at(60.5)).toMatchObject({ raw: 5, stabilized: 10, desired: 10 });
    for (let t = 75.5; t < 330; t += 15) expect(at(t)).toMatchObject({ raw: 0, stabilized: 10, desired: 10, rescale: false });
    expect(at(330.5)).toMatchObject({ raw: 0, stabilized: 9, desired: 9 }); // the 10 from 30.5 is 300 s old
    expect(at(345.5)).toMatchObject({ raw: 0, stabilized: 5, desired: 5 });
    expect(steps.map((s) => s.r.desired).filter((d, k, a) => k === 0 || d !== a[k - 1])).toEqual([0, 4, 8, 10, 9, 5]);
  });

  it("legacy with the exact upstream boundary keeps the 10 one sync longer (spec A.1 note)", () => {
    const steps = run({ ...defaultHpaConfig(1, 10), legacyWindowBoundary: "upstreamStrict" });
    const at = (t: number) => steps.find((s) => Math.abs(s.t - t) < 1e-9)!.r;
    expect(at(330.5).desired).toBe(10);
    expect(at(345.5).desired).toBe(9);
  });

  it("behavior set to the defaults: 1 -> 5 -> 8, holds 8 until h2's raw value leaves the window", () => {
    const q = (t: number): number => (t < 45 ? 50 : t < 60 ? 40 : t < 70 ? 10 : 0);
    const cfg: HpaConfig = { ...defaultHpaConfig(1, 10), behavior: {} };
    let state: HpaState = initialHpaState;
    let spec = 0;
    const out: [number, number][] = [];
    for (let t = 0.5; t < 360; t += 15) {
      if (t > 30 && spec === 0 && out.every(([, d]) => d === 0)) spec = 1;
      const r = sync(cfg, state, t, spec, [avg(q(t))]);
      state = r.state;
      spec = r.desired;
      out.push([t, r.desired]);
    }
    const at = (t: number) => out.find(([x]) => Math.abs(x - t) < 1e-9)![1];
    expect(at(30.5)).toBe(5);
    expect(at(45.5)).toBe(8);
    for (let t = 60.5; t < 345; t += 15) expect(at(t)).toBe(8);
    expect(at(345.5)).toBe(2); // 8@45.5 expired; max of the window is raw(60.5) = 2
    expect(Math.max(...out.map(([, d]) => d))).toBe(8); // peak 8, not 10
  });
});
