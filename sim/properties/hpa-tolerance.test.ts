// Tolerance: the HPA does not change replicas when the usage ratio is within the tolerance band.
// Checked on the pure reconcile() with random inputs and random histories, and on simulated
// traces. Tolerances are whole percents here, and "within" is decided in exact integer
// arithmetic, strictly inside the band (or at ratio exactly 1), so no float rounding at the band's
// edge can make a true statement look false.
//
// The precise statements (what upstream does — replica_calculator.go / horizontal.go):
//  - AverageValue: within tolerance the proposal is status.replicas (not spec: k8s #138505).
//  - With spec == status, the decision is "no change" — with behavior set for ANY history (the
//    stabilized value clamps current between min(up window) ≤ current ≤ max(down window)); on the
//    legacy path when no stored recommendation in the window is above current (otherwise the
//    window max legitimately lifts it: spec D.1).
//  - Value targets: within tolerance the proposal is spec.replicas.
import { describe, it } from "vitest";
import fc from "fast-check";
import { timeout } from "./budget.js";
import { checkProperty } from "./replay.js";
import { resolveRaw, scenarioArb } from "./arbitraries.js";
import { syncsOf, Violation } from "./checks.js";
import { simulate } from "../run.js";
import { deepFreeze } from "../freeze.js";
import {
  defaultHpaConfig,
  reconcile,
  type HpaBehavior,
  type HpaConfig,
  type HpaScalingPolicy,
  type HpaState,
  type MetricTargetType,
  type Recommendation,
  type ScaleEvent,
} from "../decisions/hpa.js";

const pct = fc.constantFrom(10, 0, 5, 25, 50);

const rulesArb = fc.record(
  {
    stabilizationWindowSeconds: fc.constantFrom(0, 15, 60, 300),
    selectPolicy: fc.constantFrom("Max" as const, "Min" as const, "Disabled" as const),
    policies: fc.array(
      fc.record({ type: fc.constantFrom("Pods" as const, "Percent" as const), value: fc.integer({ min: 1, max: 200 }), periodSeconds: fc.constantFrom(15, 60) }),
      { minLength: 1, maxLength: 3 },
    ) as fc.Arbitrary<HpaScalingPolicy[]>,
    tolerancePct: pct,
  },
  { requiredKeys: [] },
);

interface Case {
  min: number;
  max: number;
  spec: number;
  status: number;
  targetMilli: number;
  tolPct: number;
  configurable: boolean;
  behavior: HpaBehavior | null;
  upPct: number;
  downPct: number;
  pick: number; // where in the band the usage falls, 0..1
  now: number;
  history: { recs: Recommendation[]; up: ScaleEvent[]; down: ScaleEvent[] };
}

const caseArb = (sameStatus: boolean, legacyCapped: boolean): fc.Arbitrary<Case> =>
  fc
    .record({
      min: fc.integer({ min: 1, max: 5 }),
      span: fc.integer({ min: 0, max: 20 }),
      specAt: fc.integer({ min: 0, max: 20 }),
      statusDelta: sameStatus ? fc.constant(0) : fc.integer({ min: -3, max: 3 }),
      targetMilli: fc.integer({ min: 1, max: 20 }).map((t) => t * 1000),
      tolPct: pct,
      configurable: fc.boolean(),
      behavior: fc.option(fc.record({ scaleUp: rulesArb, scaleDown: rulesArb }, { requiredKeys: [] })),
      pick: fc.double({ min: 0, max: 1, noNaN: true }),
      now: fc.integer({ min: 600, max: 100000 }),
      recs: fc.array(fc.record({ replicas: fc.integer({ min: 0, max: 30 }), age: fc.integer({ min: 0, max: 600 }) }), { maxLength: 6 }),
      events: fc.array(fc.record({ up: fc.boolean(), replicaChange: fc.integer({ min: 1, max: 5 }), age: fc.integer({ min: 0, max: 300 }), outdated: fc.boolean() }), { maxLength: 6 }),
    })
    .map((r) => {
      const max = r.min + r.span;
      const spec = r.min + (r.specAt % (r.span + 1));
      const status = Math.max(1, spec + r.statusDelta);
      const behavior: HpaBehavior | null = r.behavior
        ? {
            scaleUp: r.behavior.scaleUp && { ...r.behavior.scaleUp, tolerance: r.behavior.scaleUp.tolerancePct === undefined ? undefined : r.behavior.scaleUp.tolerancePct / 100 },
            scaleDown: r.behavior.scaleDown && { ...r.behavior.scaleDown, tolerance: r.behavior.scaleDown.tolerancePct === undefined ? undefined : r.behavior.scaleDown.tolerancePct / 100 },
          }
        : null;
      // Independent statement of tolerancesForHpa: per-direction behavior tolerance when the gate is on.
      const upPct = behavior && r.configurable && r.behavior?.scaleUp?.tolerancePct !== undefined ? r.behavior.scaleUp.tolerancePct : r.tolPct;
      const downPct = behavior && r.configurable && r.behavior?.scaleDown?.tolerancePct !== undefined ? r.behavior.scaleDown.tolerancePct : r.tolPct;
      const recs = r.recs.map((x) => ({ replicas: legacyCapped && behavior === null ? Math.min(x.replicas, spec) : x.replicas, timestamp: r.now - x.age }));
      const ev = (up: boolean) => r.events.filter((e) => e.up === up).map((e) => ({ replicaChange: e.replicaChange, timestamp: r.now - e.age, outdated: e.outdated }));
      return { min: r.min, max, spec, status, targetMilli: r.targetMilli, tolPct: r.tolPct, configurable: r.configurable, behavior, upPct, downPct, pick: r.pick, now: r.now, history: { recs, up: ev(true), down: ev(false) } };
    });

