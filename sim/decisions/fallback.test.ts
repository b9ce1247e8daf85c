import { describe, expect, it } from "vitest";
import {
  fallbackActive,
  fallbackMetricValue,
  getMetricWithFallback,
  healthyMetric,
  recordQuery,
  type FallbackConfig,
  type MetricHealth,
} from "./fallback.js";
import { externalMetricProposal } from "./hpa.js";

const fb = (over: Partial<FallbackConfig> = {}): FallbackConfig => ({ failureThreshold: 3, replicas: 10, behavior: "static", ...over });

describe("health bookkeeping", () => {
  it("a failure increments and marks Failing; a success resets to 0/Happy", () => {
    let h: MetricHealth = healthyMetric;
    h = recordQuery(h, false);
    h = recordQuery(h, false);
    expect(h).toEqual({ numberOfFailures: 2, status: "Failing" });
    expect(recordQuery(h, true)).toEqual({ numberOfFailures: 0, status: "Happy" });
    expect(healthyMetric).toEqual({ numberOfFailures: 0, status: "Happy" });
  });

  it("fallback is active only when numberOfFailures > failureThreshold (strict) and configured", () => {
    expect(fallbackActive({ numberOfFailures: 3, status: "Failing" }, fb())).toBe(false);
    expect(fallbackActive({ numberOfFailures: 4, status: "Failing" }, fb())).toBe(true);
    expect(fallbackActive({ numberOfFailures: 4, status: "Failing" }, null)).toBe(false);
    expect(fallbackActive({ numberOfFailures: 4, status: "Failing" }, fb({ replicas: -1 }))).toBe(false);
    expect(fallbackActive({ numberOfFailures: 1, status: "Failing" }, fb({ failureThreshold: 0 }))).toBe(true);
  });
});

describe("fallback metric value (doFallback)", () => {
  it.each([
    ["static", 15, 100],
    ["currentReplicas", 6, 60],
    ["currentReplicasIfHigher", 4, 100],
    ["currentReplicasIfHigher", 12, 120],
    ["currentReplicasIfLower", 4, 40],
    ["currentReplicasIfLower", 12, 100],
  ] as const)("%s with current %i => %i for AverageValue target 10", (behavior, current, want) => {
    expect(fallbackMetricValue(fb({ behavior }), 10, "AverageValue", current, current)).toBe(want);
  });

  it("Value target divides by ready replicas; 0 ready => no fallback (null)", () => {
    expect(fallbackMetricValue(fb(), 10, "Value", 5, 4)).toBe(25);
    expect(fallbackMetricValue(fb(), 10, "Value", 5, 0)).toBeNull();
  });

  it("truncates to integer milli like int64(target*1000*R)", () => {
    expect(fallbackMetricValue(fb({ replicas: 1 }), 10, "Value", 1, 3)).toBe(3.333);
  });

  it("makes the HPA compute exactly R replicas", () => {
    for (const target of [1, 5, 7.5]) {
      for (const r of [1, 3, 10]) {
        const v = fallbackMetricValue(fb({ replicas: r }), target, "AverageValue", 2, 2)!;
        const p = externalMetricProposal("AverageValue", Math.round(target * 1000), Math.round(v * 1000), { specReplicas: 2, statusReplicas: 2, readyReplicas: 2 }, { scaleDown: 0.1, scaleUp: 0.1 });
        expect(p.ok && p.replicas).toBe(r);
      }
    }
  });
});

describe("getMetricWithFallback (GetMetricsWithFallback)", () => {
  it("errors until failures exceed the threshold, then returns target x replicas; a success resets", () => {
    let h = healthyMetric;
    const outs: (number | string)[] = [];
    for (let k = 0; k < 5; k++) {
      const r = getMetricWithFallback(fb(), h, { ok: false }, 5, "AverageValue", 2, 2);
      h = r.health;
      outs.push(r.outcome.ok ? r.outcome.value : "error");
    }
    expect(outs).toEqual(["error", "error", "error", 50, 50]);
    expect(h).toEqual({ numberOfFailures: 5, status: "Failing" });
    const ok = getMetricWithFallback(fb(), h, { ok: true, value: 12 }, 5, "AverageValue", 2, 2);
    expect(ok).toEqual({ health: { numberOfFailures: 0, status: "Happy" }, outcome: { ok: true, value: 12, fallback: false } });
  });

  it("without a fallback the health is left untouched and errors pass through", () => {
    const h: MetricHealth = { numberOfFailures: 7, status: "Failing" };
    const r = getMetricWithFallback(null, h, { ok: false }, 5, "AverageValue", 2, 2);
    expect(r.health).toBe(h);
    expect(r.outcome.ok).toBe(false);
    expect(getMetricWithFallback(null, h, { ok: true, value: 3 }, 5, "AverageValue", 2, 2).health).toBe(h);
  });
});
