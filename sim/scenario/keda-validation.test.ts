// Deviation 5 of issue 14 (part): replica counts accepted and rejected as a cluster does —
// kedacore/keda apis/keda/v1alpha1/scaledobject_types.go CRD markers (maxReplicaCount Minimum=1)
// and CheckReplicaCountBoundsAreValid (idle compared with GetHPAMinReplicas() when min is set).
import { describe, expect, it } from "vitest";
import { resolveScenario } from "./load.js";

const load = (spec: Record<string, unknown>, kedaVersion?: string, name = "so") =>
  resolveScenario(
    {
      name: "v",
      ...(kedaVersion ? { kedaVersion } : {}),
      producers: [{ type: "burst", count: 1 }],
      manifests: [
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name },
          spec: { scaleTargetRef: { name: "consumer" }, triggers: [{ type: "azure-servicebus", metadata: { queueName: "q", messageCount: "5" } }], ...spec },
        },
      ],
    },
    process.cwd(),
    "v.yaml",
  );

describe("KEDA's validation of replica counts", () => {
  it("maxReplicaCount 0 is rejected (CRD Minimum=1)", () => {
    expect(() => load({ maxReplicaCount: 0 })).toThrow(/spec\.maxReplicaCount: must be >= 1 \(KEDA's CRD: \+kubebuilder:validation:Minimum=1/);
  });
  it("idleReplicaCount 0 with an explicit minReplicaCount 0 is accepted (0 < GetHPAMinReplicas() = 1)", () => {
    const s = load({ idleReplicaCount: 0, minReplicaCount: 0 });
    expect([s.scaledObject.idleReplicaCount, s.scaledObject.minReplicaCount]).toEqual([0, 0]);
  });
  it("idleReplicaCount 0 with minReplicaCount unset is rejected (minReplicas 0)", () => {
    expect(() => load({ idleReplicaCount: 0 })).toThrow(/spec\.idleReplicaCount: IdleReplicaCount=0 must be less than MinReplicaCount=0 .*CheckReplicaCountBoundsAreValid; minReplicaCount is unset/);
  });
  it("min > max is rejected naming CheckReplicaCountBoundsAreValid (KEDA < 2.20); min = max is accepted", () => {
    expect(() => load({ minReplicaCount: 5, maxReplicaCount: 4 }, "2.19.0")).toThrow(/MinReplicaCount=5 must be less than MaxReplicaCount=4/);
    expect(load({ minReplicaCount: 4, maxReplicaCount: 4 }).scaledObject.maxReplicaCount).toBe(4);
  });
});

const sbTrigger = (extra: Record<string, unknown> = {}) => ({ type: "azure-servicebus", metadata: { queueName: "q", messageCount: "5" }, ...extra });
const fallback = { failureThreshold: 3, replicas: 2 };

// Deviation 5 of issue 14 (the rest): the CRD's CEL rule and markers (v2.20, kedacore/keda#7533),
// verifyName (v2.20, #7762), verifyFallback / CheckFallbackValid across 2.16–2.18 (#6407, #6702,
// #6655) and ValidateTriggers, as in kedacore/keda apis/keda/v1alpha1/scaledobject_webhook.go.
describe("KEDA's CRD schema and admission webhook, by version", () => {
  it("KEDA >= 2.20: min > max is the CRD's CEL rule, checked by the API server before the webhook; max unset counts as 100", () => {
    expect(() => load({ minReplicaCount: 5, maxReplicaCount: 4 })).toThrow(/spec\.minReplicaCount: minReplicaCount must be less than or equal to maxReplicaCount .*#7533\): 5 > 4/);
    expect(() => load({ minReplicaCount: 101 })).toThrow(/101 > 100/);
    expect(load({ minReplicaCount: 100 }).scaledObject.minReplicaCount).toBe(100);
  });

  it("KEDA >= 2.20 rejects a name over 63 characters and a derived HPA name over 63; 2.19 does not check", () => {
    expect(() => load({}, undefined, "n".repeat(64))).toThrow(/metadata\.name: at most 63 characters .*verifyName.*got 64/);
    // "keda-hpa-" (9) + 55 = 64
    expect(() => load({}, undefined, "n".repeat(55))).toThrow(/"keda-hpa-n{55}" is 64; set spec\.advanced\.horizontalPodAutoscalerConfig\.name/);
    expect(load({ advanced: { horizontalPodAutoscalerConfig: { name: "short" } } }, undefined, "n".repeat(55)).scaledObject.name).toBe("n".repeat(55));
    expect(() => load({ advanced: { horizontalPodAutoscalerConfig: { name: "h".repeat(64) } } })).toThrow(/spec\.advanced\.horizontalPodAutoscalerConfig\.name: an HPA name of at most 63/);
    expect(load({}, "2.19.0", "n".repeat(64)).scaledObject.name).toBe("n".repeat(64));
  });

  it("fallback on Value-only triggers: rejected by 2.17.x's CheckFallbackValid, accepted since 2.18 (#6655), let through unchecked before 2.17 (#6407) with a warning", () => {
    const spec = { fallback, triggers: [sbTrigger({ metricType: "Value" })] };
    expect(() => load(spec, "2.17.3")).toThrow(/spec\.fallback: at least one trigger \(that is not cpu or memory\) has to have the `AverageValue` type/);
    expect(load(spec, "2.18.0").scaledObject.fallback).toMatchObject(fallback);
    const old = load(spec, "2.16.0");
    expect(old.scaledObject.fallback).toMatchObject(fallback);
    expect(old.warnings.join("\n")).toMatch(/spec\.fallback: KEDA 2\.16\.0 lets a fallback on Value triggers through its webhook unchecked/);
    expect(load(spec, "2.18.0").warnings.join("\n")).not.toMatch(/spec\.fallback/);
  });

  it("fallback with metricType unset: 2.17.0 refuses it (#6702), 2.17.1 counts unset as AverageValue", () => {
    expect(() => load({ fallback }, "2.17.0")).toThrow(/in 2\.17\.0 an unset metricType does not count/);
    expect(load({ fallback }, "2.17.1").scaledObject.fallback).toMatchObject(fallback);
    expect(load({ fallback, triggers: [sbTrigger({ metricType: "AverageValue" })] }, "2.17.0").scaledObject.fallback).toMatchObject(fallback);
  });

  it("fallback.failureThreshold 0 is accepted (CRD Minimum=0), a negative one is not", () => {
    expect(load({ fallback: { failureThreshold: 0, replicas: 2 } }).scaledObject.fallback).toMatchObject({ failureThreshold: 0 });
    expect(() => load({ fallback: { failureThreshold: -1, replicas: 2 } })).toThrow(/spec\.fallback\.failureThreshold/);
  });

  it("fallback.behavior scalingModifiers is refused: it needs scalingModifiers.formula", () => {
    expect(() => load({ fallback: { ...fallback, behavior: "scalingModifiers" } })).toThrow(/spec\.fallback\.behavior: .*requires scalingModifiers\.formula/);
  });

  it("two triggers with the same name are refused (ValidateTriggers); unnamed ones are fine", () => {
    expect(() => load({ triggers: [sbTrigger({ name: "a" }), sbTrigger({ name: "a" })] })).toThrow(/spec\.triggers\[1\]\.name: .*triggerName "a" is defined multiple times/);
    expect(load({ triggers: [sbTrigger(), sbTrigger()] }).scaledObject.triggers).toHaveLength(2);
  });

  it("an empty scaleTargetRef.name is refused (CRD MinLength=1)", () => {
    expect(() => load({ scaleTargetRef: { name: "" } })).toThrow(/spec\.scaleTargetRef\.name.*MinLength=1/);
  });
});

describe("HPAConfigurableTolerance's default follows kubernetesVersion (alpha off in 1.33-1.34, beta on from 1.35)", () => {
  it("the scenario's hpa.configurableTolerance defaults to the gate's default, and can be set", () => {
    const gate = (extra: Record<string, unknown>) =>
      resolveScenario(
        { name: "g", ...extra, producers: [{ type: "burst", count: 1 }], manifests: [{ apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "so" }, spec: { scaleTargetRef: { name: "c" }, triggers: [sbTrigger()] } }] },
        process.cwd(),
        "g.yaml",
      ).hpa.configurableTolerance;
    expect(gate({ kubernetesVersion: "1.34.3" })).toBe(false);
    expect(gate({ kubernetesVersion: "1.35.0" })).toBe(true);
    expect(gate({})).toBe(true);
    expect(gate({ kubernetesVersion: "1.34.3", hpa: { configurableTolerance: true } })).toBe(true);
  });
});

describe("the webhook's 'configured but is not relevant' warnings (verifyScaledObjects, KEDA >= 2.20)", () => {
  const warns = (spec: Record<string, unknown>, v?: string) => load(spec, v).warnings.join("\n");
  it("pollingInterval and cooldownPeriod set with minReplicaCount > 0 and no idle: both warned, in 2.21's words", () => {
    const w = warns({ minReplicaCount: 1, pollingInterval: 10, cooldownPeriod: 60 });
    expect(w).toMatch(/spec\.pollingInterval: KEDA's webhook warns: PollingInterval is configured but is not relevant for scaling/);
    expect(w).toMatch(/spec\.cooldownPeriod: KEDA's webhook warns: CooldownPeriod is configured but is not relevant\. CooldownPeriod is only relevant when minReplicaCount = 0 or idleReplicaCount is set/);
  });
  it("not with minReplicaCount 0, not for a pollingInterval that feeds useCachedMetrics, and not before 2.20", () => {
    expect(warns({ minReplicaCount: 0, pollingInterval: 10, cooldownPeriod: 60 })).not.toMatch(/not relevant/);
    expect(warns({ minReplicaCount: 1, pollingInterval: 10, triggers: [sbTrigger({ useCachedMetrics: true })] })).not.toMatch(/PollingInterval/);
    expect(warns({ minReplicaCount: 1, pollingInterval: 10, cooldownPeriod: 60 }, "2.19.0")).not.toMatch(/not relevant/);
  });
  it("2.20 vs 2.21: idleReplicaCount 1 keeps cooldownPeriod relevant only from 2.21 (idle mode), and 2.20 words it 'idleReplicaCount = 0'", () => {
    expect(warns({ minReplicaCount: 2, idleReplicaCount: 1, cooldownPeriod: 60 }, "2.20.2")).toMatch(/only relevant when minReplicaCount = 0 or idleReplicaCount = 0/);
    expect(warns({ minReplicaCount: 2, idleReplicaCount: 1, cooldownPeriod: 60 })).not.toMatch(/CooldownPeriod/);
  });
});
