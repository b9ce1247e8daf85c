// Deviation 5 of issue 14 (part): replica counts accepted and rejected as a cluster does —
// kedacore/keda apis/keda/v1alpha1/scaledobject_types.go CRD markers (maxReplicaCount Minimum=1)
// and CheckReplicaCountBoundsAreValid (idle compared with GetHPAMinReplicas() when min is set).
import { describe, expect, it } from "vitest";
import { resolveScenario } from "./load.js";

const load = (spec: Record<string, unknown>) =>
  resolveScenario(
    {
      name: "v",
      producers: [{ type: "burst", count: 1 }],
      manifests: [
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name: "so" },
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
  it("min > max is rejected naming CheckReplicaCountBoundsAreValid; min = max is accepted", () => {
    expect(() => load({ minReplicaCount: 5, maxReplicaCount: 4 })).toThrow(/MinReplicaCount=5 must be less than MaxReplicaCount=4/);
    expect(load({ minReplicaCount: 4, maxReplicaCount: 4 }).scaledObject.maxReplicaCount).toBe(4);
  });
});