/**
 * A usage (milli) whose ratio to base (milli) is strictly inside [1 − down%, 1 + up%] (exact
 * integer test), or exactly base when the band has no integer interior.
 */
function usageWithin(baseMilli: number, upPct: number, downPct: number, pick: number): number {
  const lo = Math.floor(((100 - downPct) * baseMilli) / 100) + 1;
  const hi = Math.ceil(((100 + upPct) * baseMilli) / 100) - 1;
  const inside = (u: number) => u * 100 > (100 - downPct) * baseMilli && u * 100 < (100 + upPct) * baseMilli;
  if (lo > hi) return baseMilli;
  const u = lo + Math.floor(pick * (hi - lo + 1));
  const v = Math.min(hi, u);
  return inside(v) ? v : baseMilli;
}

function cfgOf(c: Case): HpaConfig {
  return { ...defaultHpaConfig(c.min, c.max), tolerance: c.tolPct / 100, configurableTolerance: c.configurable, behavior: c.behavior };
}

function stateOf(c: Case): HpaState {
  return { recommendations: c.history.recs.length ? c.history.recs : null, scaleUpEvents: c.history.up, scaleDownEvents: c.history.down };
}


function run(c: Case, targetType: MetricTargetType) {
  const base = targetType === "AverageValue" ? c.targetMilli * c.status : c.targetMilli;
  const usageMilli = usageWithin(base, c.upPct, c.downPct, c.pick);
  const input = deepFreeze({
    now: c.now,
    specReplicas: c.spec,
    statusReplicas: c.status,
    readyReplicas: c.status,
    metrics: [{ ok: true as const, targetType, target: c.targetMilli / 1000, value: usageMilli / 1000 }],
  });
  // Frozen inputs: reconcile must be pure (a mutation throws in strict mode).
  const res = reconcile(deepFreeze(cfgOf(c)), deepFreeze(stateOf(c)), input);
  return { res, usageMilli };
}

describe("HPA tolerance (pure reconcile, random inputs and histories)", () => {
  it("AverageValue within tolerance: the proposal is status.replicas (k8s #138505)", () => {
    checkProperty(
      "tolerance: proposal = status.replicas",
      caseArb(false, false),
      (c) => {
        const { res, usageMilli } = run(c, "AverageValue");
        if (res.raw !== c.status) throw new Error(`usage ${usageMilli}m / (target ${c.targetMilli}m × status ${c.status}) is within tolerance, but the proposal is ${res.raw}: ${res.reason}`);
      },
      { numRuns: 300 },
    );
  });

  it("spec = status, within tolerance, behavior set (any history) or legacy (no larger recommendation in the window): no change", () => {
    checkProperty(
      "tolerance: no change",
      caseArb(true, true),
      (c) => {
        for (const tt of ["AverageValue", "Value"] as const) {
          const { res, usageMilli } = run(c, tt);
          if (res.rescale || res.desired !== c.spec) throw new Error(`${tt}: usage ${usageMilli}m is within tolerance of target ${c.targetMilli}m at ${c.spec} replicas, but reconcile wants ${res.desired} (rescale ${res.rescale}): ${res.reason}`);
        }
      },
      { numRuns: 300 },
    );
  });
});

describe("HPA tolerance in simulated traces", () => {
  it("behavior set, one AverageValue trigger, spec = status, metric within tolerance ⇒ the sync keeps spec", () => {
    const counters = { "syncs within tolerance checked": 0 };
    checkProperty(
      "tolerance in traces",
      scenarioArb({ singleTrigger: true, rateModes: false }).filter((raw) => {
        const so = (raw.manifests as Array<{ spec: { advanced?: unknown; triggers: Array<{ metricType?: string }> } }>)[0].spec;
        return so.advanced !== undefined && (so.triggers[0].metricType ?? "AverageValue") === "AverageValue";
      }),
      (raw) => {
        const sc = resolveRaw(raw);
        const b = sc.scaledObject.behavior!;
        const pctOf = (x: number) => Math.round(x * 100);
        const upPct = pctOf(sc.hpa.configurableTolerance && b.scaleUp?.tolerance !== undefined ? b.scaleUp.tolerance : sc.hpa.tolerance);
        const downPct = pctOf(sc.hpa.configurableTolerance && b.scaleDown?.tolerance !== undefined ? b.scaleDown.tolerance : sc.hpa.tolerance);
        const T = Math.round(sc.scaledObject.triggers[0].target * 1000);
        for (const h of syncsOf(simulate(sc).records)) {
          if (h.metric === null || h.specReplicas !== h.statusReplicas || h.specReplicas === 0) continue;
          const u = Math.round(h.metric * 1000);
          const base = T * h.statusReplicas;
          const inside = u === base || (u * 100 > (100 - downPct) * base && u * 100 < (100 + upPct) * base);
          if (!inside) continue;
          counters["syncs within tolerance checked"]++;
          if (h.desired !== h.specReplicas) throw new Violation("tolerance", `usage ${h.metric} at ${h.statusReplicas} replicas (target ${T / 1000}) is within tolerance, but the HPA went to ${h.desired}: ${JSON.stringify(h)}`);
        }
      },
      { numRuns: 60, counters },
    );
  }, timeout(30_000));
});
